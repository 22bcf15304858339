package notices_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/notices"
	"kopa/hooks/outbox"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestOrganiserWritesToAnEventsPeople: from the event's page an organiser
// opens the message form, writes in Latvian and English, ticks who gets
// it, previews it (each language as its readers see it, and to how many)
// and sends it; the page then lists it. Every step passes axe-core.
func TestOrganiserWritesToAnEventsPeople(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	// Three days ahead: no reminder falls due while the test runs.
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Starts: time.Now().Add(72 * time.Hour).Truncate(time.Hour)})
	kopatest.Registration(t, app, ev, "Anna", "anna@example.com", "confirmed")
	kopatest.Registration(t, app, ev, "Olek", "olek@example.com", "waitlisted")
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	// A desktop's window.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)); err != nil {
		t.Fatal(err)
	}
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"event", chromedp.Navigate(srv.URL + "/manage/events/" + ev.Id + "?lang=en")},
		{"link", chromedp.Click(`a[href="/manage/events/` + ev.Id + `/message"]`)},
		{"form", browser.WaitVisible("#subject_lv")},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	browser.AssertAccessible(t, ctx, "message form")
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"waiting too", chromedp.Click("#to-waitlisted")},
		{"subject lv", chromedp.SendKeys("#subject_lv", "Telpa mainīta")},
		{"body lv", chromedp.SendKeys("#body_lv", "Tiekamies 2. stāvā.")},
		{"subject en", chromedp.SendKeys("#subject_en", "New room")},
		{"body en", chromedp.SendKeys("#body_en", "We meet on the 2nd floor.")},
		{"preview", chromedp.Click(`button[value="preview"]`)},
		{"previewed", browser.WaitVisible(`button[value="send"]`)},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	browser.AssertAccessible(t, ctx, "message preview")
	preview, _ := chromedp.Run(ctx, chromedp.Text("main"))
	for _, want := range []string{"It goes to 2 people.", "Telpa mainīta", "We meet on the 2nd floor.", "Russian"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q:\n%s", want, preview)
		}
	}
	if n, _ := app.CountRecords(outbox.Collection); n != 0 {
		t.Fatalf("the preview queued %d mails", n)
	}
	if err := browser.Within(ctx, 30*time.Second, chromedp.Click(`button[value="send"]`), browser.WaitVisible("p.notice")); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "message sent")
	page, _ := chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(page, "The message is on its way to 2 people.") || !strings.Contains(page, "New room") {
		t.Errorf("after sending:\n%s", page)
	}
	rows, _ := app.FindAllRecords(outbox.Collection)
	if len(rows) != 2 || rows[0].GetString("template") != notices.MailMessage {
		t.Errorf("%d mails queued", len(rows))
	}
}
