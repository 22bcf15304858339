package reports_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/reports"
	"kopa/hooks/retention"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

const week = 7 * 24 * time.Hour

// came checks registration r in at its session, as the door does; arrived
// is how many people of its party came through (1 or more).
func came(t testing.TB, app core.App, r *core.Record, arrived int) {
	t.Helper()
	res, err := checkin.CheckInRegistration(app, r.GetString("event"), r.Id, domain.CheckinManual, time.Now())
	if err != nil || res.Result != checkin.OK {
		t.Fatalf("check in %s: %v %+v", r.GetString("name"), err, res)
	}
	if arrived > 1 {
		_, err := app.DB().Update(domain.Checkins, dbx.Params{"arrived": arrived}, dbx.HashExp{"registration": r.Id}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// clubWithRegulars is a weekly club whose first four sessions are over, the
// fifth cancelled (it ended too, but was not held) and the sixth ahead:
//
//   - Amina's standing place came to all four: 4 sessions;
//   - Olek's standing place came to the first and third: 2;
//   - Leyla registered for the first three on her own and came to two of
//     them, with her two children at the first: 2;
//   - Ivan came once (a single registration), and a walk-in without an
//     address once: 1 each.
//
// People checked in: 5 (Amina, Olek, Leyla and two children, Ivan), 2,
// 3 (and the walk-in), 1: 12 in 4 held sessions, 3 on average.
func clubWithRegulars(t testing.TB, app core.App) *core.Record {
	t.Helper()
	s, ss := kopatest.Series(t, app, kopatest.SeriesOpts{First: time.Now().Add(-4*week - 3*time.Hour), Weeks: 6})
	ss[4].Set("status", domain.EventCancelled)
	if err := app.Save(ss[4]); err != nil {
		t.Fatal(err)
	}
	amina := kopatest.Standing(t, app, s, "Amina", "amina@example.com")
	olek := kopatest.Standing(t, app, s, "Olek", "olek@example.com")
	for i, ev := range ss {
		a := kopatest.Seat(t, app, ev, amina, domain.RegistrationConfirmed)
		o := kopatest.Seat(t, app, ev, olek, domain.RegistrationConfirmed)
		if i < 4 {
			came(t, app, a, 1)
		}
		if i == 0 || i == 2 {
			came(t, app, o, 1)
		}
	}
	for i := range 3 {
		l := kopatest.Registration(t, app, ss[i], "Leyla", "leyla@example.com", domain.RegistrationConfirmed)
		switch i {
		case 0:
			came(t, app, l, 3)
		case 2:
			came(t, app, l, 1)
		}
	}
	came(t, app, kopatest.Registration(t, app, ss[0], "Ivan", "ivan@example.com", domain.RegistrationConfirmed), 1)
	came(t, app, kopatest.Registration(t, app, ss[2], "Guest", "", domain.RegistrationConfirmed), 1)
	// A session of another series and an event of its own are not this
	// series' business.
	_, other := kopatest.Series(t, app, kopatest.SeriesOpts{Title: "Cits klubs", First: time.Now().Add(-2 * week), Weeks: 1})
	came(t, app, kopatest.Registration(t, app, other[0], "Amina", "amina@example.com", domain.RegistrationConfirmed), 1)
	return s
}

// TestSeriesReport: GET /api/reports/series/{id} counts the held sessions,
// the people per session and who came back, for organisers only.
func TestSeriesReport(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t, hooks.Default)
	s := clubWithRegulars(t, src)
	empty, _ := kopatest.Series(t, src, kopatest.SeriesOpts{Title: "Jauns klubs", Weeks: 2})
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := kopatest.Volunteer(t, src, "vol@example.com", []string{"lv"}, []string{"door"})
	orgH := map[string]string{"Authorization": kopatest.Token(t, org)}
	api := "/api/reports/series/"
	noNames := []string{"Amina", "amina@", "Leyla", "leyla@", "salt"}
	scenarios := []tests.ApiScenario{
		{Name: "the organiser's report", Method: http.MethodGet, URL: api + s.Id, Headers: orgH, ExpectedStatus: 200,
			ExpectedContent:    []string{`{"sessions":4,"average_checked_in":3,"returning":{"2":3,"4":1,"8":0}}`},
			NotExpectedContent: noNames},
		{Name: "a series that has not begun", Method: http.MethodGet, URL: api + empty.Id, Headers: orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`{"sessions":0,"average_checked_in":0,"returning":{"2":0,"4":0,"8":0}}`}},
		{Name: "404 for an unknown series", Method: http.MethodGet, URL: api + "nosuchseries123", Headers: orgH, ExpectedStatus: 404,
			ExpectedContent: []string{`"status":404`}},
		{Name: "403 for a volunteer", Method: http.MethodGet, URL: api + s.Id, Headers: map[string]string{"Authorization": kopatest.Token(t, vol)},
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, NotExpectedContent: []string{"returning"}},
		{Name: "401 anonymously", Method: http.MethodGet, URL: api + s.Id, ExpectedStatus: 401, NotExpectedContent: []string{"returning"}},
		{Name: "401 anonymously for an unknown series too", Method: http.MethodGet, URL: api + "nosuchseries123", ExpectedStatus: 401,
			ExpectedContent: []string{`"status":401`}},
	}
	for _, sc := range scenarios {
		sc.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		sc.Test(t)
	}
}

// TestSeriesReportOutlivesErasure: once retention has erased every name
// and address of the series (its sessions' registrations and its standing
// places), the report is what it was; the kept person keys are not the
// addresses.
func TestSeriesReportOutlivesErasure(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s := clubWithRegulars(t, app)
	before, err := reports.SeriesFigures(app, s.Id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if before.Sessions != 4 || before.AverageCheckedIn != 3 || before.Returning["2"] != 3 || before.Returning["4"] != 1 {
		t.Fatalf("before the erasure: %+v", before)
	}
	// Far enough ahead that every session, and so every place, is past
	// its retention period.
	if _, err := retention.Run(app, time.Now().Add(20*week)); err != nil {
		t.Fatal(err)
	}
	var left int
	err = app.DB().NewQuery(`SELECT (SELECT count(*) FROM registrations WHERE name != '' OR email != '')
		+ (SELECT count(*) FROM standing WHERE name != '' OR email != '')`).Row(&left)
	if err != nil || left != 0 {
		t.Fatalf("%d records keep a name or an address (%v)", left, err)
	}
	var persons []string
	if err := app.DB().NewQuery(`SELECT DISTINCT person FROM registrations WHERE person != ''`).Column(&persons); err != nil {
		t.Fatal(err)
	}
	if len(persons) != 3 { // Leyla and Ivan in this series, Amina in the other
		t.Errorf("person keys: %v", persons)
	}
	for _, p := range persons {
		if len(p) != 32 || p == "leyla@example.com" {
			t.Errorf("person key %q", p)
		}
	}
	after, err := reports.SeriesFigures(app, s.Id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if after.Sessions != before.Sessions || after.AverageCheckedIn != before.AverageCheckedIn || len(after.Returning) != 3 ||
		after.Returning["2"] != before.Returning["2"] || after.Returning["4"] != before.Returning["4"] || after.Returning["8"] != before.Returning["8"] {
		t.Errorf("the report changed with the erasure: %+v → %+v", before, after)
	}
}
