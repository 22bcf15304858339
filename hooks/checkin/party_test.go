package checkin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/internal/kopatest"
)

// family registers a party of party people at ev, with their wishes.
func family(t testing.TB, app core.App, ev *core.Record, name string, party, children int, langs ...string) *core.Record {
	t.Helper()
	r := kopatest.Registration(t, app, ev, name, strings.ToLower(name)+"@example.com", "confirmed")
	return kopatest.Party(t, app, r, party, children, langs...)
}

// TestCheckInParty: a ticket for a party lets all of it in unless the door
// says how many came; the answer tells the door the party, how many came,
// the interpretation wish and the children to mind; the door corrects the
// count on the same ticket; a count of none, or of more than the party, is
// refused and stores nothing.
func TestCheckInParty(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	start := time.Now().Add(30 * time.Minute)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 20, Waitlist: true, Starts: start})
	rahimi := family(t, src, ev, "Rahimi", 4, 2, "fa")
	petrenko := family(t, src, ev, "Petrenko", 3, 0, "uk", "ru")
	haddad := family(t, src, ev, "Haddad", 2, 1)
	// A registration from before parties: one person.
	olek := kopatest.Registration(t, src, ev, "Olek", "olek@example.com", "confirmed")
	waiting := family(t, src, ev, "Karimi", 3, 0)
	waiting.Set("status", "waitlisted")
	if err := src.Save(waiting); err != nil {
		t.Fatal(err)
	}
	// The Petrenkos came earlier, two of the three.
	if res, err := checkin.CheckInArrived(src, ev.Id, petrenko.GetString("ticket"), "qr", time.Now().Add(-5*time.Minute), 2); err != nil || res.Arrived != 2 {
		t.Fatalf("check in two Petrenkos: %+v %v", res, err)
	}
	org := kopatest.Organiser(t, src, "org@example.com")
	orgH := map[string]string{"Authorization": kopatest.Token(t, org)}
	scan := func(code string, extra string) *strings.Reader {
		return strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q%s}`, ev.Id, code, extra))
	}
	arrived := func(reg *core.Record, want int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			n, _ := app.CountRecords("checkins", dbx.HashExp{"registration": reg.Id})
			if want == 0 {
				if n != 0 {
					t.Errorf("%d check-ins stored, want none", n)
				}
				return
			}
			c, err := app.FindFirstRecordByData("checkins", "registration", reg.Id)
			if err != nil {
				t.Fatalf("no check-in stored: %v", err)
			}
			if got := c.GetInt("arrived"); got != want {
				t.Errorf("stored arrived %d, want %d", got, want)
			}
		}
	}

	scenarios := []tests.ApiScenario{
		{Name: "the whole party by default, with its wishes", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), ""),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Rahimi"`, `"party":4`, `"arrived":4`, `"interpretation":["fa"]`, `"childcare":2`},
			ExpectedEvents: map[string]int{"*": 0, "OnModelAfterCreateSuccess": 1, "OnRecordAfterCreateSuccess": 1},
			AfterTestFunc:  arrived(rahimi, 4)},
		{Name: "the door says how many came", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), `,"arrived":3`),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"party":4`, `"arrived":3`}, AfterTestFunc: arrived(rahimi, 3)},
		{Name: "by name, one of the party", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"registration":%q,"arrived":1}`, ev.Id, haddad.Id)),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"party":2`, `"arrived":1`, `"interpretation":[]`, `"childcare":1`}, AfterTestFunc: arrived(haddad, 1)},
		{Name: "a registration from before parties is one person", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(olek.GetString("ticket"), ""),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"party":1`, `"arrived":1`, `"interpretation":[]`, `"childcare":0`}, AfterTestFunc: arrived(olek, 1)},
		{Name: "scanned again, the count stays", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(petrenko.GetString("ticket"), ""),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"already"`, `"party":3`, `"arrived":2`, `"interpretation":["uk","ru"]`},
			ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: arrived(petrenko, 2)},
		{Name: "the door corrects the count: the third came too", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(petrenko.GetString("ticket"), `,"arrived":3`),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"already"`, `"party":3`, `"arrived":3`},
			ExpectedEvents: map[string]int{"OnModelAfterUpdateSuccess": 1, "OnRecordAfterUpdateSuccess": 1}, AfterTestFunc: arrived(petrenko, 3)},
		{Name: "waitlisted: nobody let in", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(waiting.GetString("ticket"), `,"arrived":2`),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"waitlisted"`, `"party":3`, `"arrived":0`}, AfterTestFunc: arrived(waiting, 0)},
		{Name: "400 arrived 0, nothing stored", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), `,"arrived":0`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_arrived_range"`}, ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: arrived(rahimi, 0)},
		{Name: "400 more than the party, nothing stored", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), `,"arrived":5`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_more_than_party"`, "4 people"}, ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: arrived(rahimi, 0)},
		{Name: "400 two for one person", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(olek.GetString("ticket"), `,"arrived":2`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_more_than_party"`}, AfterTestFunc: arrived(olek, 0)},
		{Name: "400 a correction above the party keeps the count", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(petrenko.GetString("ticket"), `,"arrived":4`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_more_than_party"`}, ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: arrived(petrenko, 2)},
		{Name: "400 a negative count", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), `,"arrived":-1`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_arrived_range"`}, AfterTestFunc: arrived(rahimi, 0)},
		{Name: "400 over any party", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), `,"arrived":21`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_arrived_range"`}, AfterTestFunc: arrived(rahimi, 0)},
		{Name: "400 half a person", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), `,"arrived":1.5`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_not_int"`}, AfterTestFunc: arrived(rahimi, 0)},
		{Name: "400 a count as text", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(rahimi.GetString("ticket"), `,"arrived":"2"`),
			ExpectedStatus: 400, ExpectedContent: []string{`"arrived":{"code":"validation_not_int"`}, AfterTestFunc: arrived(rahimi, 0)},
		{Name: "the offline list carries the party and its wishes", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/tickets", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{
				`"name":"Rahimi","status":"confirmed","photo_consent":false,"checked_in_at":"","party":4,"arrived":0,"interpretation":["fa"],"childcare":2`,
				`"name":"Petrenko","status":"confirmed","photo_consent":false,"checked_in_at":"`,
				`"party":3,"arrived":2,"interpretation":["uk","ru"],"childcare":0`,
				`"name":"Olek","status":"confirmed","photo_consent":false,"checked_in_at":"","party":1,"arrived":0,"interpretation":[],"childcare":0`}},
		{Name: "a walk-in is one person", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: orgH, Body: strings.NewReader(`{"name":"Nadia"}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"party":1`, `"arrived":1`, `"interpretation":[]`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData("registrations", "name", "Nadia")
				if err != nil || r.GetInt("party") != 1 {
					t.Fatalf("walk-in: %v %v", r, err)
				}
				arrived(r, 1)(t, app, nil)
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestWalkInCountsPeople: a walk-in is refused when the confirmed parties
// fill the seats, though there are fewer registrations than seats.
func TestWalkInCountsPeople(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 4, Starts: time.Now().Add(time.Hour)})
	family(t, app, ev, "Rahimi", 4, 0)
	if _, err := checkin.WalkIn(app, ev.Id, "Nadia", "", false, time.Now()); err != checkin.ErrFull {
		t.Fatalf("walk-in into 4 seats held by a party of 4: %v, want ErrFull", err)
	}
}
