package bulletins_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/bulletins"
	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// subscribers stores confirmed subscribers of each language and a pending
// one, who must receive nothing.
func subscribers(t testing.TB, app core.App) {
	t.Helper()
	for _, s := range []struct{ email, locale, status string }{
		{"liga@example.com", "lv", bulletins.StatusConfirmed},
		{"emma@example.com", "en", bulletins.StatusConfirmed},
		{"olga@example.com", "ru", bulletins.StatusConfirmed},
		{"pavel@example.com", "ru", bulletins.StatusPending},
	} {
		r := subscriber(t, app, s.email, s.status)
		r.Set("locale", s.locale)
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
}

func queuedBulletins(t testing.TB, app core.App) int {
	t.Helper()
	return count(t, app, outbox.Collection, "template = 'bulletin'")
}

// TestSendAPI: organisers send a draft once; everyone else, a second send
// and a bulletin that cannot be sent get a 4xx and nothing is queued.
func TestSendAPI(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := map[string]string{"Authorization": kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))}
	vol := map[string]string{"Authorization": kopatest.Token(t, kopatest.Volunteer(t, src, "vol@example.com", []string{"lv"}, []string{"door"}))}
	subscribers(t, src)
	bulletin(t, src, "draftbulletin01", bulletins.BulletinDraft, time.Time{})
	bulletin(t, src, "sentbulletin001", bulletins.BulletinSent, time.Now())
	empty := bulletin(t, src, "emptybulletin01", bulletins.BulletinDraft, time.Time{})
	// Saved around the record API's checks, as an import might.
	if _, err := src.DB().Update(bulletins.ColBulletins, dbx.Params{"body_lv": "  "}, dbxID(empty.Id)).Execute(); err != nil {
		t.Fatal(err)
	}
	src.ResetEventCalls()

	nothing := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := queuedBulletins(t, app); n != 0 {
			t.Errorf("%d bulletin mails queued", n)
		}
		for _, id := range []string{"draftbulletin01", "emptybulletin01"} {
			if b, _ := app.FindRecordById(bulletins.ColBulletins, id); b == nil || b.GetString("status") != bulletins.BulletinDraft {
				t.Errorf("%s is no longer a draft", id)
			}
		}
	}
	const send = "/api/bulletins/draftbulletin01/send"
	scenarios := []tests.ApiScenario{
		{
			Name: "an organiser sends a draft to the confirmed subscribers", Method: http.MethodPost, URL: send, Headers: org,
			ExpectedStatus: 202, ExpectedContent: []string{`{"queued":3}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows, err := app.FindRecordsByFilter(outbox.Collection, "template = 'bulletin'", "to", 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range rows {
					got = append(got, r.GetString("to")+" "+r.GetString("status")+" "+fmt.Sprint(r.GetBool("bulk")))
					if !strings.HasPrefix(r.GetString("ref"), "draftbulletin01:") || !validID.MatchString(r.Id) {
						t.Errorf("row %q ref %q", r.Id, r.GetString("ref"))
					}
				}
				want := "emma@example.com pending true,liga@example.com pending true,olga@example.com pending true"
				if strings.Join(got, ",") != want {
					t.Errorf("queued %v, want %s", got, want)
				}
				b, _ := app.FindRecordById(bulletins.ColBulletins, "draftbulletin01")
				if b.GetString("status") != bulletins.BulletinSent || b.GetDateTime("sent_at").IsZero() {
					t.Errorf("bulletin %s sent_at %v", b.GetString("status"), b.GetDateTime("sent_at"))
				}
				p, err := bulletins.ProgressOf(app, "draftbulletin01")
				if err != nil || p != (bulletins.Progress{Waiting: 3}) {
					t.Errorf("progress %+v %v", p, err)
				}
			},
		},
		{
			Name: "a sent bulletin is not sent again", Method: http.MethodPost, URL: "/api/bulletins/sentbulletin001/send", Headers: org,
			ExpectedStatus: 409, ExpectedContent: []string{`"status":409`, `"code":"sent"`}, AfterTestFunc: nothing,
		},
		{
			Name: "a bulletin without its Latvian text", Method: http.MethodPost, URL: "/api/bulletins/emptybulletin01/send", Headers: org,
			ExpectedStatus: 400, ExpectedContent: []string{`"body_lv":{"code":"validation_required"`}, AfterTestFunc: nothing,
		},
		{
			Name: "nobody signed in", Method: http.MethodPost, URL: send,
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: nothing,
		},
		{
			Name: "a volunteer", Method: http.MethodPost, URL: send, Headers: vol,
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: nothing,
		},
		{
			Name: "no such bulletin", Method: http.MethodPost, URL: "/api/bulletins/nosuchbulletin1/send", Headers: org,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: nothing,
		},
		{
			Name: "the record API cannot mark a bulletin sent", Method: http.MethodPatch, URL: "/api/collections/bulletins/records/draftbulletin01", Headers: org,
			Body:           strings.NewReader(`{"status":"sent"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code":"validation_bulletin_status"`}, AfterTestFunc: nothing,
		},
		{
			Name: "the record API cannot create a sent bulletin", Method: http.MethodPost, URL: "/api/collections/bulletins/records", Headers: org,
			Body:           strings.NewReader(`{"title_lv":"Ziņas","body_lv":"Teksts","status":"sent"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code":"validation_bulletin_status"`}, AfterTestFunc: nothing,
		},
		{
			Name: "a bulletin without a Latvian text is refused", Method: http.MethodPost, URL: "/api/collections/bulletins/records", Headers: org,
			Body:           strings.NewReader(`{"title_lv":"Ziņas","title_en":"News","summary_en":"Short"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"body_lv":{"code":"validation_required"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, bulletins.ColBulletins, ""); n != 3 {
					t.Errorf("%d bulletins", n)
				}
			},
		},
		{
			Name: "a draft is created as a draft", Method: http.MethodPost, URL: "/api/collections/bulletins/records", Headers: org,
			Body:           strings.NewReader(`{"title_lv":"Ziņas","body_lv":"Teksts"}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"draft"`},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

var validID = regexp.MustCompile(`^[a-z0-9]{15}$`)

// TestImages: images are PocketBase's file field with its thumbnails;
// anything but an image, or an image over 5 MB, is refused with the
// field's error and the bulletin keeps what it had.
func TestImages(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))
	bulletin(t, src, "draftbulletin01", bulletins.BulletinDraft, time.Time{})
	var pic bytes.Buffer
	if err := png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{0}, 5<<20+1)
	copy(big, pic.Bytes()) // a PNG's header, and far too much after it
	upload := func(name string, data []byte) (*bytes.Buffer, map[string]string) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		f, _ := w.CreateFormFile("images+", name)
		_, _ = f.Write(data)
		_ = w.Close()
		return &body, map[string]string{"Authorization": org, "Content-Type": w.FormDataContentType()}
	}
	noImages := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		b, _ := app.FindRecordById(bulletins.ColBulletins, "draftbulletin01")
		if n := len(b.GetStringSlice("images")); n != 0 {
			t.Errorf("%d images stored", n)
		}
	}
	const url = "/api/collections/bulletins/records/draftbulletin01"
	text, textH := upload("photo.png", []byte("this is not an image at all"))
	huge, hugeH := upload("photo.png", big)
	good, goodH := upload("photo.png", pic.Bytes())
	scenarios := []tests.ApiScenario{
		{Name: "not an image", Method: http.MethodPatch, URL: url, Headers: textH, Body: text,
			ExpectedStatus: 400, ExpectedContent: []string{`"images":{"code":"validation_invalid_mime_type"`}, AfterTestFunc: noImages},
		{Name: "over 5 MB", Method: http.MethodPatch, URL: url, Headers: hugeH, Body: huge,
			ExpectedStatus: 400, ExpectedContent: []string{`"images":{"code":"validation_file_size_limit"`}, AfterTestFunc: noImages},
		{Name: "an image", Method: http.MethodPatch, URL: url, Headers: goodH, Body: good,
			ExpectedStatus: 200, ExpectedContent: []string{`"images":["photo_`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				b, _ := app.FindRecordById(bulletins.ColBulletins, "draftbulletin01")
				if n := len(b.GetStringSlice("images")); n != 1 {
					t.Errorf("%d images stored", n)
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

var unsubscribeHeader = regexp.MustCompile(`^<(https?://[^>]+/b/unsubscribe/([A-Za-z0-9]{24}))>$`)

// TestBulletinMail sends a bulletin through the real server and mailpit:
// one mail per confirmed subscriber, in their language, with the one-click
// unsubscribe headers and a visible link; the one-click POST deletes the
// address; a subscriber who left after the send is not mailed.
func TestBulletinMail(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	// SMTP is set up after the send and the unsubscribing below: until
	// then the worker keeps every mail waiting.
	srv := kopatest.Serve(t, app)
	subscribers(t, app)
	leaving := subscriber(t, app, "kaspars@example.com", bulletins.StatusConfirmed)
	org := kopatest.Token(t, kopatest.Organiser(t, app, "org@example.com"))
	b := bulletin(t, app, "draftbulletin01", bulletins.BulletinDraft, time.Time{})
	b.Set("body_lv", b.GetString("body_lv")+"\n\n![foto](/api/files/bulletins/draftbulletin01/x.png)")
	if err := app.Save(b); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/bulletins/draftbulletin01/send", nil)
	req.Header.Set("Authorization", org)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("send: %d", res.StatusCode)
	}
	if ok, err := bulletins.Unsubscribe(app, leaving.GetString("token")); !ok || err != nil {
		t.Fatalf("unsubscribe: %v %v", ok, err)
	}
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	msgs := mp.WaitFor(t, 3, 10*time.Second)
	if len(msgs) != 3 {
		t.Fatalf("%d mails, want 3", len(msgs))
	}
	want := map[string]struct{ subject, summary string }{
		"liga@example.com": {"Ziņas draftbulletin01", ""},
		"emma@example.com": {"News draftbulletin01", "Summary in English draftbulletin01"},
		"olga@example.com": {"Новости draftbulletin01", "Краткое содержание draftbulletin01"},
	}
	var oneClick string
	for _, s := range msgs {
		m := mp.Message(t, s.ID)
		to := m.To[0].Address
		w, ok := want[to]
		if !ok {
			t.Errorf("mail to %s", to)
			continue
		}
		delete(want, to)
		if m.Subject != w.subject {
			t.Errorf("%s: subject %q, want %q", to, m.Subject, w.subject)
		}
		if got := m.Header("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: List-Unsubscribe-Post %q", to, got)
		}
		link := unsubscribeHeader.FindStringSubmatch(m.Header("List-Unsubscribe"))
		if link == nil || !strings.HasPrefix(link[1], srv.URL) {
			t.Fatalf("%s: List-Unsubscribe %q", to, m.Header("List-Unsubscribe"))
		}
		if !strings.Contains(m.HTML, `href="`+link[1]+`"`) || !strings.Contains(m.Text, link[1]) {
			t.Errorf("%s: no visible unsubscribe link in the mail", to)
		}
		// The summary in their language above the Latvian text.
		lv := strings.Index(m.HTML, "<strong>draugi</strong>")
		if lv < 0 || strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "onerror") {
			t.Errorf("%s: the Latvian text is missing or unsafe", to)
		}
		if w.summary != "" {
			if i := strings.Index(m.HTML, w.summary); i < 0 || i > lv {
				t.Errorf("%s: the summary is not above the Latvian text", to)
			}
		} else if strings.Contains(m.HTML, "Summary in English") {
			t.Errorf("%s: a Latvian reader gets a summary", to)
		}
		if !strings.Contains(m.HTML, `src="`+srv.URL+`/api/files/bulletins/draftbulletin01/x.png"`) {
			t.Errorf("%s: the image's address is not absolute", to)
		}
		if to == "olga@example.com" {
			oneClick = link[1]
		}
	}
	p, err := bulletins.ProgressOf(app, "draftbulletin01")
	if err != nil || p != (bulletins.Progress{Sent: 3, Skipped: 1}) {
		t.Errorf("progress %+v %v", p, err)
	}

	// RFC 8058: a mail client posts to the link, without cookies or a
	// CSRF token; the address is deleted at once.
	res, err = http.Post(oneClick, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"List-Unsubscribe": {"One-Click"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d", res.StatusCode)
	}
	if _, err := app.FindFirstRecordByData(bulletins.ColSubscribers, "email", "olga@example.com"); err == nil {
		t.Error("the address is still stored")
	}
	if n := count(t, app, bulletins.ColSubscribers, ""); n != 3 {
		t.Errorf("%d subscribers left, want 3", n)
	}
}

func dbxID(id string) dbx.Expression { return dbx.HashExp{"id": id} }
