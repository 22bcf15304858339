package volunteers_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/volunteers"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// TestVolunteerJourney: sign up on /volunteer in English, confirm through
// the link in the mail, choose a password, accept a door shift from the
// portal, then open the scanner page of that event.
func TestVolunteerJourney(t *testing.T) {
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	start := time.Now().Add(40 * time.Minute)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Vietējo iedzīvotāju bailes", Starts: start})
	shift := kopatest.Shift(t, app, ev, "door", start, start.Add(2*time.Hour))
	ctx := browser.New(t)

	steps := []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"open", chromedp.Navigate(srv.URL + "/volunteer?lang=en")},
		{"name", chromedp.SendKeys("#name", "Lina Haddad")},
		{"email", chromedp.SendKeys("#email", "lina@example.com")},
		{"arabic", chromedp.Click(`input[name=languages][value=ar]`)},
		{"door", chromedp.Click(`input[name=skills][value=door]`)},
		{"consent", chromedp.Click("#contact_consent")},
		{"submit", chromedp.Click(`form button[type=submit]`)},
		{"thanks", chromedp.WaitVisible("p.notice")},
	}
	for _, s := range steps {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	msgs := mp.WaitFor(t, 1, 10*time.Second)
	m := mp.Message(t, msgs[0].ID)
	link := regexp.MustCompile(`https?://\S+/volunteer/confirm\?token=\S+`).FindString(m.Text)
	if link == "" {
		t.Fatalf("no confirmation link in %q", m.Text)
	}
	steps = steps[:0]
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"confirm", chromedp.Navigate(link)},
		{"password", chromedp.SendKeys("#password", "a long enough password")},
		{"again", chromedp.SendKeys("#password_again", "a long enough password")},
		{"set", chromedp.Click(`form button[type=submit]`)},
		{"portal", chromedp.WaitVisible("#shifts-h")},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	v, err := app.FindAuthRecordByEmail("volunteers", "lina@example.com")
	if err != nil || !v.Verified() {
		t.Fatalf("not verified: %v", err)
	}
	browser.AssertAccessible(t, ctx, "volunteer portal")

	if _, err := volunteers.Invite(app, shift, []*core.Record{v}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"reload", chromedp.Navigate(srv.URL + "/volunteer/me?lang=en")},
		{"accept", chromedp.Click(`form[action$="/accept"] button`)},
		{"accepted", chromedp.WaitVisible(`//strong[text()="accepted"]`)},
		{"scanner", chromedp.Navigate(srv.URL + "/manage/events/" + ev.Id + "/scan?lang=en")},
		{"scanner shows", chromedp.WaitVisible("#start")},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	title, _ := chromedp.Run(ctx, chromedp.Text("h1"))
	if !strings.Contains(title, "Vietējo iedzīvotāju bailes") {
		t.Errorf("scanner title %q", title)
	}
}
