package reports_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// arrive records that volunteer v checked in on their assignment a at t.
func arrive(t testing.TB, app core.App, a *core.Record, at time.Time) {
	t.Helper()
	a.Set("arrived_at", domain.DateTime(at))
	if err := app.Save(a); err != nil {
		t.Fatal(err)
	}
}

// TestVolunteerHours: the hours of the shifts that start in the period,
// counted once their volunteer checked in (the shift's length, or from a
// late arrival), by role, with the number of volunteers; no names; bad
// periods and anyone but an organiser refused.
func TestVolunteerHours(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	// 16:00 in Riga on 5 October 2026.
	start := time.Date(2026, 10, 5, 13, 0, 0, 0, time.UTC)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Valodu klubs", Starts: start, Duration: 4 * time.Hour})
	later := kopatest.Event(t, src, kopatest.EventOpts{Title: "Novembris", Starts: start.AddDate(0, 1, 0)})
	org := kopatest.Organiser(t, src, "org@example.com")
	amina := kopatest.Volunteer(t, src, "amina@example.com", []string{"ar"}, []string{"door"})
	olek := kopatest.Volunteer(t, src, "olek@example.com", []string{"ru"}, []string{"hosting"})
	leyla := kopatest.Volunteer(t, src, "leyla@example.com", []string{"lv"}, []string{"hosting"})
	// Amina came early for her three hours at the door: 3 hours.
	arrive(t, src, kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", start, start.Add(3*time.Hour)), amina, "accepted"), start.Add(-10*time.Minute))
	// Olek came 90 minutes late to a four-hour shift: 2.5 hours.
	arrive(t, src, kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "hosting", start, start.Add(4*time.Hour)), olek, "accepted"), start.Add(90*time.Minute))
	// Leyla never checked in: nothing.
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "hosting", start, start.Add(2*time.Hour)), leyla, "accepted")
	// Amina's November shift is outside the period.
	ls := later.GetDateTime("starts_at").Time()
	arrive(t, src, kopatest.Assignment(t, src, kopatest.Shift(t, src, later, "door", ls, ls.Add(2*time.Hour)), amina, "accepted"), ls)

	orgH := map[string]string{"Authorization": kopatest.Token(t, org)}
	volH := map[string]string{"Authorization": kopatest.Token(t, amina)}
	page := map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org)}
	api := "/api/reports/volunteer-hours"
	october := "?from=2026-10-01&to=2026-10-31"
	noNames := []string{"amina", "olek", "leyla", "Volunteer ", "@example.com"}
	scenarios := []tests.ApiScenario{
		{Name: "the organiser's report of October", Method: http.MethodGet, URL: api + october, Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"total_hours":5.5`, `"door":3`, `"hosting":2.5`, `"interpreting":0`, `"volunteers":2`},
			NotExpectedContent: noNames},
		{Name: "October and November", Method: http.MethodGet, URL: api + "?from=2026-10-01&to=2026-11-30", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"total_hours":7.5`, `"door":5`, `"volunteers":2`}},
		{Name: "a period without shifts", Method: http.MethodGet, URL: api + "?from=2026-01-01&to=2026-01-31", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"total_hours":0`, `"volunteers":0`}},
		{Name: "400 for dates that are not dates", Method: http.MethodGet, URL: api + "?from=2026-13-01&to=October", Headers: orgH,
			ExpectedStatus: 400, ExpectedContent: []string{`"from":{"code":"validation_invalid_date"`, `"to":{"code":"validation_invalid_date"`}},
		{Name: "400 without dates", Method: http.MethodGet, URL: api, Headers: orgH,
			ExpectedStatus: 400, ExpectedContent: []string{`"from":{"code":"validation_required"`, `"to":{"code":"validation_required"`}},
		{Name: "400 for an end before the start", Method: http.MethodGet, URL: api + "?from=2026-10-31&to=2026-10-01", Headers: orgH,
			ExpectedStatus: 400, ExpectedContent: []string{`"to":{"code":"validation_before_from"`}},
		{Name: "403 for a volunteer", Method: http.MethodGet, URL: api + october, Headers: volH,
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, NotExpectedContent: []string{"total_hours"}},
		{Name: "401 anonymously", Method: http.MethodGet, URL: api + october, ExpectedStatus: 401, NotExpectedContent: []string{"total_hours"}},
		{Name: "the CSV: by event and role, then totals", Method: http.MethodGet, URL: api + ".csv" + october, Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"event,starts_at,title,role,hours,volunteers\r\n",
				ev.Id + "," + ev.GetString("starts_at") + ",Valodu klubs,door,3,1\r\n", ev.Id + "," + ev.GetString("starts_at") + ",Valodu klubs,hosting,2.5,1\r\n",
				",,total,door,3,1\r\n", ",,total,hosting,2.5,1\r\n", ",,total,all,5.5,2\r\n"},
			NotExpectedContent: append([]string{"Novembris"}, noNames...)},
		{Name: "no CSV for a volunteer", Method: http.MethodGet, URL: api + ".csv" + october, Headers: volH, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, NotExpectedContent: []string{"total"}},
		{Name: "the console's reports have the hours", Method: http.MethodGet, URL: "/manage/reports" + october + "&lang=en", Headers: page,
			ExpectedStatus: 200, ExpectedContent: []string{"Volunteer hours", "Hours by role", "5.50", "2.50", "Valodu klubs",
				`href="/manage/reports/volunteer-hours.csv?from=2026-10-01&amp;to=2026-10-31"`}, NotExpectedContent: noNames[:3]},
		{Name: "in Latvian", Method: http.MethodGet, URL: "/manage/reports" + october + "&lang=lv", Headers: page,
			ExpectedStatus: 200, ExpectedContent: []string{"Brīvprātīgo stundas"}},
		{Name: "in Russian", Method: http.MethodGet, URL: "/manage/reports" + october + "&lang=ru", Headers: page,
			ExpectedStatus: 200, ExpectedContent: []string{"Часы волонтёров"}},
		{Name: "the console's CSV", Method: http.MethodGet, URL: "/manage/reports/volunteer-hours.csv" + october, Headers: page,
			ExpectedStatus: 200, ExpectedContent: []string{",,total,all,5.5,2\r\n"}},
		{Name: "the console's CSV for a bad period", Method: http.MethodGet, URL: "/manage/reports/volunteer-hours.csv?from=x&to=y&lang=en", Headers: page,
			ExpectedStatus: 400, ExpectedContent: []string{"<h1>Reports</h1>"}, NotExpectedContent: []string{"total"}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
