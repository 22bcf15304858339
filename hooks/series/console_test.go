package series_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/series"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

const csrf = "cccccccccccccccccccccccccccccccccccccccccc0"

func form(v url.Values) *strings.Reader {
	v.Set("csrf", csrf)
	return strings.NewReader(v.Encode())
}

// newSeriesForm is a valid series form: Wednesdays at 18:30 from a week
// ahead, for weeks weeks.
func newSeriesForm(weeks string) url.Values {
	first := time.Now().In(i18n.Riga).AddDate(0, 0, 7)
	return url.Values{"kind": {"club"}, "title_lv": {"Sarunu klubs"}, "title_en": {"Conversation club"}, "venue": {"Kopā"},
		"capacity": {"12"}, "waitlist": {"1"}, "weekday": {"3"}, "start_time": {"18:30"}, "length_minutes": {"90"},
		"first_date": {first.Format(domain.DateLayout)}, "weeks": {weeks}, "skip_dates": {""}, "publish": {"1"}}
}

// TestConsoleSeries: an organiser creates a weekly series with its
// sessions, 0 or 200 weeks are refused changing nothing, every future
// session is edited at once (their people are told of the new time), the
// series is extended, and one session's shifts are copied to the others.
func TestConsoleSeries(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	h := map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org) + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	s, sessions := newSeries(t, src, seriesOpts{Weeks: 3, Capacity: 5, Waitlist: true})
	kopatest.Registration(t, src, sessions[1], "Amina", "amina@example.com", domain.RegistrationConfirmed)
	kopatest.Shift(t, src, sessions[0], domain.SkillDoor, sessions[0].GetDateTime("starts_at").Time().Add(-30*time.Minute), sessions[0].GetDateTime("ends_at").Time())
	factory := kopatest.CloneFactory(src, hooks.Default)
	none := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords(domain.Series); n != 1 {
			t.Errorf("%d series", n)
		}
		if n, _ := app.CountRecords(domain.Events); n != 3 {
			t.Errorf("%d events", n)
		}
	}
	changed := newSeriesForm("3")
	changed.Set("title_lv", "Sarunu klubs")
	changed.Set("start_time", "19:00")
	changed.Set("first_date", s.GetString("first_date"))
	changed.Set("weekday", s.GetString("weekday"))
	for _, sc := range []tests.ApiScenario{
		{Name: "create a series", Method: http.MethodPost, URL: "/manage/series/new", Headers: h, Body: form(newSeriesForm("4")),
			ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				rows, _ := app.FindRecordsByFilter(domain.Series, "id != {:id}", "", 0, 0, dbx.Params{"id": s.Id})
				if len(rows) != 1 {
					t.Fatalf("%d new series", len(rows))
				}
				if want := "/manage/series/" + rows[0].Id + "?done=created&n=4"; res.Header.Get("Location") != want {
					t.Errorf("location %q, want %q", res.Header.Get("Location"), want)
				}
				list, _ := series.Sessions(app, rows[0].Id)
				for i, ev := range list {
					st := ev.GetDateTime("starts_at").Time().In(i18n.Riga)
					if st.Weekday() != time.Wednesday || st.Format("15:04") != "18:30" || domain.EventStatusOf(ev) != domain.EventPublished ||
						ev.GetInt("capacity") != 12 || ev.GetString("title_en") != "Conversation club" {
						t.Errorf("session %d: %v %s", i, st, ev.GetString("status"))
					}
				}
				if len(list) != 4 {
					t.Errorf("%d sessions", len(list))
				}
			}},
		{Name: "0 weeks", Method: http.MethodPost, URL: "/manage/series/new", Headers: h, Body: form(newSeriesForm("0")),
			ExpectedStatus: 400, ExpectedContent: []string{"Kopā no 1 līdz 104"}, AfterTestFunc: none},
		{Name: "200 weeks", Method: http.MethodPost, URL: "/manage/series/new", Headers: h, Body: form(newSeriesForm("200")),
			ExpectedStatus: 400, ExpectedContent: []string{"Kopā no 1 līdz 104"}, AfterTestFunc: none},
		{Name: "edit every future session", Method: http.MethodPost, URL: "/manage/series/" + s.Id, Headers: h, Body: form(changed),
			ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if want := "/manage/series/" + s.Id + "?done=updated&n=3"; res.Header.Get("Location") != want {
					t.Errorf("location %q, want %q", res.Header.Get("Location"), want)
				}
				list, _ := series.Sessions(app, s.Id)
				for i, ev := range list {
					if got := ev.GetDateTime("starts_at").Time().In(i18n.Riga).Format("15:04"); got != "19:00" || ev.GetInt("capacity") != 12 {
						t.Errorf("session %d at %s, %d seats", i, got, ev.GetInt("capacity"))
					}
				}
				// Amina is told of the new time; the shift moved too.
				if n, _ := app.CountRecords(domain.EventChanges, dbx.HashExp{"event": sessions[1].Id}); n != 1 {
					t.Errorf("%d changes recorded for the session with a registration", n)
				}
				shifts, _ := app.FindAllRecords(domain.Shifts)
				if len(shifts) != 1 || shifts[0].GetDateTime("starts_at").Time().In(i18n.Riga).Format("15:04") != "18:30" {
					t.Errorf("the shift did not move with its session")
				}
			}},
		{Name: "extend", Method: http.MethodPost, URL: "/manage/series/" + s.Id + "/extend", Headers: h, Body: form(url.Values{"more_weeks": {"2"}, "publish": {"1"}}),
			ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if list, _ := series.Sessions(app, s.Id); len(list) != 5 {
					t.Errorf("%d sessions after extending by 2", len(list))
				}
			}},
		{Name: "extend past 104 weeks", Method: http.MethodPost, URL: "/manage/series/" + s.Id + "/extend", Headers: h, Body: form(url.Values{"more_weeks": {"102"}}),
			ExpectedStatus: 400, ExpectedContent: []string{"Kopā no 1 līdz 104"}, AfterTestFunc: none},
		{Name: "copy one session's shifts", Method: http.MethodPost, URL: "/manage/series/" + s.Id + "/shifts", Headers: h, Body: form(url.Values{"from": {sessions[0].Id}}),
			ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				for _, ev := range sessions[1:] {
					shifts, _ := app.FindRecordsByFilter(domain.Shifts, "event = {:e}", "", 0, 0, dbx.Params{"e": ev.Id})
					if len(shifts) != 1 || shifts[0].GetDateTime("starts_at").Time().Sub(ev.GetDateTime("starts_at").Time()) != -30*time.Minute {
						t.Errorf("session %s: shifts %v", ev.Id, shifts)
					}
				}
				if !strings.Contains(res.Header.Get("Location"), "done=shifts&n=2") {
					t.Errorf("location %q", res.Header.Get("Location"))
				}
			}},
		{Name: "the series page in Russian", Method: http.MethodGet, URL: "/manage/series/" + s.Id + "?lang=ru&done=shifts&n=2", Headers: h,
			ExpectedStatus: 200, ExpectedContent: []string{"Скопированы 2 смены.", "Сохранить и обновить все будущие встречи", `action="/manage/series/` + s.Id + `/extend"`}},
		{Name: "a session's console page links to its series", Method: http.MethodGet, URL: "/manage/events/" + sessions[0].Id + "?lang=en", Headers: h,
			ExpectedStatus: 200, ExpectedContent: []string{`href="/manage/series/` + s.Id + `"`}},
		{Name: "not for the public", Method: http.MethodGet, URL: "/manage/series/" + s.Id, ExpectedStatus: 303},
	} {
		sc.TestAppFactory = factory
		sc.Test(t)
	}
}
