package volunteers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestPortalOpenShiftsInTheBrowser: on a 390 px phone with JavaScript off,
// an approved volunteer finds an open shift in the portal and takes it;
// the shift moves to their upcoming shifts with a way to withdraw, and
// axe-core finds nothing serious on the portal.
func TestPortalOpenShiftsInTheBrowser(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	v := kopatest.Volunteer(t, app, "taker@example.com", []string{"en"}, []string{"hosting"})
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Starts: starts})
	shift := kopatest.Shift(t, app, ev, "hosting", starts, starts.Add(2*time.Hour))
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	if err := browser.Login(ctx, srv.URL, "taker@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	take := `form[action="/volunteer/me/shifts/` + shift.Id + `/take"] button`
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"portal", chromedp.Navigate(srv.URL + "/volunteer/me?lang=en")},
		{"open shift", browser.WaitVisible(take)},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	browser.AssertAccessible(t, ctx, "the portal with open shifts")
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"no scripts", browser.Scripts(false)},
		{"reload", chromedp.Reload()},
		{"take", chromedp.Click(take)},
		{"taken", browser.WaitVisible(`p.notice`)},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	notice, _ := chromedp.Run(ctx, chromedp.Text("p.notice"))
	if !strings.Contains(notice, "The shift is yours") {
		t.Fatalf("notice %q", notice)
	}
	if got := assignments(t, app, shift.Id)[v.Id]; got != "accepted" {
		t.Fatalf("the place is %q", got)
	}
	upcoming, _ := chromedp.Run(ctx, chromedp.Text(`section[aria-labelledby="up-h"]`))
	if !strings.Contains(upcoming, "Sarunu klubs (en)") || !strings.Contains(upcoming, "I cannot come after all") {
		t.Errorf("upcoming shifts: %q", upcoming)
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil || !wide {
		t.Errorf("the portal is wider than the phone (%v)", err)
	}
	if err := chromedp.Do(ctx, browser.Scripts(true), chromedp.Reload(), browser.WaitVisible(`#open-h`)); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "the portal after taking a shift")
}
