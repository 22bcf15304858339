package registration_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestRegisterInRussianWithoutJavaScript fills the form on a phone-sized
// Chromium with JavaScript off, lands on the ticket page, and cancels
// through the confirmation step.
func TestRegisterInRussianWithoutJavaScript(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Dzīves uzsākšana pēc bēgļa statusa saņemšanas", Capacity: 10})
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)

	err := chromedp.Do(ctx,
		browser.Scripts(false),
		chromedp.Navigate(srv.URL+"/events/"+ev.Id+"?lang=ru"),
		browser.WaitVisible("#name"),
		chromedp.SendKeys("#name", "Мария Иванова"),
		chromedp.SendKeys("#email", "maria@example.com"),
		chromedp.Click("#photo_consent"),
		chromedp.Click(`form button[type=submit]`),
		browser.WaitVisible("img.qr"),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	r, err := app.FindFirstRecordByData("registrations", "email", "maria@example.com")
	if err != nil {
		t.Fatalf("not stored: %v", err)
	}
	if !strings.HasSuffix(loc, "/t/"+r.GetString("ticket")) {
		t.Errorf("landed on %s", loc)
	}
	if r.GetString("locale") != "ru" || !r.GetBool("photo_consent") || r.GetString("name") != "Мария Иванова" {
		t.Errorf("stored %v", r.PublicExport())
	}
	text, _ := chromedp.Run(ctx, chromedp.Text("main"))
	for _, want := range []string{"Ваш билет", "Мария Иванова", "подтверждено"} {
		if !strings.Contains(text, want) {
			t.Errorf("ticket page lacks %q", want)
		}
	}
	if err := chromedp.Do(ctx, browser.Scripts(true)); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "ticket page")
	if err := chromedp.Do(ctx, browser.Scripts(false)); err != nil {
		t.Fatal(err)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(`a[href$="/cancel"]`),
		browser.WaitVisible(`button.danger`),
		chromedp.Click(`button.danger`),
		browser.WaitVisible(`p.notice`),
	)
	if err != nil {
		t.Fatal(err)
	}
	notice, _ := chromedp.Run(ctx, chromedp.Text("p.notice"))
	if !strings.Contains(notice, "Вы отказались от участия") {
		t.Errorf("notice %q", notice)
	}
	r, _ = app.FindRecordById("registrations", r.Id)
	if r.GetString("status") != "cancelled" {
		t.Errorf("status after cancel: %s", r.GetString("status"))
	}
}
