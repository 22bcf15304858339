package manage_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
)

const csrf = "cccccccccccccccccccccccccccccccccccccccccc0"

func TestConsole(t *testing.T) {
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := kopatest.Volunteer(t, src, "vol@example.com", nil, []string{"door"})
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Kultūršoks", Kind: "club", Capacity: 10})
	amina := kopatest.Registration(t, src, ev, "Amina", "amina@example.com", "confirmed")
	ru := kopatest.Registration(t, src, ev, "Мария", "maria@example.com", "waitlisted")
	ru.Set("locale", "ru")
	if err := src.Save(ru); err != nil {
		t.Fatal(err)
	}
	orgTok, volTok := kopatest.Token(t, org), kopatest.Token(t, vol)
	orgH := map[string]string{"Cookie": "kopa_session=" + orgTok + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	volH := map[string]string{"Cookie": "kopa_session=" + volTok}
	form := func(v url.Values) *strings.Reader { v.Set("csrf", csrf); return strings.NewReader(v.Encode()) }
	start := time.Now().In(time.UTC).AddDate(0, 0, 10).Format("2006-01-02")

	scenarios := []tests.ApiScenario{
		{Name: "anonymous is sent to the login", Method: http.MethodGet, URL: "/manage", ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
			if !strings.HasPrefix(res.Header.Get("Location"), "/manage/login?next=") {
				t.Errorf("location %q", res.Header.Get("Location"))
			}
		}},
		{Name: "a volunteer may not", Method: http.MethodGet, URL: "/manage", Headers: volH, ExpectedStatus: 403, ExpectedContent: []string{"Nav piekļuves"}},
		{Name: "the organiser sees events with counts", Method: http.MethodGet, URL: "/manage?lang=en", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Kultūršoks (en)", "0 / 1 / 10 (+1)", "/manage/events/" + ev.Id + "/scan", "/api/events/" + ev.Id + "/registrations.csv"}},
		{Name: "a form without the CSRF token is refused", Method: http.MethodPost, URL: "/manage/events/new",
			Headers: map[string]string{"Cookie": "kopa_session=" + orgTok, "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader("title_lv=X"), ExpectedStatus: 403, ExpectedContent: []string{"Forma ir novecojusi"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("events"); n != 1 {
					t.Error("an event was created without a CSRF token")
				}
			}},
		{Name: "create a published event in three languages", Method: http.MethodPost, URL: "/manage/events/new", Headers: orgH,
			Body: form(url.Values{"kind": {"discussion"}, "status": {"published"}, "title_lv": {"Vietējo bailes"}, "title_en": {"Locals' fears"}, "title_ru": {"Страхи местных"},
				"summary_lv": {"Saruna"}, "venue": {"Rīga"}, "starts_at": {start + "T18:00"}, "ends_at": {start + "T20:00"}, "capacity": {"30"}, "waitlist": {"1"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindFirstRecordByData("events", "title_lv", "Vietējo bailes")
				if err != nil {
					t.Fatal(err)
				}
				if r.GetString("title_ru") != "Страхи местных" || r.GetInt("capacity") != 30 || !r.GetBool("waitlist") || r.GetString("status") != "published" {
					t.Errorf("stored %v", r.PublicExport())
				}
				// 18:00 in Riga in winter is 16:00 UTC.
				if h := r.GetDateTime("starts_at").Time().UTC().Hour(); h != 16 {
					t.Errorf("start hour UTC %d, want 16", h)
				}
			}},
		{Name: "an event that ends before it starts", Method: http.MethodPost, URL: "/manage/events/new", Headers: orgH,
			Body:           form(url.Values{"kind": {"club"}, "status": {"draft"}, "title_lv": {"X"}, "starts_at": {start + "T18:00"}, "ends_at": {start + "T17:00"}, "capacity": {"0"}}),
			ExpectedStatus: 400, ExpectedContent: []string{"Beigām jābūt pēc sākuma", `value="X"`}},
		{Name: "cancelling mails everyone registered in their language", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/cancel", Headers: orgH, Body: form(url.Values{}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows, _ := app.FindAllRecords(outbox.Collection)
				subjects := map[string]string{}
				for _, r := range rows {
					subjects[r.GetString("to")] = r.GetString("subject")
				}
				if !strings.HasPrefix(subjects["amina@example.com"], "Pasākums atcelts") || !strings.HasPrefix(subjects["maria@example.com"], "Мероприятие отменено") {
					t.Errorf("cancellation mails %v", subjects)
				}
				e, _ := app.FindRecordById("events", ev.Id)
				if e.GetString("status") != "cancelled" {
					t.Error("not cancelled")
				}
			}},
		{Name: "a weekly series", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/repeat", Headers: orgH, Body: form(url.Values{"weeks": {"3"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows, _ := app.FindRecordsByFilter("events", "title_lv = 'Kultūršoks'", "starts_at", 10, 0)
				if len(rows) != 4 {
					t.Fatalf("%d sessions", len(rows))
				}
				for i := 1; i < 4; i++ {
					gap := rows[i].GetDateTime("starts_at").Time().Sub(rows[i-1].GetDateTime("starts_at").Time())
					if gap < 6*24*time.Hour || gap > 8*24*time.Hour {
						t.Errorf("session %d is %v after the previous", i, gap)
					}
				}
			}},
		{Name: "registrations with manual check-in", Method: http.MethodGet, URL: "/manage/events/" + ev.Id + "/registrations?lang=en", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Amina", "amina@example.com", "Мария", `name="registration" value="` + amina.Id + `"`}},
		{Name: "search", Method: http.MethodGet, URL: "/manage/events/" + ev.Id + "/registrations?q=мар", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Мария"}, NotExpectedContent: []string{"amina@example.com"}},
		{Name: "manual check-in", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/checkin", Headers: orgH, Body: form(url.Values{"registration": {amina.Id}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if !strings.HasSuffix(res.Header.Get("Location"), "notice=ok") {
					t.Errorf("location %q", res.Header.Get("Location"))
				}
				if n, _ := app.CountRecords("checkins"); n != 1 {
					t.Error("not checked in")
				}
			}},
		{Name: "walk-in", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/walkin", Headers: orgH, Body: form(url.Values{"name": {"Nadia"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if _, err := app.FindFirstRecordByData("registrations", "name", "Nadia"); err != nil {
					t.Error("walk-in not registered")
				}
			}},
		{Name: "reports page", Method: http.MethodGet, URL: "/manage/reports?from=2020-01-01&to=2022-12-31", Headers: orgH, ExpectedStatus: 200, ExpectedContent: []string{"Pārskati", "/api/reports/attendance.csv?from=2020-01-01&amp;to=2022-12-31"}},
		{Name: "reports page with a bad period", Method: http.MethodGet, URL: "/manage/reports?from=x&to=y", Headers: orgH, ExpectedStatus: 400, ExpectedContent: []string{"Pārbaudiet periodu"}},
		{Name: "settings", Method: http.MethodPost, URL: "/manage/settings", Headers: orgH, Body: form(url.Values{"retention_days": {"14"}, "org_name": {"Drošā māja"}, "contact_email": {"info@example.org"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows, _ := app.FindAllRecords("kopa_settings")
				if len(rows) != 1 || rows[0].GetInt("retention_days") != 14 || rows[0].GetString("org_name") != "Drošā māja" {
					t.Errorf("settings not saved")
				}
			}},
		{Name: "settings refuse nonsense", Method: http.MethodPost, URL: "/manage/settings", Headers: orgH, Body: form(url.Values{"retention_days": {"0"}}), ExpectedStatus: 400, ExpectedContent: []string{"1–3650"}},
		{Name: "mail page", Method: http.MethodGet, URL: "/manage/mail", Headers: orgH, ExpectedStatus: 200, ExpectedContent: []string{"Nenosūtītās vēstules"}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
