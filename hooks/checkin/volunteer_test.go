package checkin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestVolunteerCheckIn: a volunteer's personal code at the door records
// their arrival on their accepted shift of the event, once; a code that is
// unknown, a pending volunteer's or one without an accepted shift at this
// event is refused with a clear 4xx and nothing is stored.
func TestVolunteerCheckIn(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	start := time.Now().Add(30 * time.Minute)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Starts: start})
	other := kopatest.Event(t, src, kopatest.EventOpts{Starts: start})
	org := kopatest.Organiser(t, src, "org@example.com")
	door := kopatest.Volunteer(t, src, "door@example.com", []string{"lv"}, []string{"door"})
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", start, start.Add(2*time.Hour)), door, "accepted")
	// Amina hosts at ev: her accepted shift starts with the event.
	amina := kopatest.Volunteer(t, src, "amina@example.com", []string{"ar"}, []string{"hosting"})
	hosting := kopatest.Shift(t, src, ev, "hosting", start, start.Add(3*time.Hour))
	aminaA := kopatest.Assignment(t, src, hosting, amina, "accepted")
	// Olek was only invited at ev, and holds an accepted shift elsewhere.
	olek := kopatest.Volunteer(t, src, "olek@example.com", []string{"ru"}, []string{"hosting"})
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "hosting", start, start.Add(time.Hour)), olek, "invited")
	kopatest.Assignment(t, src, kopatest.Shift(t, src, other, "hosting", start, start.Add(time.Hour)), olek, "accepted")
	// Leyla holds an accepted shift but is not approved (any more).
	leyla := kopatest.Volunteer(t, src, "leyla@example.com", []string{"lv"}, []string{"hosting"})
	leylaA := kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "hosting", start, start.Add(time.Hour)), leyla, "accepted")
	if _, err := src.DB().Update(domain.Volunteers, dbx.Params{"status": domain.VolunteerPending}, dbx.HashExp{"id": leyla.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{amina.GetString("code"), olek.GetString("code"), leyla.GetString("code")} {
		if !domain.IsVolunteerCode(v) {
			t.Fatalf("volunteer code %q", v)
		}
	}
	orgH := map[string]string{"Authorization": kopatest.Token(t, org)}
	doorH := map[string]string{"Authorization": kopatest.Token(t, door)}
	scan := func(code string) *strings.Reader {
		return strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q}`, ev.Id, code))
	}
	arrived := func(assignment string, want bool) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			a, err := app.FindRecordById(domain.Assignments, assignment)
			if err != nil {
				t.Fatal(err)
			}
			if got := !a.GetDateTime("arrived_at").IsZero(); got != want {
				t.Errorf("arrival stored: %v, want %v", got, want)
			}
			if n, _ := app.CountRecords(domain.Checkins); n != 0 {
				t.Errorf("%d ticket check-ins stored for a volunteer's code", n)
			}
		}
	}
	nothingStored := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		n, err := app.CountRecords(domain.Assignments, dbx.Not(dbx.HashExp{"arrived_at": ""}))
		if err != nil || n != 0 {
			t.Errorf("%d arrivals stored (%v)", n, err)
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "the organiser scans Amina's code: her arrival on her shift", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(amina.GetString("code")),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"volunteer"`, `"name":"Volunteer amina@example.com"`, `"shift":{"id":"` + hosting.Id + `","role":"hosting"`, `"already":false`, `"arrived_at":"2`},
			NotExpectedContent: []string{amina.GetString("code")}, AfterTestFunc: arrived(aminaA.Id, true)},
		{Name: "a door volunteer scans it: the short name", Method: http.MethodPost, URL: "/api/checkin", Headers: doorH, Body: scan(" " + amina.GetString("code") + "\n"),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"volunteer"`, `"name":"Volunteer a."`}, AfterTestFunc: arrived(aminaA.Id, true)},
		{Name: "409 for a volunteer only invited at this event", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(olek.GetString("code")),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"volunteer_no_shift"`}, AfterTestFunc: nothingStored},
		{Name: "403 for a volunteer who is not approved", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(leyla.GetString("code")),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"volunteer_not_approved"`}, AfterTestFunc: func(t testing.TB, app *tests.TestApp, r *http.Response) {
				nothingStored(t, app, r)
				arrived(leylaA.Id, false)(t, app, r)
			}},
		{Name: "404 for a code nobody has", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan("V-AAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
			ExpectedStatus: 404, ExpectedContent: []string{`"code":"volunteer_unknown"`}, AfterTestFunc: nothingStored},
		{Name: "a door volunteer of another event may not scan it", Method: http.MethodPost, URL: "/api/checkin",
			Headers: map[string]string{"Authorization": kopatest.Token(t, olek)}, Body: scan(amina.GetString("code")),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, NotExpectedContent: []string{"volunteer_"}, AfterTestFunc: nothingStored},
		{Name: "401 without a token", Method: http.MethodPost, URL: "/api/checkin", Body: scan(amina.GetString("code")), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: nothingStored},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestVolunteerArrivalOnce: a second scan records nothing new and answers
// with the first arrival; an earlier scan synced late becomes the arrival.
func TestVolunteerArrivalOnce(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	start := time.Now().Add(-time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: start})
	amina := kopatest.Volunteer(t, app, "amina@example.com", []string{"ar"}, []string{"hosting"})
	a := kopatest.Assignment(t, app, kopatest.Shift(t, app, ev, "hosting", start, start.Add(3*time.Hour)), amina, "accepted")
	first := time.Now().Add(-10 * time.Minute)
	res, err := checkinVolunteer(app, ev.Id, amina.GetString("code"), first)
	if err != nil || res.Already {
		t.Fatalf("first scan: %+v %v", res, err)
	}
	again, err := checkinVolunteer(app, ev.Id, amina.GetString("code"), time.Now())
	if err != nil || !again.Already || again.ArrivedAt != res.ArrivedAt {
		t.Fatalf("second scan: %+v %v, first %+v", again, err, res)
	}
	earlier := time.Now().Add(-20 * time.Minute)
	if _, err := checkinVolunteer(app, ev.Id, amina.GetString("code"), earlier); err != nil {
		t.Fatal(err)
	}
	stored, _ := app.FindRecordById(domain.Assignments, a.Id)
	if got := stored.GetDateTime("arrived_at").Time(); got.Sub(earlier).Abs() > time.Millisecond {
		t.Errorf("arrival %v, want the earlier scan %v", got, earlier)
	}
}

var checkinVolunteer = checkin.CheckInVolunteer
