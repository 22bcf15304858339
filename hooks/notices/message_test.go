package notices_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/notices"
	"kopa/hooks/outbox"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestMessageReachesEachInTheirLanguage: a message written in three
// languages to those with a seat, those waiting and the volunteers reaches
// each person once, in their language; the text is sent as typed, escaped
// in the HTML part. A message written in Latvian only is read in Latvian.
func TestMessageReachesEachInTheirLanguage(t *testing.T) {
	t.Parallel()
	p := newPeople(t)
	// Vera also registered, with the address she volunteers with.
	registration(t, p.app, p.ev, "Vera", "vera@example.com", "waitlisted", "ru")
	m := notices.Message{
		To: []domain.Audience{domain.AudienceConfirmed, domain.AudienceWaitlisted, domain.AudienceVolunteers},
		Subject: map[string]string{
			"lv": "Ņemiet līdzi lietussargu", "en": "Bring an umbrella", "ru": "Возьмите зонт",
		},
		Body: map[string]string{
			"lv": "Sveiki!\nTikšanās būs pagalmā.\n\n<b>Nav</b> jāņem līdzi nekas cits & viss.",
			"en": "Hello!\nWe meet in the courtyard.\n\n<b>Nothing</b> else to bring & that's all.\nMap: https://kopa.example.org/map",
			"ru": "Здравствуйте!\nВстречаемся во дворе.\n\n<b>Больше</b> ничего не нужно & всё.",
		},
	}
	if err := m.Normalize(); err != nil {
		t.Fatal(err)
	}
	n, err := notices.Send(p.app, p.ev, m, "")
	if err != nil || n != 5 {
		t.Fatalf("Send = %d, %v; want 5 (three registrations, two volunteers, Vera once)", n, err)
	}
	if sent := p.send(t); sent != 5 {
		t.Fatalf("sent %d", sent)
	}
	for addr, want := range map[string][2]string{
		"anna@example.com": {"Ņemiet līdzi lietussargu", "Tikšanās būs pagalmā."},
		"john@example.com": {"Bring an umbrella", "We meet in the courtyard."},
		"ivan@example.com": {"Возьмите зонт", "Встречаемся во дворе."},
		"vera@example.com": {"Возьмите зонт", "Встречаемся во дворе."},
		"ilze@example.com": {"Ņemiet līdzi lietussargu", "Tikšanās būs pagalmā."},
	} {
		got := p.mailTo(t, addr)
		if got.Subject != want[0] || !strings.Contains(got.Text, want[1]) {
			t.Errorf("%s: %q\n%s", addr, got.Subject, got.Text)
		}
		if !strings.Contains(got.Text, "<b>") || strings.Contains(got.HTML, "<b>") || !strings.Contains(got.HTML, "&lt;b&gt;") {
			t.Errorf("%s: the text is not plain in both parts:\n%s\n%s", addr, got.Text, got.HTML)
		}
	}
	if got := p.mailTo(t, "john@example.com"); !strings.Contains(got.HTML, "Hello!<br>We meet in the courtyard.") || !strings.Contains(got.HTML, "https://kopa.example.org/t/"+p.john.GetString("ticket")) ||
		!strings.Contains(got.HTML, `<a href="https://kopa.example.org/map"`) || !strings.Contains(got.Text, "Map: https://kopa.example.org/map") {
		t.Errorf("John's HTML part:\n%s", got.HTML)
	}
	if n := len(p.mp.To(t, "olek@example.com")); n != 0 {
		t.Errorf("the cancelled registration got %d mails", n)
	}
	rec, err := p.app.FindFirstRecordByFilter("event_messages", "event = {:e}", map[string]any{"e": p.ev.Id})
	if err != nil || rec.GetInt("count") != 5 || strings.Join(rec.GetStringSlice("to"), ",") != "confirmed,waitlisted,volunteers" {
		t.Errorf("message record %v, %v", rec, err)
	}

	// Latvian only: everyone reads the Latvian.
	p.mp.DeleteAll(t)
	lv := notices.Message{To: []domain.Audience{domain.AudienceConfirmed}, Subject: map[string]string{"lv": "Tikai latviski"}, Body: map[string]string{"lv": "Teksts."}}
	if err := lv.Normalize(); err != nil {
		t.Fatal(err)
	}
	if n, err := notices.Send(p.app, p.ev, lv, ""); n != 2 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	p.send(t)
	if got := p.mailTo(t, "john@example.com"); got.Subject != "Tikai latviski" {
		t.Errorf("John reads %q", got.Subject)
	}
}

// TestMessageAPI: organisers only; bad input is a clear 400 and nothing is
// queued or recorded; a good message answers 202 with how many mails.
func TestMessageAPI(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := kopatest.Volunteer(t, src, "vol@example.com", nil, []string{"door"})
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs"})
	kopatest.Registration(t, src, ev, "Anna", "anna@example.com", "confirmed")
	kopatest.Registration(t, src, ev, "Olek", "olek@example.com", "waitlisted")
	orgH := map[string]string{"Authorization": kopatest.Token(t, org), "Content-Type": "application/json"}
	volH := map[string]string{"Authorization": kopatest.Token(t, vol), "Content-Type": "application/json"}
	path := "/api/events/" + ev.Id + "/message"
	good := `{"to":["confirmed","waitlisted"],"subject":{"lv":"Sveiki","en":"Hello"},"body":{"lv":"Teksts","en":"Text","ru":"Текст"}}`
	nothing := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords(outbox.Collection); n != 0 {
			t.Errorf("%d mails queued", n)
		}
		if n, _ := app.CountRecords("event_messages"); n != 0 {
			t.Errorf("%d messages recorded", n)
		}
	}
	long := strings.Repeat("ā", notices.MaxSubject+1)
	for _, s := range []tests.ApiScenario{
		{Name: "an organiser's message is queued", Method: http.MethodPost, URL: path, Headers: orgH, Body: strings.NewReader(good),
			ExpectedStatus: 202, ExpectedContent: []string{`{"queued":2}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows, _ := app.FindAllRecords(outbox.Collection)
				if len(rows) != 2 || rows[0].GetString("template") != notices.MailMessage {
					t.Fatalf("queued %d rows", len(rows))
				}
				msg, err := outbox.Content(app, rows[0])
				if err != nil || msg.Subject != "Sveiki" {
					t.Errorf("the mail %q, %v", msg.Subject, err)
				}
			}},
		{Name: "anonymous", Method: http.MethodPost, URL: path, Body: strings.NewReader(good), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: nothing},
		{Name: "a volunteer is not an organiser", Method: http.MethodPost, URL: path, Headers: volH, Body: strings.NewReader(good), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: nothing},
		{Name: "unknown event", Method: http.MethodPost, URL: "/api/events/nosuchevent0000/message", Headers: orgH, Body: strings.NewReader(good), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: nothing},
		{Name: "empty subject in every language", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed"],"subject":{"lv":" ","en":"","ru":""},"body":{"lv":"Teksts"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"subject":{"code":"validation_required"`}, NotExpectedContent: []string{`"body":`}, AfterTestFunc: nothing},
		{Name: "empty body in every language", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed"],"subject":{"lv":"Sveiki"},"body":{"lv":"","en":"  \n "}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"body":{"code":"validation_required"`}, AfterTestFunc: nothing},
		{Name: "no body at all", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed"],"subject":{"lv":"Sveiki"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"body":{"code":"validation_required"`}, AfterTestFunc: nothing},
		{Name: "an over-long subject", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed"],"subject":{"lv":"Sveiki","ru":"` + long + `"},"body":{"lv":"Teksts"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"subject":{"code":"validation_length_too_long"`}, AfterTestFunc: nothing},
		{Name: "a subject on two lines", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed"],"subject":{"lv":"Sveiki\r\nBcc: x@example.com"},"body":{"lv":"Teksts"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"subject":{"code":"validation_invalid_value"`}, AfterTestFunc: nothing},
		{Name: "a language Kopā does not speak", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed"],"subject":{"lv":"Sveiki","de":"Hallo"},"body":{"lv":"Teksts"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"subject":{"code":"validation_invalid_locale"`}, AfterTestFunc: nothing},
		{Name: "unknown recipients", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed","everyone"],"subject":{"lv":"Sveiki"},"body":{"lv":"Teksts"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"to":{"code":"validation_invalid_value"`}, AfterTestFunc: nothing},
		{Name: "no recipients", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":[],"subject":{"lv":"Sveiki"},"body":{"lv":"Teksts"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"to":{"code":"validation_required"`}, AfterTestFunc: nothing},
		{Name: "recipients of the wrong type", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":"confirmed","subject":{"lv":"Sveiki"},"body":{"lv":"Teksts"}}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"to":{"code":"validation_invalid_type"`}, AfterTestFunc: nothing},
		{Name: "not JSON", Method: http.MethodPost, URL: path, Headers: orgH, Body: strings.NewReader(`to=confirmed`),
			ExpectedStatus: 400, ExpectedContent: []string{`"body":{"code":"validation_invalid_json"`}, AfterTestFunc: nothing},
		{Name: "too large", Method: http.MethodPost, URL: path, Headers: orgH,
			Body:           strings.NewReader(`{"to":["confirmed"],"subject":{"lv":"Sveiki"},"body":{"lv":"` + strings.Repeat("x", 70<<10) + `"}}`),
			ExpectedStatus: 413, ExpectedContent: []string{`"code":"too_large"`}, AfterTestFunc: nothing},
	} {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestMessagePage: the console's form previews the message as each
// language reads it and to how many it goes, then sends it and lists it;
// a form without a subject is shown again with the error.
func TestMessagePage(t *testing.T) {
	t.Parallel()
	const csrf = "cccccccccccccccccccccccccccccccccccccccccc0"
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := kopatest.Volunteer(t, src, "vol@example.com", nil, []string{"door"})
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs"})
	kopatest.Registration(t, src, ev, "Anna", "anna@example.com", "confirmed")
	kopatest.Registration(t, src, ev, "Olek", "olek@example.com", "waitlisted")
	cookie := func(rec *core.Record) map[string]string {
		return map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, rec) + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	}
	path := "/manage/events/" + ev.Id + "/message"
	body := func(step string, v url.Values) *strings.Reader {
		v.Set("csrf", csrf)
		v.Set("step", step)
		return strings.NewReader(v.Encode())
	}
	msg := url.Values{"to": {"confirmed", "waitlisted"}, "subject_lv": {"Lietussargs"}, "body_lv": {"Ņemiet <lietussargu>."}, "subject_en": {"Umbrella"}, "body_en": {"Bring an umbrella."}}
	for _, s := range []tests.ApiScenario{
		{Name: "the form", Method: http.MethodGet, URL: path + "?lang=en", Headers: cookie(org), ExpectedStatus: 200,
			ExpectedContent: []string{"Write to the event’s people", `name="subject_ru"`, `value="checked_in"`, "Registered with a seat (1)", "On the waiting list (1)", "No messages yet."}},
		{Name: "a volunteer may not", Method: http.MethodGet, URL: path, Headers: cookie(vol), ExpectedStatus: 403,
			ExpectedContent: []string{"Nav piekļuves"}, NotExpectedContent: []string{"anna@example.com"}},
		{Name: "the preview", Method: http.MethodPost, URL: path + "?lang=en", Headers: cookie(org), Body: body("preview", msg), ExpectedStatus: 200,
			ExpectedContent: []string{"It goes to 2 people.", "Ņemiet &lt;lietussargu&gt;.", "Bring an umbrella.", "Send to 2 people", `name="body_lv" value="Ņemiet &lt;lietussargu&gt;."`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(outbox.Collection); n != 0 {
					t.Errorf("the preview queued %d mails", n)
				}
			}},
		{Name: "sending", Method: http.MethodPost, URL: path, Headers: cookie(org), Body: body("send", msg), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != path+"?sent=2" {
					t.Errorf("location %q", loc)
				}
				if n, _ := app.CountRecords(outbox.Collection); n != 2 {
					t.Errorf("%d mails queued", n)
				}
				if n, _ := app.CountRecords("event_messages"); n != 1 {
					t.Errorf("%d messages recorded", n)
				}
			}},
		{Name: "the page lists what was sent, to how many, by whom", Method: http.MethodGet, URL: path + "?sent=2&lang=en", Headers: cookie(org), ExpectedStatus: 200,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				m := notices.Message{To: []domain.Audience{domain.AudienceWaitlisted}, Subject: map[string]string{"lv": "Gaidītājiem", "en": "To those waiting"}, Body: map[string]string{"lv": "Teksts"}}
				if err := m.Normalize(); err != nil {
					t.Fatal(err)
				}
				if n, err := notices.Send(app, ev, m, org.Id); n != 1 || err != nil {
					t.Fatalf("Send = %d, %v", n, err)
				}
			},
			ExpectedContent: []string{"The message is on its way to 2 people.", "To those waiting", "On the waiting list", ">1</td>", "Organiser org@example.com"}},
		{Name: "without a subject", Method: http.MethodPost, URL: path + "?lang=en", Headers: cookie(org),
			Body: body("send", url.Values{"to": {"confirmed"}, "body_lv": {"Teksts"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Write a subject in at least one language.", `aria-invalid="true"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(outbox.Collection); n != 0 {
					t.Errorf("%d mails queued", n)
				}
			}},
		{Name: "without the CSRF token", Method: http.MethodPost, URL: path, Headers: cookie(org),
			Body: strings.NewReader("step=send&to=confirmed&subject_lv=X&body_lv=Y"), ExpectedStatus: 403, ExpectedContent: []string{"Forma ir novecojusi"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(outbox.Collection); n != 0 {
					t.Errorf("%d mails queued", n)
				}
			}},
	} {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
