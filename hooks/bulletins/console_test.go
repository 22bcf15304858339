package bulletins_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/bulletins"
	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
)

// TestConsole: the console's bulletin pages for organisers only: the list,
// the editor, the preview in each language, a test mail to oneself, the
// send once, its progress.
func TestConsole(t *testing.T) {
	t.Parallel()
	const csrf = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := kopatest.Volunteer(t, src, "vol@example.com", []string{"lv"}, []string{"door"})
	orgH := map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org) + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	volH := map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, vol) + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	subscribers(t, src)
	bulletin(t, src, "draftbulletin01", bulletins.BulletinDraft, time.Time{})
	bulletin(t, src, "sentbulletin001", bulletins.BulletinSent, time.Now())
	post := func(v url.Values) *strings.Reader {
		v.Set("csrf", csrf)
		return strings.NewReader(v.Encode())
	}
	nothingSent := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := queuedBulletins(t, app); n != 0 {
			t.Errorf("%d bulletin mails queued", n)
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "the list", Method: http.MethodGet, URL: "/manage/bulletins?lang=en", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Ziņas draftbulletin01", `href="/manage/bulletins/sentbulletin001"`, "Draft", "Sent", `href="/manage/bulletins/new"`}},
		{Name: "a new bulletin", Method: http.MethodGet, URL: "/manage/bulletins/new?lang=lv", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent:    []string{`id="bulletin-form"`, `data-id=""`, `name="body_lv"`, `accept="image/jpeg,image/png,image/webp"`, "visi redzamie cilvēki ir piekrituši", "js/bulletin.js"},
			NotExpectedContent: []string{"/send"}},
		{Name: "a draft", Method: http.MethodGet, URL: "/manage/bulletins/draftbulletin01?lang=en", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`data-id="draftbulletin01"`, "Summary in English draftbulletin01", `action="/manage/bulletins/draftbulletin01/send"`, "It goes to 3 confirmed subscribers", `href="/manage/bulletins/draftbulletin01/preview"`}},
		{Name: "a sent bulletin shows its progress", Method: http.MethodGet, URL: "/manage/bulletins/sentbulletin001?lang=en", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent:    []string{"Sending", "Waiting", "Failed"},
			NotExpectedContent: []string{`id="bulletin-form"`, "/send"}},
		{Name: "the preview in each language", Method: http.MethodGet, URL: "/manage/bulletins/draftbulletin01/preview?lang=en", Headers: orgH, ExpectedStatus: 200,
			ExpectedContent:    []string{`id="preview-lv"`, `id="preview-en"`, `id="preview-ru"`, "Summary in English draftbulletin01", "Краткое содержание draftbulletin01", "<strong>draugi</strong>"},
			NotExpectedContent: []string{"<script>alert", "onerror"}},
		{Name: "a test mail to oneself", Method: http.MethodPost, URL: "/manage/bulletins/draftbulletin01/test", Headers: orgH, Body: post(url.Values{"locale": {"ru"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows, err := app.FindRecordsByFilter(outbox.Collection, "template = 'bulletin_test'", "", 0, 0)
				if err != nil || len(rows) != 1 || rows[0].GetString("to") != "org@example.com" || rows[0].GetString("ref") != "draftbulletin01:ru" {
					t.Fatalf("test mail rows %v %v", rows, err)
				}
				msg, err := outbox.Content(app, rows[0])
				if err != nil || !strings.HasPrefix(msg.Subject, "[Тест] Новости") || !strings.Contains(msg.HTML, "Краткое содержание draftbulletin01") {
					t.Errorf("test mail %q %v", msg.Subject, err)
				}
				nothingSent(t, app, nil)
				if b, _ := app.FindRecordById(bulletins.ColBulletins, "draftbulletin01"); b.GetString("status") != bulletins.BulletinDraft {
					t.Error("the test mail sent the bulletin")
				}
			}},
		{Name: "send from the console", Method: http.MethodPost, URL: "/manage/bulletins/draftbulletin01/send", Headers: orgH, Body: post(url.Values{}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := queuedBulletins(t, app); n != 3 {
					t.Errorf("%d mails queued", n)
				}
			}},
		{Name: "a second send from the console", Method: http.MethodPost, URL: "/manage/bulletins/sentbulletin001/send?lang=en", Headers: orgH, Body: post(url.Values{}),
			ExpectedStatus: 409, ExpectedContent: []string{"This bulletin was sent already"}, AfterTestFunc: nothingSent},
		{Name: "send without the CSRF token", Method: http.MethodPost, URL: "/manage/bulletins/draftbulletin01/send", Headers: orgH, Body: strings.NewReader(""),
			ExpectedStatus: 403, ExpectedContent: []string{"<html"}, AfterTestFunc: nothingSent},
		{Name: "a volunteer cannot send", Method: http.MethodPost, URL: "/manage/bulletins/draftbulletin01/send", Headers: volH, Body: post(url.Values{}),
			ExpectedStatus: 403, ExpectedContent: []string{"<html"}, AfterTestFunc: nothingSent},
		{Name: "nobody signed in sees the sign-in", Method: http.MethodGet, URL: "/manage/bulletins", ExpectedStatus: 303},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
