package manage_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

// csrf is the browser's CSRF cookie and form token in these tests.
const csrf = "cccccccccccccccccccccccccccccccccccccccccc0"

// consoleFixture is an app with an organiser, a door volunteer and a club
// session with two registrations, one in Russian.
type consoleFixture struct {
	src          *tests.TestApp
	ev, past     *core.Record
	amina, maria *core.Record
	orgTok       string
	orgH, volH   map[string]string
}

func newConsoleFixture(t *testing.T) consoleFixture {
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := kopatest.Volunteer(t, src, "vol@example.com", nil, []string{"door"})
	f := consoleFixture{src: src}
	f.ev = kopatest.Event(t, src, kopatest.EventOpts{Title: "Kultūršoks", Kind: "club", Capacity: 10, Waitlist: true})
	f.past = kopatest.Event(t, src, kopatest.EventOpts{Title: "Pagājušais", Starts: time.Now().AddDate(0, 0, -20)})
	f.amina = kopatest.Registration(t, src, f.ev, "Amina", "amina@example.com", "confirmed")
	f.maria = kopatest.Registration(t, src, f.ev, "Мария", "maria@example.com", "waitlisted")
	f.maria.Set("locale", "ru")
	if err := src.Save(f.maria); err != nil {
		t.Fatal(err)
	}
	f.orgTok = kopatest.Token(t, org)
	f.orgH = map[string]string{"Cookie": "kopa_session=" + f.orgTok + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	f.volH = map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, vol) + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	return f
}

func form(v url.Values) *strings.Reader {
	v.Set("csrf", csrf)
	return strings.NewReader(v.Encode())
}

func location(want string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		if got := res.Header.Get("Location"); got != want {
			t.Errorf("location %q, want %q", got, want)
		}
	}
}

// mails returns the subject of each queued mail by recipient.
// mails gives the subject of each queued mail by recipient, as the outbox
// would write it now (most mails are written when they are sent).
func mails(app core.App) map[string][]string {
	rows, _ := app.FindAllRecords(outbox.Collection)
	out := map[string][]string{}
	for _, r := range rows {
		subject := r.GetString("subject")
		if msg, err := outbox.Content(app, r); err == nil {
			subject = msg.Subject
		}
		out[r.GetString("to")] = append(out[r.GetString("to")], subject)
	}
	return out
}

func run(t *testing.T, src *tests.TestApp, scenarios []tests.ApiScenario) {
	t.Helper()
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

func TestConsoleAccess(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	var scenarios []tests.ApiScenario
	for _, path := range []string{"/manage", "/manage/events/new", "/manage/events/" + f.ev.Id, "/manage/events/" + f.ev.Id + "/registrations",
		"/manage/events/" + f.ev.Id + "/registrations.csv", "/manage/reports", "/manage/reports.csv?from=2026-01-01&to=2026-01-31", "/manage/settings", "/manage/mail",
		"/manage/events/" + f.ev.Id + "/registrations.xlsx", "/manage/reports.xlsx?from=2026-01-01&to=2026-01-31"} {
		scenarios = append(scenarios,
			tests.ApiScenario{Name: "anonymous is sent to the login: " + path, Method: http.MethodGet, URL: path, ExpectedStatus: 303,
				AfterTestFunc: location("/manage/login?next=" + url.QueryEscape(path))},
			tests.ApiScenario{Name: "a volunteer may not: " + path, Method: http.MethodGet, URL: path, Headers: f.volH, ExpectedStatus: 403,
				ExpectedContent: []string{"Nav piekļuves"}, NotExpectedContent: []string{"amina@example.com", "Amina"}},
		)
	}
	for _, path := range []string{"/manage/events/new", "/manage/events/" + f.ev.Id + "/cancel", "/manage/events/" + f.ev.Id + "/walkin", "/manage/settings", "/manage/mail/retry"} {
		scenarios = append(scenarios, tests.ApiScenario{
			Name: "a form without the CSRF token is refused: " + path, Method: http.MethodPost, URL: path,
			Headers: map[string]string{"Cookie": "kopa_session=" + f.orgTok + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader("title_lv=X&confirm=1&name=Y&retention_days=5"), ExpectedStatus: 403, ExpectedContent: []string{"Forma ir novecojusi"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("events"); n != 2 {
					t.Error("an event was created without a CSRF token")
				}
				if n, _ := app.CountRecords("registrations"); n != 2 {
					t.Error("a walk-in was registered without a CSRF token")
				}
				if e, _ := app.FindRecordById("events", f.ev.Id); e.GetString("status") != "published" {
					t.Error("the event was cancelled without a CSRF token")
				}
			},
		})
	}
	run(t, f.src, scenarios)
}

func TestConsoleEvents(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	draft := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Melnraksts", Status: "draft"})
	kopatest.Registration(t, f.src, f.ev, "Olek", "olek@example.com", "cancelled")
	// A winter date: the series below crosses into summer time.
	winter := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Sarunu klubs", Kind: "club", Starts: time.Date(2027, 3, 16, 16, 0, 0, 0, time.UTC)})
	start := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	orgJSON := map[string]string{"Authorization": f.orgTok, "Content-Type": "application/json"}
	door := kopatest.Shift(t, f.src, f.ev, "door", f.ev.GetDateTime("starts_at").Time().Add(-30*time.Minute), f.ev.GetDateTime("ends_at").Time())
	helper := kopatest.Volunteer(t, f.src, "helper@example.com", nil, []string{"door"})
	kopatest.Assignment(t, f.src, door, helper, "accepted")

	run(t, f.src, []tests.ApiScenario{
		{Name: "an event's page shows its shifts and how full they are", Method: http.MethodGet, URL: "/manage/events/" + f.ev.Id + "?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`class="shift-summary"`, "Door and welcome", "1 of 2 places filled"}},
		{Name: "an event without shifts shows none", Method: http.MethodGet, URL: "/manage/events/" + draft.Id + "?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			NotExpectedContent: []string{`class="shift-summary"`}},
		{Name: "the organiser sees events with counts", Method: http.MethodGet, URL: "/manage?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Kultūršoks (en)", "0 / 1 / 10", "+1 waiting", "Melnraksts", "/manage/events/" + f.ev.Id + "/scan",
				"/manage/events/" + f.ev.Id + "/live", "/manage/events/" + f.ev.Id + "/shifts", "/manage/events/" + f.ev.Id + "/registrations.csv"},
			NotExpectedContent: []string{"Pagājušais"}},
		{Name: "past events on request", Method: http.MethodGet, URL: "/manage?past=1", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Pagājušais", "Kultūršoks"}},
		{Name: "the new event form", Method: http.MethodGet, URL: "/manage/events/new?lang=ru", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent:    []string{"Новое мероприятие", `name="csrf"`, `type="datetime-local"`, `value="draft"`, `value="published"`},
			NotExpectedContent: []string{`value="cancelled"`}},
		{Name: "create a published event in three languages", Method: http.MethodPost, URL: "/manage/events/new", Headers: f.orgH,
			Body: form(url.Values{"kind": {"discussion"}, "status": {"published"}, "title_lv": {"Vietējo bailes"}, "title_en": {"Locals' fears"}, "title_ru": {"Страхи местных"},
				"summary_lv": {"Saruna"}, "summary_en": {"A talk"}, "summary_ru": {"Беседа"}, "venue": {"Rīga"},
				"starts_at": {"2026-12-01T18:00"}, "ends_at": {"2026-12-01T20:30"}, "capacity": {"30"}, "waitlist": {"1"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindFirstRecordByData("events", "title_lv", "Vietējo bailes")
				if err != nil {
					t.Fatal(err)
				}
				if r.GetString("title_ru") != "Страхи местных" || r.GetString("summary_en") != "A talk" || r.GetInt("capacity") != 30 || !r.GetBool("waitlist") || r.GetString("status") != "published" {
					t.Errorf("stored %v", r.PublicExport())
				}
				// 18:00 in Riga in winter is 16:00 UTC.
				if got := r.GetDateTime("starts_at").String(); got != "2026-12-01 16:00:00.000Z" {
					t.Errorf("starts_at %s", got)
				}
				if got := r.GetDateTime("ends_at").String(); got != "2026-12-01 18:30:00.000Z" {
					t.Errorf("ends_at %s", got)
				}
				location("/manage/events/"+r.Id+"?notice=saved")(t, app, res)
			}},
		{Name: "summer time: 18:00 in Riga is 15:00 UTC", Method: http.MethodPost, URL: "/manage/events/" + draft.Id, Headers: f.orgH,
			Body:           form(url.Values{"kind": {"culture"}, "status": {"draft"}, "title_lv": {"Melnraksts"}, "starts_at": {"2027-07-01T18:00"}, "ends_at": {"2027-07-01T19:00"}, "capacity": {"0"}}),
			ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, _ := app.FindRecordById("events", draft.Id)
				if got := r.GetDateTime("starts_at").String(); got != "2027-07-01 15:00:00.000Z" || r.GetString("kind") != "culture" {
					t.Errorf("starts_at %s kind %s", got, r.GetString("kind"))
				}
			}},
		{Name: "the edit form shows Riga time", Method: http.MethodGet, URL: "/manage/events/" + winter.Id, Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`value="2027-03-16T18:00"`, `value="2027-03-16T20:00"`}},
		{Name: "an event that ends before it starts", Method: http.MethodPost, URL: "/manage/events/new", Headers: f.orgH,
			Body:           form(url.Values{"kind": {"club"}, "status": {"draft"}, "title_lv": {"X"}, "starts_at": {start + "T18:00"}, "ends_at": {start + "T17:00"}, "capacity": {"0"}}),
			ExpectedStatus: 400, ExpectedContent: []string{"Beigām jābūt pēc sākuma", `value="X"`, `aria-invalid="true"`}},
		{Name: "missing title, bad dates and seats", Method: http.MethodPost, URL: "/manage/events/new?lang=en", Headers: f.orgH,
			Body:           form(url.Values{"kind": {"club"}, "status": {"draft"}, "title_lv": {"  "}, "starts_at": {"tomorrow"}, "ends_at": {""}, "capacity": {"-3"}}),
			ExpectedStatus: 400, ExpectedContent: []string{"A Latvian title is required.", "Enter a date and time.", "Seats must be 0 or more.", `value="-3"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("events"); n != 4 {
					t.Errorf("%d events", n)
				}
			}},
		{Name: "an unknown kind is refused by the collection", Method: http.MethodPost, URL: "/manage/events/new?lang=en", Headers: f.orgH,
			Body:           form(url.Values{"kind": {"party"}, "status": {"draft"}, "title_lv": {"X"}, "starts_at": {start + "T18:00"}, "ends_at": {start + "T19:00"}, "capacity": {"0"}}),
			ExpectedStatus: 400, ExpectedContent: []string{"Could not save."}},
		{Name: "a title with a line break, sent by hand, is refused with what to fix", Method: http.MethodPost, URL: "/manage/events/new?lang=en", Headers: f.orgH,
			Body:           form(url.Values{"kind": {"club"}, "status": {"draft"}, "title_lv": {"Diskusija\r\nBcc: x"}, "venue": {"Rīga\tcentrs"}, "starts_at": {start + "T18:00"}, "ends_at": {start + "T19:00"}, "capacity": {"0"}}),
			ExpectedStatus: 400, ExpectedContent: []string{"Titles and the venue must be one line"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("events"); n != 4 {
					t.Errorf("%d events", n)
				}
			}},
		{Name: "an unknown event", Method: http.MethodGet, URL: "/manage/events/nosuchevent0000", Headers: f.orgH, ExpectedStatus: 404, ExpectedContent: []string{"<h1>"}},
		{Name: "publish a draft", Method: http.MethodPost, URL: "/manage/events/" + draft.Id + "/publish", Headers: f.orgH, Body: form(url.Values{}),
			ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/events/"+draft.Id+"?notice=published")(t, app, res)
				if r, _ := app.FindRecordById("events", draft.Id); r.GetString("status") != "published" {
					t.Error("not published")
				}
			}},
		{Name: "cancelling needs the box ticked", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/cancel", Headers: f.orgH, Body: form(url.Values{}),
			ExpectedStatus: 400, ExpectedContent: []string{"Atzīmējiet rūtiņu"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if r, _ := app.FindRecordById("events", f.ev.Id); r.GetString("status") != "published" {
					t.Error("cancelled without confirmation")
				}
				if n, _ := app.CountRecords(outbox.Collection); n != 0 {
					t.Error("mail queued")
				}
			}},
		{Name: "cancelling mails everyone registered in their language", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/cancel", Headers: f.orgH,
			Body: form(url.Values{"confirm": {"1"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/events/"+f.ev.Id+"?notice=cancelled")(t, app, res)
				m := mails(app)
				if len(m) != 3 || len(m["amina@example.com"]) != 1 || len(m["maria@example.com"]) != 1 {
					t.Fatalf("cancellation mails %v (the cancelled registration gets none)", m)
				}
				// The volunteer of its door shift is told too, in English.
				if v := m["helper@example.com"]; len(v) != 1 || v[0] != "Event cancelled: Kultūršoks (en)" {
					t.Errorf("the volunteer's cancellation mail %v", v)
				}
				if !strings.HasPrefix(m["amina@example.com"][0], "Pasākums atcelts: Kultūršoks") || !strings.HasPrefix(m["maria@example.com"][0], "Мероприятие отменено: Kultūršoks (ru)") {
					t.Errorf("cancellation mails %v", m)
				}
				r, _ := app.FindFirstRecordByData(outbox.Collection, "to", "maria@example.com")
				msg, err := outbox.Content(app, r)
				if err != nil {
					t.Fatal(err)
				}
				names := []string{}
				for _, a := range msg.Attachments {
					names = append(names, a.Name)
				}
				if !strings.Contains(msg.Text, "/privacy") || strings.Join(names, ",") != "event.ics" {
					t.Errorf("mail: %s / %v", msg.Text, names)
				}
				e, _ := app.FindRecordById("events", f.ev.Id)
				if e.GetString("status") != "cancelled" {
					t.Error("not cancelled")
				}
				// Registrations keep their status: the counts stay true.
				if a, _ := app.FindRecordById("registrations", f.amina.Id); a.GetString("status") != "confirmed" {
					t.Error("registration changed")
				}
				// Back on before the mail went out: it is not sent.
				e.Set("status", "published")
				if err := app.Save(e); err != nil {
					t.Fatal(err)
				}
				if _, err := outbox.Content(app, r); !errors.Is(err, outbox.ErrObsolete) {
					t.Errorf("the cancellation of an event that is back on: %v", err)
				}
				// Cancelled again while that mail still waits: it goes
				// out, once.
				e.Set("status", "cancelled")
				if err := app.Save(e); err != nil {
					t.Fatal(err)
				}
				if m := mails(app); len(m["maria@example.com"]) != 1 || len(m["amina@example.com"]) != 1 {
					t.Errorf("after cancelling again: %v", m)
				}
				if _, err := outbox.Content(app, r); err != nil {
					t.Errorf("the waiting mail after cancelling again: %v", err)
				}
			}},
		{Name: "cancelling twice mails once", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/cancel", Headers: f.orgH,
			Body: form(url.Values{"confirm": {"1"}}), ExpectedStatus: 303,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				e, _ := app.FindRecordById("events", f.ev.Id)
				e.Set("status", "cancelled")
				if err := app.Save(e); err != nil {
					t.Fatal(err)
				}
				e.Set("venue", "Citur")
				if err := app.Save(e); err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				// Two registrations and the door shift's volunteer.
				if n, _ := app.CountRecords(outbox.Collection); n != 3 {
					t.Errorf("%d mails", n)
				}
			}},
		{Name: "cancelling through the record API mails too", Method: http.MethodPatch, URL: "/api/collections/events/records/" + f.ev.Id, Headers: orgJSON,
			Body: strings.NewReader(`{"status":"cancelled"}`), ExpectedStatus: 200, ExpectedContent: []string{`"status":"cancelled"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if m := mails(app); len(m) != 3 || len(m["helper@example.com"]) != 1 {
					t.Errorf("cancellation mails %v", m)
				}
			}},
		{Name: "cancelling an event that is over mails nobody", Method: http.MethodPost, URL: "/manage/events/" + f.past.Id + "/cancel", Headers: f.orgH,
			Body: form(url.Values{"confirm": {"1"}}), ExpectedStatus: 303,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				kopatest.Registration(t, app, f.past, "Late", "late@example.com", "confirmed")
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if e, _ := app.FindRecordById("events", f.past.Id); e.GetString("status") != "cancelled" {
					t.Error("not cancelled")
				}
				if m := mails(app); len(m) != 0 {
					t.Errorf("mails %v", m)
				}
			}},
		{Name: "a cancelled event's form shows its status", Method: http.MethodGet, URL: "/manage/events/" + f.ev.Id + "?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				e, _ := app.FindRecordById("events", f.ev.Id)
				e.Set("status", "cancelled")
				if err := app.Save(e); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedContent: []string{"This event is cancelled.", `value="cancelled" selected`}, NotExpectedContent: []string{"/cancel"}},
		{Name: "a weekly series keeps the Riga time across summer time", Method: http.MethodPost, URL: "/manage/events/" + winter.Id + "/repeat", Headers: f.orgH,
			Body: form(url.Values{"weeks": {"3"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/events/"+winter.Id+"?repeated=3")(t, app, res)
				rows, _ := app.FindRecordsByFilter("events", "title_lv = 'Sarunu klubs'", "starts_at", 10, 0)
				if len(rows) != 4 {
					t.Fatalf("%d sessions", len(rows))
				}
				for i, want := range []string{"2027-03-16 18:00", "2027-03-23 18:00", "2027-03-30 18:00", "2027-04-06 18:00"} {
					got := rows[i].GetDateTime("starts_at").Time().In(i18n.Riga).Format("2006-01-02 15:04")
					end := rows[i].GetDateTime("ends_at").Time().Sub(rows[i].GetDateTime("starts_at").Time())
					if got != want || end != 2*time.Hour || rows[i].GetString("status") != "published" || rows[i].GetString("title_ru") != "Sarunu klubs (ru)" {
						t.Errorf("session %d: %s for %v, %s", i, got, end, rows[i].GetString("status"))
					}
				}
			}},
		{Name: "the series helper skips weeks that have the session", Method: http.MethodPost, URL: "/manage/events/" + winter.Id + "/repeat", Headers: f.orgH,
			Body: form(url.Values{"weeks": {"4"}}), ExpectedStatus: 303,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Kind: "club", Starts: time.Date(2027, 3, 30, 15, 0, 0, 0, time.UTC)})
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/events/"+winter.Id+"?repeated=3")(t, app, res)
				if n, _ := app.CountRecords("events", dbxTitle("Sarunu klubs")); n != 5 {
					t.Errorf("%d sessions", n)
				}
			}},
		{Name: "the series page says how many", Method: http.MethodGet, URL: "/manage/events/" + winter.Id + "?repeated=3&lang=ru", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Создано 3 встречи."}},
		{Name: "a series of nonsense weeks", Method: http.MethodPost, URL: "/manage/events/" + winter.Id + "/repeat", Headers: f.orgH,
			Body: form(url.Values{"weeks": {"99"}}), ExpectedStatus: 400, ExpectedContent: []string{"No 1 līdz 52"}},
	})
}

func TestConsoleRegistrations(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	full := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Pilns", Capacity: 1})
	kopatest.Registration(t, f.src, full, "Ivan", "ivan@example.com", "confirmed")
	other := kopatest.Registration(t, f.src, full, "Olek", "olek@example.com", "waitlisted")
	regs := "/manage/events/" + f.ev.Id + "/registrations"

	run(t, f.src, []tests.ApiScenario{
		{Name: "registrations with manual check-in", Method: http.MethodGet, URL: regs + "?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Amina", "amina@example.com", "Мария", "On the waiting list", `name="registration" value="` + f.amina.Id + `"`,
				"2 of 2 shown.", `href="/manage/events/` + f.ev.Id + `/registrations.csv"`, regs + "/" + f.amina.Id + "/erase"}},
		{Name: "search in any alphabet", Method: http.MethodGet, URL: regs + "?q=МАР", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Мария"}, NotExpectedContent: []string{"amina@example.com"}},
		{Name: "search by e-mail", Method: http.MethodGet, URL: regs + "?q=amina%40", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Amina"}, NotExpectedContent: []string{"maria@example.com"}},
		{Name: "filter by status", Method: http.MethodGet, URL: regs + "?status=waitlisted", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Мария", `value="waitlisted" selected`}, NotExpectedContent: []string{"amina@example.com"}},
		{Name: "the console's CSV", Method: http.MethodGet, URL: regs + ".csv", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"\ufeffname,email,status,locale,registered_at,checked_in_at,party,childcare,arrived\r\n", "Amina,amina@example.com,confirmed,lv,", "Мария,maria@example.com,waitlisted,ru,"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
					t.Errorf("content type %q", ct)
				}
				if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="registrations-`) {
					t.Errorf("disposition %q", cd)
				}
			}},
		{Name: "manual check-in", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/checkin", Headers: f.orgH, Body: form(url.Values{"registration": {f.amina.Id}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location(regs+"?notice=ok")(t, app, res)
				c, err := app.FindFirstRecordByData("checkins", "registration", f.amina.Id)
				if err != nil || c.GetString("method") != "manual" {
					t.Error("not checked in by hand")
				}
			}},
		{Name: "the page shows the check-in", Method: http.MethodGet, URL: regs + "?notice=ok&status=checked_in&lang=en", Headers: f.orgH, ExpectedStatus: 200,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				save(t, app, "checkins", map[string]any{"registration": f.amina.Id, "event": f.ev.Id, "at": "2026-12-01 16:05:00.000Z", "method": "manual"})
			},
			ExpectedContent: []string{"Checked in.", "Amina", "18:05", "(by hand)"}, NotExpectedContent: []string{"maria@example.com"}},
		{Name: "a waiting registration is not checked in", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/checkin", Headers: f.orgH, Body: form(url.Values{"registration": {f.maria.Id}}),
			ExpectedStatus: 303, AfterTestFunc: location(regs + "?notice=waitlisted")},
		{Name: "another event's registration", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/checkin", Headers: f.orgH, Body: form(url.Values{"registration": {other.Id}}),
			ExpectedStatus: 303, AfterTestFunc: location(regs + "?notice=wrong_event")},
		{Name: "walk-in", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/walkin", Headers: f.orgH, Body: form(url.Values{"name": {"Nadia"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location(regs+"?notice=ok")(t, app, res)
				r, err := app.FindFirstRecordByData("registrations", "name", "Nadia")
				if err != nil {
					t.Fatal("walk-in not registered")
				}
				if c, err := app.FindFirstRecordByData("checkins", "registration", r.Id); err != nil || c.GetString("method") != "walkin" {
					t.Error("walk-in not checked in")
				}
			}},
		{Name: "a walk-in at a full event", Method: http.MethodPost, URL: "/manage/events/" + full.Id + "/walkin", Headers: f.orgH, Body: form(url.Values{"name": {"Nadia"}}),
			ExpectedStatus: 303, AfterTestFunc: location("/manage/events/" + full.Id + "/registrations?notice=full")},
		{Name: "a walk-in at a full event, the organiser lets them in", Method: http.MethodPost, URL: "/manage/events/" + full.Id + "/walkin", Headers: f.orgH,
			Body: form(url.Values{"name": {"Nadia"}, "override": {"1"}}), ExpectedStatus: 303, AfterTestFunc: location("/manage/events/" + full.Id + "/registrations?notice=ok")},
		{Name: "a walk-in with a bad e-mail", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/walkin", Headers: f.orgH, Body: form(url.Values{"name": {"Nadia"}, "email": {"not an address"}}),
			ExpectedStatus: 303, AfterTestFunc: location(regs + "?notice=invalid")},
		{Name: "a walk-in at an unknown event", Method: http.MethodPost, URL: "/manage/events/nosuchevent0000/walkin", Headers: f.orgH, Body: form(url.Values{"name": {"Nadia"}}),
			ExpectedStatus: 404, ExpectedContent: []string{"<h1>"}},
		{Name: "an unknown notice is not shown", Method: http.MethodGet, URL: regs + "?notice=<script>", Headers: f.orgH, ExpectedStatus: 200,
			NotExpectedContent: []string{"manage.notice", "<script>"}},
		{Name: "erasure asks first", Method: http.MethodGet, URL: regs + "/" + f.maria.Id + "/erase?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Erase personal data", "Мария", "maria@example.com", `name="csrf"`}},
		{Name: "erase on request", Method: http.MethodPost, URL: regs + "/" + f.maria.Id + "/erase", Headers: f.orgH, Body: form(url.Values{}),
			ExpectedStatus: 303,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				if _, err := outbox.EnqueueRaw(app, outbox.Message{To: "maria@example.com", Subject: "Билет", Text: "x", Kind: "ticket_waitlisted", Ref: f.maria.Id}); err != nil {
					t.Fatal(err)
				}
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location(regs+"?notice=erased")(t, app, res)
				r, _ := app.FindRecordById("registrations", f.maria.Id)
				if r.GetString("name") != "" || r.GetString("email") != "" || r.GetDateTime("erased_at").IsZero() || r.GetString("status") != "waitlisted" {
					t.Errorf("not erased: %v", r.PublicExport())
				}
				if n, _ := app.CountRecords(outbox.Collection); n != 0 {
					t.Error("the mail to the erased address is still there")
				}
				if a, _ := app.FindRecordById("registrations", f.amina.Id); a.GetString("email") != "amina@example.com" {
					t.Error("someone else was erased")
				}
			}},
		{Name: "erase a registration of another event", Method: http.MethodPost, URL: regs + "/" + other.Id + "/erase", Headers: f.orgH, Body: form(url.Values{}),
			ExpectedStatus: 404, ExpectedContent: []string{"<h1>"}, AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if r, _ := app.FindRecordById("registrations", other.Id); r.GetString("name") != "Olek" {
					t.Error("erased through the wrong event")
				}
			}},
	})
}

func TestConsoleReportsSettingsAndMail(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	day := time.Date(2024, 12, 3, 16, 0, 0, 0, time.UTC) // a December that is over: its no-show rate is due
	disc := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Bēgļu nodarbinātība", Kind: "discussion", Capacity: 40, Starts: day})
	for _, n := range []string{"A", "B", "C", "D"} {
		kopatest.Registration(t, f.src, disc, n, strings.ToLower(n)+"@example.com", "confirmed")
	}
	failed, err := outbox.EnqueueRaw(f.src, outbox.Message{To: "bounce@example.com", Subject: "Biļete", Text: "x", Kind: "ticket_confirmed"})
	if err != nil {
		t.Fatal(err)
	}
	failed.Set("status", "failed")
	failed.Set("attempts", 8)
	failed.Set("last_error", "550 mailbox unavailable")
	if err := f.src.Save(failed); err != nil {
		t.Fatal(err)
	}

	run(t, f.src, []tests.ApiScenario{
		{Name: "reports page", Method: http.MethodGet, URL: "/manage/reports?from=2024-12-01&to=2024-12-31&lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Reports", "Bēgļu nodarbinātība (en)", "Discussions", "100%", "<svg", `class="reg"`, "by week", "25.11.", "30.12.",
				`href="/manage/reports.csv?from=2024-12-01&amp;to=2024-12-31"`},
			NotExpectedContent: []string{"a@example.com", "Pārskati"}},
		{Name: "a long period is drawn by month", Method: http.MethodGet, URL: "/manage/reports?from=2026-01-01&to=2026-12-31", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"pa mēnešiem", "01.2026", "12.2026"}},
		{Name: "reports page with a bad period", Method: http.MethodGet, URL: "/manage/reports?from=x&to=y", Headers: f.orgH, ExpectedStatus: 400, ExpectedContent: []string{"Pārbaudiet periodu"}},
		{Name: "the default period", Method: http.MethodGet, URL: "/manage/reports", Headers: f.orgH, ExpectedStatus: 200, ExpectedContent: []string{`type="date" required value="20`}},
		{Name: "the report's CSV for the console", Method: http.MethodGet, URL: "/manage/reports.csv?from=2024-12-01&to=2024-12-31", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"\ufeffid,kind,title,starts_at,events,capacity,registered,checked_in,no_show_percent\r\n", ",discussion,total,,1,,4,0,100\r\n"}},
		{Name: "the report's CSV with a bad period", Method: http.MethodGet, URL: "/manage/reports.csv?from=2024-12-31&to=2024-12-01", Headers: f.orgH, ExpectedStatus: 400, ExpectedContent: []string{"Pārbaudiet periodu"}},
		{Name: "settings", Method: http.MethodGet, URL: "/manage/settings?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`name="retention_days"`, `value="30"`, "“0 3 * * *”", "keeps the last 7"}},
		{Name: "save settings", Method: http.MethodPost, URL: "/manage/settings", Headers: f.orgH,
			Body:           form(url.Values{"retention_days": {"14"}, "org_name": {"Drošā māja"}, "contact_email": {"Info@Example.org"}, "contact_phone": {"+371 20000000"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/settings?saved=1")(t, app, res)
				rows, _ := app.FindAllRecords("kopa_settings")
				if len(rows) != 1 || rows[0].GetInt("retention_days") != 14 || rows[0].GetString("org_name") != "Drošā māja" || rows[0].GetString("contact_email") != "info@example.org" {
					t.Errorf("settings not saved")
				}
			}},
		{Name: "settings refuse nonsense", Method: http.MethodPost, URL: "/manage/settings", Headers: f.orgH,
			Body:           form(url.Values{"retention_days": {"0"}, "contact_email": {"nobody"}, "org_name": {strings.Repeat("x", 201)}}),
			ExpectedStatus: 400, ExpectedContent: []string{"No 1 līdz 3650 dienām.", "Ievadiet derīgu e-pasta adresi.", "Pārāk garš."},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows, _ := app.FindAllRecords("kopa_settings")
				if rows[0].GetInt("retention_days") != 30 {
					t.Error("nonsense saved")
				}
			}},
		{Name: "the mail page shows failed mail and its error", Method: http.MethodGet, URL: "/manage/mail?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"bounce@example.com", "550 mailbox unavailable", "failed", "Retry now"}},
		{Name: "retry puts failed mail back in the queue", Method: http.MethodPost, URL: "/manage/mail/retry", Headers: f.orgH, Body: form(url.Values{}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/mail")(t, app, res)
				r, _ := app.FindRecordById(outbox.Collection, failed.Id)
				if r.GetString("status") != "pending" || r.GetInt("attempts") != 0 {
					t.Errorf("status %s attempts %d", r.GetString("status"), r.GetInt("attempts"))
				}
			}},
	})
}

// TestConsoleCSVReadsBack: the console's CSV reads back with encoding/csv.
func TestConsoleCSVReadsBack(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	app := kopatest.CloneFactory(f.src, hooks.Default)(t)
	defer app.Cleanup()
	srv := kopatest.Serve(t, app)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/manage/events/"+f.ev.Id+"/registrations.csv", nil)
	req.Header.Set("Cookie", f.orgH["Cookie"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != "Amina" || rows[2][0] != "Мария" || rows[2][3] != "ru" {
		t.Errorf("rows %q", rows)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("cache control %q", cc)
	}
}

func save(t testing.TB, app core.App, collection string, data map[string]any) *core.Record {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	r.Load(data)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func dbxTitle(title string) dbx.Expression { return dbx.HashExp{"title_lv": title} }

// TestConsoleFormsTokenInHeader: with the CSRF token in the X-CSRF-Token
// header and none in the form, every console form still does its work:
// each handler reads its own form rather than relying on the CSRF check to
// have read it.
func TestConsoleFormsTokenInHeader(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	draft := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Melnraksts", Status: "draft"})
	h := map[string]string{"Cookie": f.orgH["Cookie"], "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf}
	body := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }
	regs := "/manage/events/" + f.ev.Id + "/registrations"
	start := time.Now().AddDate(0, 0, 10).Format("2006-01-02")

	run(t, f.src, []tests.ApiScenario{
		{Name: "save settings", Method: http.MethodPost, URL: "/manage/settings", Headers: h,
			Body:           body(url.Values{"retention_days": {"14"}, "org_name": {"Drošā māja"}, "contact_email": {"Info@Example.org"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/settings?saved=1")(t, app, res)
				rows, _ := app.FindAllRecords("kopa_settings")
				if len(rows) != 1 || rows[0].GetInt("retention_days") != 14 || rows[0].GetString("org_name") != "Drošā māja" || rows[0].GetString("contact_email") != "info@example.org" {
					t.Errorf("settings not saved")
				}
			}},
		{Name: "create an event", Method: http.MethodPost, URL: "/manage/events/new", Headers: h,
			Body: body(url.Values{"kind": {"club"}, "status": {"draft"}, "title_lv": {"Galvenē"}, "starts_at": {start + "T18:00"},
				"ends_at": {start + "T19:00"}, "capacity": {"12"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData("events", "title_lv", "Galvenē")
				if err != nil || r.GetInt("capacity") != 12 || r.GetString("kind") != "club" {
					t.Errorf("event not created: %v", err)
				}
			}},
		{Name: "publish an event", Method: http.MethodPost, URL: "/manage/events/" + draft.Id + "/publish", Headers: h,
			ExpectedStatus: 303, AfterTestFunc: location("/manage/events/" + draft.Id + "?notice=published")},
		{Name: "repeat an event", Method: http.MethodPost, URL: "/manage/events/" + draft.Id + "/repeat", Headers: h,
			Body: body(url.Values{"weeks": {"2"}}), ExpectedStatus: 303, AfterTestFunc: location("/manage/events/" + draft.Id + "?repeated=2")},
		{Name: "cancel an event", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/cancel", Headers: h,
			Body: body(url.Values{"confirm": {"1"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/events/"+f.ev.Id+"?notice=cancelled")(t, app, res)
				if r, _ := app.FindRecordById("events", f.ev.Id); r.GetString("status") != "cancelled" {
					t.Error("not cancelled")
				}
			}},
		{Name: "manual check-in", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/checkin", Headers: h,
			Body: body(url.Values{"registration": {f.amina.Id}}), ExpectedStatus: 303, AfterTestFunc: location(regs + "?notice=ok")},
		{Name: "walk-in", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/walkin", Headers: h,
			Body: body(url.Values{"name": {"Nadia"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location(regs+"?notice=ok")(t, app, res)
				if _, err := app.FindFirstRecordByData("registrations", "name", "Nadia"); err != nil {
					t.Error("walk-in not registered")
				}
			}},
		{Name: "a wrong token in the header is refused, whatever the form holds", Method: http.MethodPost, URL: "/manage/settings",
			Headers: map[string]string{"Cookie": f.orgH["Cookie"], "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": strings.Repeat("d", len(csrf))},
			Body:    form(url.Values{"retention_days": {"14"}}), ExpectedStatus: 403, ExpectedContent: []string{"Forma ir novecojusi"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if rows, _ := app.FindAllRecords("kopa_settings"); len(rows) == 1 && rows[0].GetInt("retention_days") != 30 {
					t.Error("saved with a wrong token")
				}
			}},
	})
}

// TestConsoleErrorsArePages: what goes wrong in the console is answered
// with a page in the organiser's language, never PocketBase's JSON.
func TestConsoleErrorsArePages(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	cancelled := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Atcelts", Status: "cancelled"})
	door := kopatest.Shift(t, f.src, f.ev, "door", f.ev.GetDateTime("starts_at").Time(), f.ev.GetDateTime("ends_at").Time())
	h := map[string]string{"Cookie": f.orgH["Cookie"], "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf}
	big := url.Values{"retention_days": {"14"}, "pad": {strings.Repeat("x", 70<<10)}}
	html := func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("content type %q", ct)
		}
		if res.Header.Get("Content-Security-Policy") == "" {
			t.Error("an error page without the security headers")
		}
	}
	unchanged := func(t testing.TB, app *tests.TestApp, res *http.Response) {
		html(t, app, res)
		if rows, _ := app.FindAllRecords("kopa_settings"); len(rows) == 1 && rows[0].GetInt("retention_days") != 30 {
			t.Error("settings saved from a body over the limit")
		}
	}

	run(t, f.src, []tests.ApiScenario{
		{Name: "a walk-in at a cancelled event", Method: http.MethodPost, URL: "/manage/events/" + cancelled.Id + "/walkin?lang=en", Headers: f.orgH,
			Body: form(url.Values{"name": {"Nadia"}}), ExpectedStatus: 409,
			ExpectedContent:    []string{`<html lang="en">`, "The event is cancelled", "Nobody can be registered or checked in at a cancelled event."},
			NotExpectedContent: []string{`"status":`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				html(t, app, res)
				if n, _ := app.CountRecords("registrations", dbx.HashExp{"event": cancelled.Id}); n != 0 {
					t.Errorf("%d registrations at a cancelled event", n)
				}
			}},
		{Name: "a walk-in with a line break in the name is refused like everywhere else", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/walkin", Headers: f.orgH,
			Body: form(url.Values{"name": {"Nadia\nBcc"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/events/"+f.ev.Id+"/registrations?notice=invalid")(t, app, res)
				if n, _ := app.CountRecords("registrations", dbx.HashExp{"event": f.ev.Id}); n != 2 {
					t.Errorf("%d registrations", n)
				}
			}},
		{Name: "a walk-in with a web address for a name is refused like everywhere else", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/walkin", Headers: f.orgH,
			Body: form(url.Values{"name": {"Nadia, verify at kopa-help.lv"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				location("/manage/events/"+f.ev.Id+"/registrations?notice=invalid")(t, app, res)
				if n, _ := app.CountRecords("registrations", dbx.HashExp{"event": f.ev.Id}); n != 2 {
					t.Errorf("%d registrations", n)
				}
			}},
		{Name: "a form over 64 KiB, token in the form", Method: http.MethodPost, URL: "/manage/settings?lang=en", Headers: f.orgH,
			Body: form(big), ExpectedStatus: 413, ExpectedContent: []string{"Too much data", "64 KiB"}, NotExpectedContent: []string{`"status":`},
			AfterTestFunc: unchanged},
		{Name: "a form over 64 KiB, token in the header", Method: http.MethodPost, URL: "/manage/settings?lang=ru", Headers: h,
			Body: form(big), ExpectedStatus: 413, ExpectedContent: []string{"Слишком много данных"}, NotExpectedContent: []string{`"status":`},
			AfterTestFunc: unchanged},
		{Name: "a forged invitation form is a page", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/shifts/" + door.Id + "/invite?lang=en", Headers: f.orgH,
			Body: form(url.Values{"languages": {"xx"}}), ExpectedStatus: 400, ExpectedContent: []string{"This request could not be handled"},
			NotExpectedContent: []string{`"status":`}, AfterTestFunc: html},
	})
}
