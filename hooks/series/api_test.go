package series_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/series"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

func mails(t testing.TB, app *tests.TestApp, kind string) int {
	t.Helper()
	rows, err := app.FindAllRecords(outbox.Collection)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if kind == "" || r.GetString("kind") == kind {
			n++
		}
	}
	return n
}

// TestRegisterForASeries: one registration gives a seat or a waiting place
// in every upcoming published session, one ticket and one welcome mail; a
// second one with the address gets "exists" and the ticket again; an
// unknown series, a draft one and bad input are refused, changing nothing.
func TestRegisterForASeries(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t, hooks.Default)
	s, sessions := newSeries(t, src, seriesOpts{Weeks: 3, Capacity: 1, Waitlist: true})
	kopatest.Registration(t, src, sessions[1], "Olek", "olek@example.com", domain.RegistrationConfirmed)
	draft, _ := newSeries(t, src, seriesOpts{Status: domain.EventDraft})
	factory := kopatest.CloneFactory(src, hooks.Default)
	url := "/api/series/" + s.Id + "/register"
	nothing := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords(domain.Standing); n != 0 {
			t.Errorf("%d standing places stored", n)
		}
		if n := mails(t, app, ""); n != 0 {
			t.Errorf("%d mails queued", n)
		}
	}
	// Nothing stored: no place, no mail, and no seat but Olek's own.
	noSeats := func(t testing.TB, app *tests.TestApp, res *http.Response) {
		nothing(t, app, res)
		if n, _ := app.CountRecords(domain.Registrations); n != 1 {
			t.Errorf("%d registrations, want Olek's only", n)
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "a standing place", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"name":"Amina","email":"Amina@Example.com","locale":"ar"}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"standing"`, `"ticket_url":"/t/`, `"sessions":[`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				st := mustStanding(t, app, "amina@example.com")
				if domain.StandingStatusOf(st) != domain.StandingActive || st.GetString("locale") != "ar" {
					t.Errorf("standing place %v", st.FieldsData())
				}
				want := []domain.RegistrationStatus{domain.RegistrationConfirmed, domain.RegistrationWaitlisted, domain.RegistrationConfirmed}
				for i, ev := range sessions {
					r := seatOf(t, app, st.Id, ev.Id)
					if r == nil || domain.RegistrationStatusOf(r) != want[i] || r.GetString("name") != "Amina" || r.GetString("locale") != "ar" {
						t.Errorf("session %d: seat %v, want %s", i, r, want[i])
					}
				}
				if n := mails(t, app, ""); n != 1 || mails(t, app, "series_welcome") != 1 {
					t.Errorf("%d mails queued, want one welcome", n)
				}
			}},
		{Name: "the same address again: exists, the ticket mailed again once", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"name":"Amina","email":"amina@example.com"}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				join(t, app, s.Id, "amina@example.com")
				join(t, app, s.Id, "amina@example.com") // mailed again
			},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"exists"`}, NotExpectedContent: []string{`"ticket"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(domain.Standing); n != 1 {
					t.Errorf("%d standing places", n)
				}
				if a := mails(t, app, "series_again"); a != 1 {
					t.Errorf("%d mails with the ticket again within the hour, want 1", a)
				}
			}},
		{Name: "an unknown series", Method: http.MethodPost, URL: "/api/series/nosuchseries000/register", Body: strings.NewReader(`{"name":"Amina","email":"amina@example.com"}`),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: nothing},
		{Name: "a series without a published session", Method: http.MethodPost, URL: "/api/series/" + draft.Id + "/register", Body: strings.NewReader(`{"name":"Amina","email":"amina@example.com"}`),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: nothing},
		{Name: "no e-mail: a weekly place needs one", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"name":"Amina"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"email":{`}, AfterTestFunc: nothing},
		{Name: "a family of three every week", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"name":"Amina","email":"amina@example.com","party":3}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				for _, ev := range sessions {
					ev.Set("capacity", 10)
					ev.Set("max_party", 4)
					if err := app.Save(ev); err != nil {
						t.Fatal(err)
					}
				}
			},
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"standing"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				st := mustStanding(t, app, "amina@example.com")
				for i, ev := range sessions {
					if r := seatOf(t, app, st.Id, ev.Id); r == nil || domain.Party(r) != 3 || domain.RegistrationStatusOf(r) != domain.RegistrationConfirmed {
						t.Errorf("session %d: seat %v", i, r)
					}
				}
			}},
		{Name: "a party bigger than the series takes", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"name":"Amina","email":"amina@example.com","party":2}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"party":{`, `"code":"validation_party_too_big"`}, NotExpectedContent: []string{`"email":{`}, AfterTestFunc: noSeats},
		{Name: "children to mind where the series offers no minding", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"name":"Amina","email":"amina@example.com","party":1,"childcare":1}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"childcare":{`, `"code":"validation_no_childcare"`}, NotExpectedContent: []string{`"party":{`}, AfterTestFunc: noSeats},
		{Name: "bad input", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"name":"","email":"nope","locale":"xx"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{`, `"email":{`, `"locale":{`}, AfterTestFunc: nothing},
	}
	for _, sc := range scenarios {
		sc.TestAppFactory = factory
		sc.Test(t)
	}
}

func join(t testing.TB, app core.App, seriesID, email string) series.Result {
	t.Helper()
	in := registration.Input{Name: "Person " + strings.Split(email, "@")[0], Email: email, Locale: "lv"}
	if err := in.Normalize(); err != nil {
		t.Fatal(err)
	}
	res, err := series.Join(app, seriesID, in, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestStandingAndSingleShareCapacity: standing places and single
// registrations arriving together for one session never confirm more
// people than its capacity.
func TestStandingAndSingleShareCapacity(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, sessions := newSeries(t, app, seriesOpts{Weeks: 2, Capacity: 7, Waitlist: true})
	srv := kopatest.Serve(t, app)
	client := &http.Client{Timeout: time.Minute}
	const n = 16
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			url := srv.URL + "/api/events/" + sessions[0].Id + "/register"
			if i%2 == 0 {
				url = srv.URL + "/api/series/" + s.Id + "/register"
			}
			b, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Person %d", i), "email": fmt.Sprintf("p%d@example.com", i)})
			res, err := client.Post(url, "application/json", bytes.NewReader(b))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			defer res.Body.Close()
			if res.StatusCode != 201 {
				body, _ := io.ReadAll(res.Body)
				t.Errorf("request %d: %d %s", i, res.StatusCode, body)
			}
		}(i)
	}
	wg.Wait()
	for i, ev := range sessions {
		confirmed, _ := app.CountRecords(domain.Registrations, dbx.HashExp{"event": ev.Id, "status": "confirmed"})
		waiting, _ := app.CountRecords(domain.Registrations, dbx.HashExp{"event": ev.Id, "status": "waitlisted"})
		want := int64(2 * n)
		if i > 0 {
			want = n // only the standing places
		}
		if confirmed != 7 || confirmed+waiting != want {
			t.Errorf("session %d: %d confirmed, %d waiting; want 7 of %d", i, confirmed, waiting, want)
		}
	}
}
