package bulletins_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks"
	"kopa/hooks/bulletins"
	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

func count(t testing.TB, app core.App, collection, filter string) int {
	t.Helper()
	n, err := app.CountRecords(collection)
	if filter != "" {
		recs, ferr := app.FindRecordsByFilter(collection, filter, "", 0, 0)
		n, err = int64(len(recs)), ferr
	}
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func subscriber(t testing.TB, app core.App, email, status string) *core.Record {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(bulletins.ColSubscribers)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	r.Set("email", email)
	r.Set("locale", "en")
	r.Set("status", status)
	r.Set("token", strings.Repeat("t", 12)+strings.Repeat(string(email[0]), 12))
	r.Set("consent_at", types.NowDateTime())
	r.Set("consent_source", bulletins.SourceForm)
	r.Set("mailed_at", types.NowDateTime())
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func mails(t testing.TB, app core.App, to string) int {
	t.Helper()
	recs, err := app.FindRecordsByFilter(outbox.Collection, "to = {:to} && template = 'bulletin_confirm'", "", 0, 0, map[string]any{"to": to})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// TestSubscribeAPI: every good address gets the same 202; only a new
// address (or a pending one not mailed within the hour) is mailed; bad
// input is a 400 that stores nothing.
func TestSubscribeAPI(t *testing.T) {
	t.Parallel()
	const url = "/api/bulletins/subscribe"
	body := func(s string) *strings.Reader { return strings.NewReader(s) }
	nothing := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := count(t, app, bulletins.ColSubscribers, ""); n != 0 {
			t.Errorf("%d subscribers stored", n)
		}
	}
	bad := func(name, payload, field, code string) tests.ApiScenario {
		return tests.ApiScenario{
			Name: name, Method: http.MethodPost, URL: url, Body: body(payload),
			ExpectedStatus:  400,
			ExpectedContent: []string{`"status":400`, `"` + field + `":{"code":"` + code + `"`},
			AfterTestFunc:   nothing,
		}
	}
	scenarios := []tests.ApiScenario{
		{
			Name: "a new address is stored pending and mailed", Method: http.MethodPost, URL: url,
			Body:            body(`{"email":"  New@Example.com ","locale":"ru"}`),
			ExpectedStatus:  202,
			ExpectedContent: []string{`{"ok":true}`},
			ExpectedEvents:  map[string]int{"OnRecordCreate": 2}, // the subscriber and its mail
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				s, err := app.FindFirstRecordByData(bulletins.ColSubscribers, "email", "new@example.com")
				if err != nil {
					t.Fatal(err)
				}
				if s.GetString("status") != "pending" || s.GetString("locale") != "ru" || s.GetString("consent_source") != "form" || s.GetDateTime("consent_at").IsZero() {
					t.Errorf("stored %v", s.PublicExport())
				}
				if n := mails(t, app, "new@example.com"); n != 1 {
					t.Errorf("%d confirmation mails queued", n)
				}
			},
		},
		{
			Name: "a confirmed address gets the same answer and no mail", Method: http.MethodPost, URL: url,
			Body: body(`{"email":"known@example.com","locale":"lv"}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				subscriber(t, app, "known@example.com", "confirmed")
			},
			ExpectedStatus:  202,
			ExpectedContent: []string{`{"ok":true}`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := mails(t, app, "known@example.com"); n != 0 {
					t.Errorf("%d mails queued", n)
				}
			},
		},
		{
			Name: "a pending address mailed within the hour is not mailed again", Method: http.MethodPost, URL: url,
			Body: body(`{"email":"pending@example.com","locale":"en"}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				subscriber(t, app, "pending@example.com", "pending")
			},
			ExpectedStatus:  202,
			ExpectedContent: []string{`{"ok":true}`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := mails(t, app, "pending@example.com"); n != 0 {
					t.Errorf("%d mails queued", n)
				}
			},
		},
		{
			Name: "a pending address mailed over an hour ago is mailed again", Method: http.MethodPost, URL: url,
			Body: body(`{"email":"old@example.com","locale":"en"}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				s := subscriber(t, app, "old@example.com", "pending")
				s.Set("mailed_at", time.Now().Add(-2*time.Hour))
				if err := app.Save(s); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedStatus:  202,
			ExpectedContent: []string{`{"ok":true}`},
			ExpectedEvents:  map[string]int{"OnRecordUpdate": 1, "OnRecordCreate": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := mails(t, app, "old@example.com"); n != 1 {
					t.Errorf("%d mails queued", n)
				}
			},
		},
		bad("a malformed address", `{"email":"not an address","locale":"en"}`, "email", "validation_invalid_email"),
		bad("no address", `{"locale":"en"}`, "email", "validation_required"),
		bad("an unknown locale", `{"email":"a@example.com","locale":"de"}`, "locale", "validation_invalid_value"),
		bad("a number for the address", `{"email":5,"locale":"en"}`, "email", "validation_invalid_type"),
		bad("not an object", `[1]`, "body", "validation_invalid_json"),
		{
			Name: "nobody but organisers lists subscribers", Method: http.MethodGet, URL: "/api/collections/subscribers/records",
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				subscriber(t, app, "known@example.com", "confirmed")
			},
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"totalItems":0`},
			NotExpectedContent: []string{"known@example.com"},
		},
		{
			Name: "nobody creates a subscriber through the records API", Method: http.MethodPost, URL: "/api/collections/subscribers/records",
			Body:            body(`{"email":"x@example.com","locale":"en","status":"confirmed","token":"aaaaaaaaaaaaaaaaaaaaaaaa","consent_at":"2026-01-01 00:00:00.000Z","consent_source":"form"}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{`"status":403`},
			AfterTestFunc:   nothing,
		},
		{
			Name: "nobody reads bulletins drafts", Method: http.MethodGet, URL: "/api/collections/bulletins/records",
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":0`},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.Factory(hooks.Default)
		s.Test(t)
	}
}

// TestSubscribeForm: the public form works without JavaScript in each
// language, checks CSRF and shows the same page for every good address.
func TestSubscribeForm(t *testing.T) {
	t.Parallel()
	const csrf = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ" // 43 characters, as the cookie holds
	headers := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "kopa_csrf=" + csrf}
	form := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }
	scenarios := []tests.ApiScenario{
		{Name: "lv", Method: http.MethodGet, URL: "/bulletins/subscribe?lang=lv", ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="lv">`, "Pierakstīties", `name="csrf"`, `<option value="lv" selected>`}},
		{Name: "en", Method: http.MethodGet, URL: "/bulletins/subscribe?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="en">`, "Subscribe", `<option value="en" selected>`}},
		{Name: "ru", Method: http.MethodGet, URL: "/bulletins/subscribe?lang=ru", ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="ru">`, "Подписаться", `<option value="ru" selected>`}},
		{
			Name: "a good address sees the check-your-mail page", Method: http.MethodPost, URL: "/bulletins/subscribe?lang=en",
			Headers: headers, Body: form(url.Values{"csrf": {csrf}, "email": {"form@example.com"}, "locale": {"ru"}}),
			ExpectedStatus: 200, ExpectedContent: []string{"Please check your e-mail"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := mails(t, app, "form@example.com"); n != 1 {
					t.Errorf("%d mails queued", n)
				}
			},
		},
		{
			Name: "a confirmed address sees the same page", Method: http.MethodPost, URL: "/bulletins/subscribe?lang=en",
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				subscriber(t, app, "known@example.com", "confirmed")
			},
			Headers: headers, Body: form(url.Values{"csrf": {csrf}, "email": {"known@example.com"}, "locale": {"en"}}),
			ExpectedStatus: 200, ExpectedContent: []string{"Please check your e-mail"},
		},
		{
			Name: "a malformed address shows the form again", Method: http.MethodPost, URL: "/bulletins/subscribe?lang=en",
			Headers: headers, Body: form(url.Values{"csrf": {csrf}, "email": {"nope"}, "locale": {"en"}}),
			ExpectedStatus: 400, ExpectedContent: []string{`aria-invalid="true"`, "Please enter a valid e-mail address.", `value="nope"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, bulletins.ColSubscribers, ""); n != 0 {
					t.Errorf("%d stored", n)
				}
			},
		},
		{
			Name: "without the CSRF token nothing is stored", Method: http.MethodPost, URL: "/bulletins/subscribe?lang=en",
			Headers: headers, Body: form(url.Values{"email": {"form@example.com"}, "locale": {"en"}}),
			ExpectedStatus: 403, ExpectedContent: []string{"The form has expired"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, bulletins.ColSubscribers, ""); n != 0 {
					t.Errorf("%d stored", n)
				}
			},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.Factory(hooks.Default)
		s.Test(t)
	}
}

var confirmLink = regexp.MustCompile(`https?://[^\s"<>]+/b/confirm/([A-Za-z0-9]{24})`)

// TestDoubleOptIn subscribes through the real server, reads the
// confirmation mail in mailpit, opens its link, and unsubscribes with the
// one-click POST, which deletes the address.
func TestDoubleOptIn(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.Meta.AppURL = srv.URL })

	post := func(email string) {
		res, err := http.Post(srv.URL+"/api/bulletins/subscribe", "application/json", strings.NewReader(`{"email":"`+email+`","locale":"ru"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("subscribe: %d", res.StatusCode)
		}
	}
	post("reader@example.com")
	post("reader@example.com") // within the hour: no second mail
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	msgs := mp.WaitFor(t, 1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1", len(msgs))
	}
	m := mp.Message(t, msgs[0].ID)
	if !strings.Contains(m.Subject, "подтвердите подписку") {
		t.Errorf("subject %q is not in Russian", m.Subject)
	}
	link := confirmLink.FindStringSubmatch(m.Text)
	if link == nil {
		t.Fatalf("no confirmation link in %q", m.Text)
	}
	for i := 0; i < 2; i++ { // opening it again changes nothing
		res, err := http.Get(link[0])
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("confirm: %d", res.StatusCode)
		}
	}
	s, err := app.FindFirstRecordByData(bulletins.ColSubscribers, "email", "reader@example.com")
	if err != nil || s.GetString("status") != bulletins.StatusConfirmed {
		t.Fatalf("not confirmed: %v %v", s, err)
	}

	// The unsubscribe page only shows a button; the POST deletes.
	unsub := srv.URL + "/b/unsubscribe/" + link[1]
	res, err := http.Get(unsub)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if n := count(t, app, bulletins.ColSubscribers, ""); n != 1 {
		t.Fatalf("the page changed something: %d subscribers", n)
	}
	res, err = http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("unsubscribe: %d", res.StatusCode)
	}
	if n := count(t, app, bulletins.ColSubscribers, ""); n != 0 {
		t.Fatalf("%d subscribers after unsubscribing", n)
	}
	res, err = http.Get(link[0])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("a deleted address's link: %d", res.StatusCode)
	}
}
