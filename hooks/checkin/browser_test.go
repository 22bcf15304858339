package checkin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/registration"
	"kopa/internal/browser"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// cameraAtTheDoor makes an event with one confirmed ticket (Amina Haddad's)
// and starts Chromium signed in as an organiser, its fake camera showing
// that ticket's QR code.
func cameraAtTheDoor(t *testing.T, o kopatest.EventOpts) (*tests.TestApp, *core.Record, *core.Record, context.Context, *httptest.Server) {
	t.Helper()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, o)
	r := kopatest.Registration(t, app, ev, "Amina Haddad", "amina@example.com", "confirmed")
	kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	png, err := registration.QRCode(registration.TicketURL(app, r.GetString("ticket")))
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser.New(t, browser.CameraFlags(browser.FakeCamera(t, png))...)
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	return app, ev, r, ctx, srv
}

// TestScanThroughTheCamera feeds a ticket's real QR code to Chromium's fake
// camera: the scanner page reads it, shows the welcome with the right name,
// and the check-in is stored.
func TestScanThroughTheCamera(t *testing.T) {
	app, ev, r, ctx, srv := cameraAtTheDoor(t, kopatest.EventOpts{Title: "Bēgļu nodarbinātība", Capacity: 40})
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/scan?lang=en"),
		chromedp.WaitVisible("#start"),
	)
	if err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "scanner page")
	err = chromedp.Do(ctx,
		chromedp.Click("#start"),
		chromedp.WaitVisible("#answer"),
		// Amina did not consent to photographs.
		chromedp.WaitVisible("#answer-photo"),
		chromedp.WaitReady(`#scanner[data-last-latency]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	title, _ := chromedp.Run(ctx, chromedp.Text("#answer-title"))
	if title != "Welcome, Amina Haddad!" {
		t.Errorf("answer %q", title)
	}
	class, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("answer").className`))
	if !strings.Contains(class, "ok") {
		t.Errorf("answer colour %q", class)
	}
	// Measured in the page: from the camera frame that held the code to the
	// answer painted (the decoding part of it separately). Reported, not
	// asserted.
	latency, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("scanner").dataset.lastLatency || ""`))
	decode, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("scanner").dataset.lastDecode || ""`))
	t.Logf("camera frame to answer on screen: %s ms (decoding: %s ms)", latency, decode)
	c, err := app.FindFirstRecordByData("checkins", "registration", r.Id)
	if err != nil || c.GetString("method") != "qr" {
		t.Fatalf("check-in not stored: %v", err)
	}
	in, _ := chromedp.Run(ctx, chromedp.Text("#n-in"))
	if in != "1" {
		t.Errorf("checked-in count %q", in)
	}
}

// TestScanAtACancelledEvent: the door of a cancelled event says so, and a
// ticket held up to the camera lets nobody in.
func TestScanAtACancelledEvent(t *testing.T) {
	app, ev, _, ctx, srv := cameraAtTheDoor(t, kopatest.EventOpts{Status: "cancelled", Capacity: 40})
	err := browser.Within(ctx, 30*time.Second,
		chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/scan?lang=en"),
		chromedp.WaitVisible("#event-cancelled"),
	)
	if err != nil {
		t.Fatalf("the notice: %v", err)
	}
	err = browser.Within(ctx, 30*time.Second,
		chromedp.Click("#start"),
		chromedp.WaitVisible("#answer"),
	)
	if err != nil {
		t.Fatalf("the answer: %v", err)
	}
	title, _ := chromedp.Run(ctx, chromedp.Text("#answer-title"))
	if title != "The event was cancelled — Amina Haddad: no check-in" {
		t.Errorf("answer %q", title)
	}
	class, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("answer").className`))
	if !strings.Contains(class, "bad") {
		t.Errorf("answer colour %q", class)
	}
	if n, _ := app.CountRecords("checkins"); n != 0 {
		t.Errorf("%d check-ins at a cancelled event", n)
	}
}

// netSwitch stands between the browser and the server like the hall's
// network: while down, every request (the service worker's too) fails as a
// lost connection does.
type netSwitch struct {
	down atomic.Bool
	URL  string
}

func newNetSwitch(t *testing.T, target string) *netSwitch {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ns := &netSwitch{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ns.down.Load() {
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ns.URL = srv.URL
	return ns
}

// TestScanOfflineThenSync: the door prepares for offline use and loses the
// connection. A ticket scanned by the camera and a person found by name
// in the list on the device are judged there and queued; the tab is closed
// and opened again (the page comes from the service worker, the queue from
// IndexedDB); when the connection is back both are sent, the server's
// answer replaces the local one where they differ, the waiting counter
// goes to 0, and logging out wipes the list from the device.
func TestScanOfflineThenSync(t *testing.T) {
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Capacity: 15, Starts: time.Now().Add(10 * time.Minute)})
	olek := kopatest.Registration(t, app, ev, "Olek Petrenko", "olek@example.com", "confirmed")
	leyla := kopatest.Registration(t, app, ev, "Leyla Karimi", "leyla@example.com", "confirmed")
	kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	network := newNetSwitch(t, srv.URL)
	// The hall reaches Kopā through the switch: that is its address.
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.Meta.AppURL = network.URL
	})
	png, _ := registration.QRCode(registration.TicketURL(app, olek.GetString("ticket")))
	browserCtx := browser.New(t, browser.CameraFlags(browser.FakeCamera(t, png))...)
	if err := browser.Login(browserCtx, network.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	page := network.URL + "/manage/events/" + ev.Id + "/scan?lang=en"
	run := func(ctx context.Context, name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := browser.Within(ctx, 30*time.Second, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(ctx context.Context, sel string) string {
		v, _ := chromedp.Run(ctx, chromedp.Text(sel))
		return v
	}
	offline := func(ctx context.Context, off bool) {
		network.down.Store(off)
		run(ctx, "network", browser.Offline(off))
	}

	run(browserCtx, "prepare", chromedp.Navigate(page), chromedp.Click("#prepare"), chromedp.WaitVisible(`#scanner[data-prepared="1"]`))
	if got := text(browserCtx, "#prepared"); got != "2 tickets kept on this device." {
		t.Errorf("prepared: %q", got)
	}
	// Another door device checks Leyla in after this one took the list.
	if _, err := checkin.CheckIn(app, ev.Id, leyla.GetString("ticket"), domain.CheckinQR, time.Now()); err != nil {
		t.Fatal(err)
	}

	offline(browserCtx, true)
	run(browserCtx, "scan", chromedp.Click("#start"), chromedp.WaitVisible("#answer"))
	if title, detail := text(browserCtx, "#answer-title"), text(browserCtx, "#answer-detail"); title != "Welcome, Olek P.!" || !strings.Contains(detail, "Offline") {
		t.Errorf("offline answer %q / %q", title, detail)
	}
	run(browserCtx, "no photos", chromedp.WaitVisible("#answer-photo"))
	run(browserCtx, "search by name on the device",
		chromedp.Click("#answer"), chromedp.WaitNotVisible("#answer"),
		chromedp.SendKeys("#q", "ley"), chromedp.Click(`#search-form button[type=submit]`),
		chromedp.WaitVisible(`//ul[@id="results"]//button`),
		chromedp.Click(`//ul[@id="results"]//button`),
		chromedp.WaitVisible(`//strong[@id="pending"][text()="2"]`))
	if title := text(browserCtx, "#answer-title"); title != "Welcome, Leyla K.!" {
		t.Errorf("offline manual answer %q", title)
	}
	if n, _ := app.CountRecords("checkins"); n != 1 {
		t.Fatalf("%d check-ins stored while offline", n)
	}

	// Leave the page (nothing of it stays in memory) and open it again in a
	// new tab, still without a connection.
	run(browserCtx, "leave the page", chromedp.Navigate("about:blank"))
	tab, closeTab := chromedp.NewContext(browserCtx)
	defer closeTab()
	// The first action on a context opens its tab for the context's whole
	// life: run it without Within's time limit.
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	offline(tab, true)
	run(tab, "reopen offline", chromedp.Navigate(page), chromedp.WaitVisible(`//strong[@id="pending"][text()="2"]`))

	offline(tab, false)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n, _ := app.CountRecords("checkins"); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the offline scans were not synced")
		}
		time.Sleep(200 * time.Millisecond)
	}
	run(tab, "waiting counter at 0", chromedp.WaitVisible(`//strong[@id="pending"][text()="0"]`))
	c, err := app.FindFirstRecordByData("checkins", "registration", olek.Id)
	if err != nil || c.GetString("method") != string(domain.CheckinQR) {
		t.Fatalf("Olek's check-in: %v %v", c, err)
	}
	run(tab, "the server's answer replaces the local one", chromedp.WaitVisible("#synced-wrap"))
	if got := text(tab, "#synced"); !regexp.MustCompile(`Leyla Karimi already checked in at \d\d:\d\d$`).MatchString(got) {
		t.Errorf("correction %q", got)
	}

	// Logging out wipes the ticket list from the device.
	run(tab, "log out", chromedp.Click(`form[action="/manage/logout"] button`), chromedp.WaitNotPresent("#scanner"))
	waitTickets(t, tab, 0)
}

// ticketsOnDevice counts the tickets kept in the scanner's IndexedDB.
const ticketsOnDevice = `new Promise(function (resolve) {
	var req = indexedDB.open("kopa-door");
	req.onsuccess = function () {
		var d = req.result;
		if (!d.objectStoreNames.contains("tickets")) { resolve(0); return; }
		var c = d.transaction("tickets").objectStore("tickets").count();
		c.onsuccess = function () { d.close(); resolve(c.result); };
	};
})`

// waitTickets waits until the device keeps n tickets.
func waitTickets(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[int](ticketsOnDevice, chromedp.EvalAwaitPromise))
		if err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tickets on the device, want %d (%v)", got, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestOfflineListForgottenAfterTheEvent: once the event has ended, the
// service worker deletes its ticket list at the next visit to any /manage
// page, without the scanner page being opened again.
func TestOfflineListForgottenAfterTheEvent(t *testing.T) {
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(10 * time.Minute)})
	other := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(10 * time.Minute)})
	kopatest.Registration(t, app, ev, "Olek Petrenko", "olek@example.com", "confirmed")
	kopatest.Registration(t, app, other, "Leyla Karimi", "leyla@example.com", "confirmed")
	kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ev.Id, other.Id} {
		err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/manage/events/"+id+"/scan"),
			chromedp.Click("#prepare"), chromedp.WaitVisible(`#scanner[data-prepared="1"]`))
		if err != nil {
			t.Fatal(err)
		}
	}
	waitTickets(t, ctx, 2)
	// The device's record of when ev ends, moved into the past.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(function (resolve) {
		var req = indexedDB.open("kopa-door");
		req.onsuccess = function () {
			var tx = req.result.transaction("meta", "readwrite"), s = tx.objectStore("meta"), g = s.get("`+ev.Id+`");
			g.onsuccess = function () { g.result.ends_at = "2020-01-01 00:00:00.000Z"; s.put(g.result); };
			tx.oncomplete = function () { req.result.close(); resolve(true); };
		};
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/manage")); err != nil {
		t.Fatal(err)
	}
	waitTickets(t, ctx, 1)
}
