package volunteers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/volunteers"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

var confirmLink = regexp.MustCompile(`https?://[^\s"<>]+/volunteer/confirm\?lang=en&token=[A-Za-z0-9._-]+`)

// lastMail waits for the newest mail to addr whose subject starts with
// prefix and returns its text.
func lastMail(t *testing.T, mp *mailpit.Server, addr, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range mp.To(t, addr) {
			if strings.HasPrefix(s.Subject, prefix) {
				return mp.Message(t, s.ID).Text
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail %q to %s", prefix, addr)
	return ""
}

// TestVolunteerJourney: a person signs up on /volunteer in English with
// JavaScript off, confirms the address through the link in the mail
// mailpit received, chooses a password, is invited to the door shift of an
// event that starts soon, accepts through the mail's link, and then works
// the door: the scanner page opens for them and checks a ticket in through
// the fake camera.
func TestVolunteerJourney(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	org := kopatest.Organiser(t, app, "org@example.com")
	starts := time.Now().Add(45 * time.Minute).Truncate(time.Minute)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Vietējo bailes", Starts: starts, Capacity: 30})
	door := kopatest.Shift(t, app, ev, "door", starts.Add(-15*time.Minute), starts.Add(2*time.Hour))
	guest := kopatest.Registration(t, app, ev, "Amina Haddad", "amina@example.com", "confirmed")
	png, err := registration.QRCode(registration.TicketURL(app, guest.GetString("ticket")))
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser.Camera(t, png)

	// Sign up without JavaScript.
	err = browser.Within(ctx, time.Minute,
		browser.Scripts(false),
		chromedp.Navigate(srv.URL+"/volunteer?lang=en"),
		browser.WaitVisible("#name"),
		chromedp.SendKeys("#name", "Layla Haddad"),
		chromedp.SendKeys("#email", "layla@example.com"),
		chromedp.Click(`input[name=languages][value=ar]`),
		chromedp.Click(`input[name=languages][value=en]`),
		chromedp.Click(`input[name=skills][value=door]`),
		chromedp.Click("#contact_consent"),
		chromedp.Click(`form[action="/volunteer"] button[type=submit]`),
		browser.WaitVisible("p.notice"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := chromedp.Run(ctx, chromedp.Text("h1")); h != "Please check your e-mail" {
		t.Fatalf("after sign-up: %q", h)
	}

	// Confirm through the mail's link and choose a password.
	text := lastMail(t, mp, "layla@example.com", "Confirm your e-mail address")
	link := confirmLink.FindString(text)
	if link == "" || !strings.HasPrefix(link, srv.URL) {
		t.Fatalf("no confirmation link in:\n%s", text)
	}
	err = browser.Within(ctx, time.Minute,
		chromedp.Navigate(link),
		browser.WaitVisible("#password"),
		chromedp.SendKeys("#password", "Kopā ir spēks 2026"),
		chromedp.SendKeys("#password_confirm", "Kopā ir spēks 2026"),
		chromedp.Click(`form.narrow button[type=submit]`),
		browser.WaitVisible("#profile-h"),
	)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(page, "Your address is confirmed") || !strings.Contains(page, "Hello, Layla Haddad!") {
		t.Fatalf("portal after confirming:\n%s", page)
	}
	vol, err := app.FindAuthRecordByEmail("volunteers", "layla@example.com")
	if err != nil || !vol.Verified() || !vol.ValidatePassword("Kopā ir spēks 2026") {
		t.Fatalf("volunteer %v verified=%v", err, vol != nil && vol.Verified())
	}

	// A new volunteer waits for approval; an organiser approves them.
	if !strings.Contains(page, "waiting for approval") {
		t.Fatalf("portal of a new volunteer without its status:\n%s", page)
	}
	vol.Set("status", volunteers.VolunteerApproved)
	if err := app.Save(vol); err != nil {
		t.Fatal(err)
	}

	// An organiser invites the door volunteers through the API.
	req, _ := http.NewRequest("POST", srv.URL+"/api/shifts/"+door.Id+"/invite", strings.NewReader(`{"match":{"languages":["ar"]}}`))
	req.Header.Set("Authorization", kopatest.Token(t, org))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := strings.TrimSpace(readAll(t, res)); res.StatusCode != 202 || body != `{"invited":1}` {
		t.Fatalf("invite: %d %s", res.StatusCode, body)
	}

	// Accept through the invitation mail's link.
	text = lastMail(t, mp, "layla@example.com", "Can you help?")
	links := inviteLink.FindAllStringSubmatch(text, -1)
	if len(links) != 2 || links[0][2] != "accept" {
		t.Fatalf("invitation links %v in:\n%s", links, text)
	}
	err = browser.Within(ctx, time.Minute,
		chromedp.Navigate(links[0][0]),
		browser.WaitVisible(`button.primary.chosen`),
		chromedp.Click(`button.primary.chosen`),
		browser.WaitVisible("p.notice"),
	)
	if err != nil {
		t.Fatal(err)
	}
	notice, _ := chromedp.Run(ctx, chromedp.Text("p.notice"))
	if !strings.Contains(notice, "You are on the shift") {
		t.Errorf("after accepting: %q", notice)
	}
	if got := assignments(t, app, door.Id); got[vol.Id] != "accepted" {
		t.Fatalf("assignment %v", got)
	}
	if err := chromedp.Do(ctx, browser.Scripts(true)); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "invitation page")

	// The portal lists the shift with the way to the scanner.
	err = browser.Within(ctx, time.Minute,
		chromedp.Navigate(srv.URL+"/volunteer/me?lang=en"),
		browser.WaitVisible(`a[href="/manage/events/`+ev.Id+`/scan"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "volunteer portal")

	// Work the door: the scanner opens for this volunteer and checks the
	// guest's ticket in through the camera.
	err = browser.Within(ctx, time.Minute,
		chromedp.Click(`a[href="/manage/events/`+ev.Id+`/scan"]`),
		browser.WaitVisible("#start"),
		chromedp.Click("#start"),
		browser.WaitVisible("#answer"),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The answer hides itself after a few seconds: read what it says, seen
	// or not by then.
	if title, _ := chromedp.Run(ctx, chromedp.TextContent("#answer-title")); title != "Welcome, Amina H.!" { // a door volunteer sees the short name
		t.Errorf("scanner answer %q", title)
	}
	c, err := app.FindFirstRecordByData("checkins", "registration", guest.Id)
	if err != nil || c.GetString("method") != "qr" {
		t.Fatalf("check-in not stored: %v", err)
	}

	// The sign-up page itself passes axe too.
	err = browser.Within(ctx, time.Minute, chromedp.Navigate(srv.URL+"/volunteer?lang=en"), browser.WaitVisible("#name"))
	if err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "sign-up page")
}
