package reports_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

// TestNoShowOnlyOnceEnded: an event has a no-show rate once it is over.
// Before (next week, or under way) nobody has failed to come yet: its
// cell is empty, the kind's rate counts only its events that have ended,
// and a kind with only events ahead has none. The JSON answer keeps the
// contract's fields.
func TestNoShowOnlyOnceEnded(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	now := time.Now()
	past := kopatest.Event(t, src, kopatest.EventOpts{Title: "Vakar", Kind: "discussion", Starts: now.Add(-26 * time.Hour)})
	ahead := kopatest.Event(t, src, kopatest.EventOpts{Title: "Nākamnedēļ", Kind: "discussion", Starts: now.Add(7 * 24 * time.Hour)})
	under := kopatest.Event(t, src, kopatest.EventOpts{Title: "Tagad", Kind: "culture", Starts: now.Add(-time.Hour)})
	for i, n := range []string{"A", "B"} {
		r := kopatest.Registration(t, src, past, n, n+"@example.com", "confirmed")
		if i == 0 {
			if _, err := checkin.CheckIn(src, past.Id, r.GetString("ticket"), "qr", past.GetDateTime("starts_at").Time()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range []string{"C", "D", "E", "F", "G"} {
		kopatest.Registration(t, src, ahead, n, n+"@example.com", "confirmed")
	}
	for i, n := range []string{"H", "I", "J", "K"} {
		r := kopatest.Registration(t, src, under, n, n+"@example.com", "confirmed")
		if i == 0 {
			if _, err := checkin.CheckIn(src, under.Id, r.GetString("ticket"), "qr", now); err != nil {
				t.Fatal(err)
			}
		}
	}
	org := map[string]string{"Authorization": kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))}
	day := func(t time.Time) string { return t.In(i18n.Riga).Format("2006-01-02") }
	period := "from=" + day(now.AddDate(0, 0, -3)) + "&to=" + day(now.AddDate(0, 0, 10))
	scenarios := []tests.ApiScenario{
		{Name: "CSV", Method: http.MethodGet, URL: "/api/reports/attendance.csv?" + period, Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{
				past.Id + ",discussion,Vakar,", ",1,0,2,1,50\r\n",
				ahead.Id + ",discussion,Nākamnedēļ,", ",1,0,5,0,\r\n",
				under.Id + ",culture,Tagad,", ",1,0,4,1,\r\n",
				",discussion,total,,2,,7,1,50\r\n", ",culture,total,,1,,4,1,\r\n", ",club,total,,0,,0,0,0\r\n"},
			NotExpectedContent: []string{",85\r\n", ",100\r\n", ",75\r\n"}},
		{Name: "JSON keeps its fields", Method: http.MethodGet, URL: "/api/reports/attendance?" + period, Headers: org, ExpectedStatus: 200,
			ExpectedContent:    []string{`"discussion":{"events":2,"registered":7,"checked_in":1}`, `"culture":{"events":1,"registered":4,"checked_in":1}`},
			NotExpectedContent: []string{"ended", "no_show", "Ended"}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
