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

// TestDirectoryInTheBrowser: on a 390 px phone with JavaScript off, an
// organiser finds the directory from the console, filters it, opens a
// pending volunteer, writes the note and approves them; every page fits the
// screen and axe-core finds nothing serious.
func TestDirectoryInTheBrowser(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	juris := kopatest.Volunteer(t, app, "juris@example.com", []string{"lv", "ru"}, []string{"door"}, "pending")
	olga := kopatest.Volunteer(t, app, "olga@example.com", []string{"ru"}, []string{"childcare"})
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: starts})
	kopatest.Shift(t, app, ev, "door", starts, starts.Add(time.Hour))
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	fits := func(page string) {
		t.Helper()
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil || !wide {
			t.Errorf("%s is wider than the phone (%v)", page, err)
		}
	}
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"no scripts", browser.Scripts(false)},
		{"console", chromedp.Navigate(srv.URL + "/manage?lang=en")},
		{"directory link", chromedp.Click(`a[href="/manage/volunteers"]`)},
		{"directory", browser.WaitVisible(`#language`)},
		{"filter status", chromedp.SetValue("#status", "pending")},
		{"filter skill", chromedp.SetValue("#skill", "door")},
		{"search", chromedp.Click(`form[role=search] button[type=submit]`)},
		// Juris is listed before the search too: the filtered page is the
		// one without Olga.
		{"filtered", browser.WaitNotPresent(`a[href="/manage/volunteers/` + olga.Id + `"]`)},
		{"juris", browser.WaitVisible(`a[href="/manage/volunteers/` + juris.Id + `"]`)},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	table, _ := chromedp.Run(ctx, chromedp.Text("table.volunteers"))
	if !strings.Contains(table, "juris@example.com") || strings.Contains(table, "olga@example.com") {
		t.Fatalf("the filtered directory: %q", table)
	}
	fits("the directory")
	if err := chromedp.Do(ctx, browser.Scripts(true), chromedp.Reload(), browser.WaitVisible(`#language`)); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "the directory")
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"no scripts", browser.Scripts(false)},
		{"open", chromedp.Click(`a[href="/manage/volunteers/` + juris.Id + `"]`)},
		{"page", browser.WaitVisible(`#notes`)},
		{"note", chromedp.SendKeys("#notes", "References checked")},
		{"save note", chromedp.Click(`form[action$="/notes"] button[type=submit]`)},
		{"saved", browser.WaitVisible(`p.notice`)},
		{"approve", chromedp.Click(`form[action$="/status"] button[type=submit]`)},
		{"approved", browser.WaitReady(`input[name=status][value=paused]`)},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	fits("the volunteer's page")
	if st, notes := statusOf(t, app, juris.Id); st != "approved" || notes != "References checked" {
		t.Fatalf("status %q, notes %q", st, notes)
	}
	if err := chromedp.Do(ctx, browser.Scripts(true), chromedp.Reload(), browser.WaitVisible(`#invite-shift`)); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "the volunteer's page")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/manage/volunteers/"+juris.Id+"/erase"), browser.WaitVisible(`button.danger`)); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "the erase confirmation")
	fits("the erase confirmation")
}
