package missed_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/missed"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

// TestResume: a paused place resumed takes a seat again in every session
// ahead where seats are left (a waiting place where they are not), except
// the one its person skipped before; it counts missed sessions afresh from
// its pause; resuming twice changes nothing.
func TestResume(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	c := newClub(t, app, time.Now().Add(time.Hour).Truncate(time.Minute), "Amina", "Olek", "Leyla", "Ivan")
	for _, n := range []string{"Olek", "Leyla", "Ivan"} {
		for i := range 4 {
			c.came(t, n, i)
		}
	}
	c.skip(t, "Amina", 4)
	// Marta waits for the third session: Amina's freed seat is hers.
	marta := kopatest.Registration(t, app, c.sessions[2], "Marta", "marta@example.com", domain.RegistrationWaitlisted)
	c.check(t, c.after(1), 1)
	if got, _ := app.FindRecordById(domain.Registrations, marta.Id); domain.RegistrationStatusOf(got) != domain.RegistrationConfirmed {
		t.Fatalf("Marta: %s", got.GetString("status"))
	}
	code := c.places["Amina"].GetString("ticket")
	at := c.after(1).Add(time.Hour)
	for range 2 {
		st, _, err := missed.Resume(app, code, at)
		if err != nil || domain.StandingStatusOf(st) != domain.StandingActive {
			t.Fatalf("resume: %v %v", err, st)
		}
	}
	c.states(t, "resumed", map[string]string{"Amina": "active 0"})
	// Her live seat in each session: the third is full (Marta has her
	// old seat), so she waits; the fifth she skipped.
	want := []string{"confirmed", "confirmed", "waitlisted", "confirmed", "", "confirmed"}
	for i, ev := range c.sessions {
		var live []string
		err := app.DB().Select("status").From(domain.Registrations).
			Where(dbx.HashExp{"standing": c.places["Amina"].Id, "event": ev.Id}).
			AndWhere(dbx.NewExp("status != 'cancelled'")).Column(&live)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(live, ","); got != want[i] {
			t.Errorf("session %d: Amina's live seats %q, want %q", i, got, want[i])
		}
	}
	// The misses before the pause do not count again: one miss after it
	// is one in a row.
	c.check(t, c.after(3), 0)
	c.states(t, "after a miss", map[string]string{"Amina": "active 1"})
}

// TestResumePage: GET /t/{code}/resume asks and changes nothing, in the
// place's language or the one chosen (all six); its POST resumes and shows
// the page again; an ended place cannot be resumed; unknown codes are 404.
func TestResumePage(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t, hooks.Default)
	c := newClub(t, src, time.Now().Add(-2*7*24*time.Hour-3*time.Hour), "Amina", "Olek")
	c.check(t, time.Now(), 2)
	amina, olek := c.places["Amina"].GetString("ticket"), c.places["Olek"].GetString("ticket")
	if _, err := src.DB().Update(domain.Standing, dbx.Params{"status": domain.StandingEnded}, dbx.HashExp{"id": c.places["Olek"].Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	paused := func(t testing.TB, app *tests.TestApp, res *http.Response) {
		st, _ := app.FindFirstRecordByData(domain.Standing, "ticket", amina)
		if domain.StandingStatusOf(st) != domain.StandingPaused {
			t.Errorf("the page changed the place: %s", st.GetString("status"))
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "the page asks, in the place's language", Method: http.MethodGet, URL: "/t/" + amina + "/resume", ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="lv"`, `action="/t/` + amina + `/resume"`, "Atjaunot manu vietu", "pēdējām 2 reizēm"},
			AfterTestFunc:   paused},
		{Name: "the resume", Method: http.MethodPost, URL: "/t/" + amina + "/resume", ExpectedStatus: 303,
			ExpectedContent: []string{}, NotExpectedContent: []string{"error"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/t/"+amina+"/resume?resumed=1" {
					t.Errorf("to %q", loc)
				}
				st, _ := app.FindFirstRecordByData(domain.Standing, "ticket", amina)
				if domain.StandingStatusOf(st) != domain.StandingActive {
					t.Errorf("not resumed: %s", st.GetString("status"))
				}
			}},
		{Name: "an ended place", Method: http.MethodPost, URL: "/t/" + olek + "/resume", ExpectedStatus: 409,
			ExpectedContent: []string{"Uz kluba lapu"}},
		{Name: "an ended place's page", Method: http.MethodGet, URL: "/t/" + olek + "/resume?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"has ended", `href="/series/`}, NotExpectedContent: []string{`method="post"`}},
		{Name: "an unknown code", Method: http.MethodGet, URL: "/t/AbCdEfGhIjKlMnOpQrStUvWx/resume", ExpectedStatus: 404,
			ExpectedContent: []string{"<html"}},
		{Name: "an unknown code's resume", Method: http.MethodPost, URL: "/t/AbCdEfGhIjKlMnOpQrStUvWx/resume", ExpectedStatus: 404,
			ExpectedContent: []string{"<html"}},
	}
	for _, lang := range i18n.Supported {
		sc := tests.ApiScenario{Name: "the page in " + lang, Method: http.MethodGet, URL: "/t/" + amina + "/resume?lang=" + url.QueryEscape(lang),
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="` + lang + `"`, `action="/t/` + amina + `/resume"`}, AfterTestFunc: paused}
		if i18n.Dir(lang) == "rtl" {
			sc.ExpectedContent = append(sc.ExpectedContent, `dir="rtl"`)
		}
		scenarios = append(scenarios, sc)
	}
	for _, sc := range scenarios {
		sc.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		sc.Test(t)
	}
}
