package live_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// TestDashboardPage pins who may open the dashboard and what the page holds
// before its script runs.
func TestDashboardPage(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.org")
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Kultūršoks", Capacity: 40})
	a := kopatest.Registration(t, src, ev, "Amina Haddad", "amina@example.org", "confirmed")
	kopatest.Registration(t, src, ev, "Farid Rahimi", "farid@example.org", "confirmed")
	kopatest.Registration(t, src, ev, "Ilze Ozola", "ilze@example.org", "waitlisted")
	checkin(t, src, a)
	now := time.Now()
	door := kopatest.Volunteer(t, src, "door@example.org", []string{"lv"}, []string{"door"})
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", now.Add(-time.Hour), now.Add(time.Hour)), door, "accepted")
	idle := kopatest.Volunteer(t, src, "idle@example.org", []string{"lv"}, []string{"door"})
	factory := kopatest.CloneFactory(src, hooks.Default)

	cookie := func(rec interface{ NewAuthToken() (string, error) }) map[string]string {
		tok, err := rec.NewAuthToken()
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"Cookie": "kopa_session=" + tok}
	}
	page := "/manage/events/" + ev.Id + "/live"
	scenarios := []tests.ApiScenario{
		{
			Name: "signed out: to the login page and back", Method: http.MethodGet, URL: page,
			ExpectedStatus: 303, ExpectedContent: []string{},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/manage/login?next="+url.QueryEscape(page) {
					t.Errorf("Location %q", loc)
				}
			},
		},
		{
			Name: "organiser, English", Method: http.MethodGet, URL: page + "?lang=en", Headers: cookie(org),
			ExpectedStatus: 200,
			ExpectedContent: []string{
				`<html lang="en">`, "Kultūršoks (en)", "Live attendance", `id="live-checked-in">1<`, `id="live-confirmed">2<`,
				`id="live-expected">1<`, `id="live-capacity">40<`, `id="live-waitlisted">1<`, `<progress id="live-bar" max="40" value="1">`,
				"Hall filled: 2 %", `src="/static/js/session.js?v=`, `src="/static/js/live.js?v=`, `href="/static/css/live.css?v=`,
				`data-event="` + ev.Id + `"`, `<meta name="csrf-token"`,
			},
			NotExpectedContent: []string{"Amina", "amina@example.org", a.GetString("ticket"), "<script>", "style=", `class="live projector"`},
		},
		{
			Name: "projector mode, Russian", Method: http.MethodGet, URL: page + "?projector=1&lang=ru", Headers: cookie(org),
			ExpectedStatus: 200, ExpectedContent: []string{`class="live projector"`, "Выйти из режима проектора", "Посещаемость в реальном времени"},
		},
		{
			Name: "door volunteer on shift, Latvian", Method: http.MethodGet, URL: page, Headers: cookie(door),
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="lv">`, "Apmeklējums reāllaikā", "Ieradušies"},
		},
		{
			Name: "volunteer without a door shift", Method: http.MethodGet, URL: page + "?lang=en", Headers: cookie(idle),
			ExpectedStatus: 403, ExpectedContent: []string{"No access", "door volunteers of this event"},
			NotExpectedContent: []string{"Kultūršoks"},
		},
		{
			Name: "unknown event", Method: http.MethodGet, URL: "/manage/events/nosuchevent123/live?lang=en", Headers: cookie(org),
			ExpectedStatus: 404, ExpectedContent: []string{"Page not found"},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}
