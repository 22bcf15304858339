package registration_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestPartyFormWithoutJavaScript: on a phone with JavaScript off, a family
// chooses with the keyboard how many are coming and how many children need
// minding, leaves the optional e-mail out, lands on a ticket that says it
// cannot be sent again, and gives one seat back.
func TestPartyFormWithoutJavaScript(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := familyEvent(t, app, kopatest.EventOpts{Title: "Muzeja apmeklējums ģimenēm", Capacity: 20}, 5, true, true)
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)

	err := chromedp.Do(ctx,
		browser.Scripts(false),
		chromedp.Navigate(srv.URL+"/events/"+ev.Id+"?lang=en"),
		browser.WaitVisible("#party"),
		chromedp.SendKeys("#name", "Amina Haddad"),
		chromedp.Focus("#party"),
		chromedp.SendKeys("#party", "4"),
		chromedp.Focus("#childcare"),
		chromedp.SendKeys("#childcare", "2"),
		chromedp.Click(`form button[type=submit]`),
		browser.WaitVisible("img.qr"),
	)
	if err != nil {
		t.Fatal(err)
	}
	r, err := app.FindFirstRecordByData("registrations", "name", "Amina Haddad")
	if err != nil {
		t.Fatalf("not stored: %v", err)
	}
	if r.GetInt("party") != 4 || r.GetInt("childcare") != 2 || r.GetString("email") != "" || r.GetString("status") != "confirmed" {
		t.Errorf("stored %v", r.PublicExport())
	}
	text, _ := chromedp.Run(ctx, chromedp.Text("main"))
	for _, want := range []string{"Amina Haddad", "People", "4", "Children to mind", "cannot be sent again", "Add to calendar", "Print the ticket", "One of us can't come"} {
		if !strings.Contains(text, want) {
			t.Errorf("ticket page lacks %q", want)
		}
	}
	// Without JavaScript the share button stays hidden: the calendar and
	// print links remain.
	if visible, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector("[data-share]").hidden`)); visible {
		t.Error("the share button shows without JavaScript")
	}

	err = chromedp.Do(ctx,
		chromedp.Focus("#give-back-party"),
		chromedp.SendKeys("#give-back-party", "3"),
		chromedp.Click(`form.give-back button[type=submit]`),
		browser.WaitVisible(`p.notice`),
	)
	if err != nil {
		t.Fatal(err)
	}
	r, _ = app.FindRecordById("registrations", r.Id)
	if r.GetInt("party") != 3 || r.GetInt("childcare") != 2 {
		t.Errorf("after giving a seat back: party %d, childcare %d", r.GetInt("party"), r.GetInt("childcare"))
	}
	if err := chromedp.Do(ctx, browser.Scripts(true), chromedp.Navigate(srv.URL+"/events/"+ev.Id+"?lang=ar"), browser.WaitVisible("#party")); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "the family form in Arabic")
}

// TestKeepATicketWithoutEmail: the share button opens the phone's share
// sheet with the ticket's address, copies it where there is no share
// sheet, and the print view prints the ticket without the site around it.
func TestKeepATicketWithoutEmail(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := familyEvent(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Capacity: 20}, 3, true, false)
	r := partyOf(t, app, ev, "reza", "confirmed", 2)
	r.Set("email", "")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	code := r.GetString("ticket")
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)

	// A share sheet that records what it was given.
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/t/"+code+"?lang=en"), browser.WaitVisible("[data-share]"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.share = (d) => { window.shared = d; return Promise.resolve(); }; true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click("[data-share]")); err != nil {
		t.Fatal(err)
	}
	shared, err := chromedp.Run(ctx, chromedp.Poll[string](`window.shared && window.shared.url`))
	if err != nil || shared != srv.URL+"/t/"+code {
		t.Errorf("shared %q (%v), want the ticket's address", shared, err)
	}
	browser.AssertAccessible(t, ctx, "a ticket without e-mail")

	// No share sheet: the address is copied, and the page says so.
	gone, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`delete Navigator.prototype.share; delete navigator.share;
			Object.defineProperty(navigator, "clipboard", {value: {writeText: (s) => { window.copied = s; return Promise.resolve(); }}});
			typeof navigator.share === "undefined"`))
	if err != nil || !gone {
		t.Fatalf("no share sheet: %v %v", gone, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click("[data-share]")); err != nil {
		t.Fatal(err)
	}
	copied, err := chromedp.Run(ctx, chromedp.Poll[string](`window.copied`))
	if err != nil || copied != srv.URL+"/t/"+code {
		t.Errorf("copied %q (%v)", copied, err)
	}
	said, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector("[data-share-status]").textContent`))
	if err != nil || !strings.Contains(said, "is copied") {
		t.Errorf("the page said %q (%v)", said, err)
	}

	// The print view: the ticket and its QR code, the print button, and in
	// print nothing but the ticket.
	err = chromedp.Do(ctx,
		chromedp.Click(`a[href$="/print"]`),
		browser.WaitVisible("[data-print]"),
		browser.WaitVisible("img.qr"),
	)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text("main"))
	for _, want := range []string{"Sarunu klubs", "reza", "People", "2"} {
		if !strings.Contains(text, want) {
			t.Errorf("print view lacks %q", want)
		}
	}
	browser.AssertAccessible(t, ctx, "the print view")
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[string](`["header.site", "footer.site", ".ticket-print .actions"].map(s => getComputedStyle(document.querySelector(s)).display).join(",") + "," + getComputedStyle(document.querySelector("img.qr")).display`))
	if err != nil || hidden != "none,none,none,block" {
		t.Errorf("in print: header, footer, buttons, QR code displayed as %q (%v)", hidden, err)
	}
}
