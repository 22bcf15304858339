package live_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/live"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestDashboardInBrowser signs an organiser in through the login form in a
// real Chromium, opens the dashboard, makes a check-in through the API and
// watches the numbers, the bar and the last arrivals change (first name
// only). Then projector mode, and axe-core on both.
func TestDashboardInBrowser(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ev := kopatest.Event(t, f.app, kopatest.EventOpts{Title: "Kultūršoks", Capacity: 4})
	amina := kopatest.Registration(t, f.app, ev, "Amina Haddad", "amina@example.org", "confirmed")
	kopatest.Registration(t, f.app, ev, "Farid Rahimi", "farid@example.org", "confirmed")
	ctx := browser.New(t)

	page := f.srv.URL + "/manage/events/" + ev.Id + "/live?lang=en"
	err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		browser.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "org@example.org"),
		chromedp.SendKeys(`input[name=password]`, kopatest.Password),
		chromedp.Submit(`input[name=password]`),
		browser.WaitVisible(`#live-checked-in`),
		browser.WaitVisible(`#live-status[data-state=live]`),
	)
	if err != nil {
		t.Fatalf("log in and open the dashboard: %v", err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	if got := text("#live-checked-in"); got != "0" {
		t.Fatalf("checked in before: %q", got)
	}
	if got := text("#live-status-text"); got != "Connected, live numbers" {
		t.Fatalf("status: %q", got)
	}

	// The check-in goes through PocketBase's record API, as an organiser.
	body, _ := json.Marshal(map[string]any{"registration": amina.Id, "event": ev.Id, "method": "qr", "at": types.NowDateTime().String()})
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/collections/checkins/records", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", f.orgToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("check-in: %d %s", res.StatusCode, raw)
	}

	if err := chromedp.Do(ctx, browser.WaitVisible(`//span[@id="live-checked-in"][normalize-space()="1"]`)); err != nil {
		t.Fatalf("the number did not change: %v", err)
	}
	if got := text("#live-expected"); got != "1" {
		t.Errorf("still expected: %q", got)
	}
	if got := text("#live-bar-label"); got != "Hall filled: 25 %" {
		t.Errorf("bar label: %q", got)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById("live-bar").value`)); v != 1 {
		t.Errorf("bar value %v", v)
	}
	recent := text("#live-recent")
	if !strings.Contains(recent, "Amina") || strings.Contains(recent, "Haddad") {
		t.Errorf("last arrivals %q: want the first name only", recent)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#live-chart path.arrivals").length`)); n != 1 {
		t.Errorf("chart has %d arrival lines", n)
	}
	body2, _ := chromedp.Run(ctx, chromedp.Text("body"))
	if strings.Contains(body2, "amina@example.org") || strings.Contains(body2, amina.GetString("ticket")) {
		t.Error("the dashboard shows an e-mail address or a ticket code")
	}
	browser.AssertAccessible(t, ctx, "dashboard")

	// Projector mode: a toggle, remembered in the address.
	err = chromedp.Do(ctx, chromedp.Click(`#live-projector`), browser.WaitVisible(`#live.projector`))
	if err != nil {
		t.Fatalf("projector mode: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`)); loc != "?projector=1" {
		t.Errorf("projector address %q", loc)
	}
	if vis, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("header.site")).display !== "none"`)); vis {
		t.Error("the site header shows in projector mode")
	}
	browser.AssertAccessible(t, ctx, "dashboard in projector mode")

	// A second check-in still arrives after the toggle.
	farid, err := f.app.FindFirstRecordByData("registrations", "email", "farid@example.org")
	if err != nil {
		t.Fatal(err)
	}
	checkin(t, f.app, farid)
	if err := chromedp.Do(ctx, browser.WaitVisible(`//span[@id="live-checked-in"][normalize-space()="2"]`)); err != nil {
		t.Fatalf("second check-in: %v", err)
	}
	if got := text("#live-recent li:first-child .name"); got != "Farid" {
		t.Errorf("newest arrival %q", got)
	}

	// The connection drops (a server restart), a check-in happens while it
	// is down, and the page reconnects and shows it from the new snapshot.
	live.Disconnect(f.app, ev.Id, websocket.CloseServiceRestart)
	waitFor(t, "the dashboard disconnected", func() bool { return live.Clients(f.app, ev.Id) == 0 })
	checkin(t, f.app, kopatest.Registration(t, f.app, ev, "Oleksandr Koval", "olek@example.org", "confirmed"))
	if err := chromedp.Do(ctx,
		browser.WaitVisible(`//span[@id="live-checked-in"][normalize-space()="3"]`),
		browser.WaitVisible(`#live-status[data-state=live]`),
	); err != nil {
		t.Fatalf("after reconnecting: %v", err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#live-chart path.arrivals").length`)); n != 1 {
		t.Errorf("chart after reconnect has %d arrival lines", n)
	}
}

// TestDashboardTooManyPages: an organiser's dashboard is their oldest
// socket when twenty more are opened with their account; it is closed with
// 4429, says so, and stays closed (reconnecting would close another).
func TestDashboardTooManyPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := browser.New(t)
	if err := browser.Login(ctx, f.srv.URL, "org@example.org", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(f.srv.URL+"/manage/events/"+f.event.Id+"/live?lang=en"),
		browser.WaitVisible(`#live-status[data-state=live]`),
	)
	if err != nil {
		t.Fatalf("open the dashboard: %v", err)
	}
	for range 20 {
		f.open(t, f.orgToken, f.event.Id)
	}
	if err := chromedp.Do(ctx, browser.WaitVisible(`#live-status[data-state=toomany]`)); err != nil {
		t.Fatalf("the dashboard was not told: %v", err)
	}
	got, _ := chromedp.Run(ctx, chromedp.Text("#live-status-text"))
	if want := "Closed: this account has too many live pages open. Reload the page to watch here again."; strings.TrimSpace(got) != want {
		t.Errorf("status %q, want %q", got, want)
	}
	if n := live.Sockets(f.app, f.org); n != 20 {
		t.Errorf("%d sockets, want the 20 opened after the dashboard", n)
	}
}
