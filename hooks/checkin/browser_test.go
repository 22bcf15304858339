package checkin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpnet "github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/registration"
	"kopa/hooks/web"
	"kopa/internal/browser"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// signIn signs the tab in as who (an organiser, a door volunteer) with a
// session started on the server as the login form starts one: the door's
// tests need neither the form (tested with the console's) nor the page it
// leads to, a new page each for Chromium to load.
func signIn(t *testing.T, ctx context.Context, app core.App, base string, who *core.Record) {
	t.Helper()
	token, err := web.StartSession(app, who)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdpnet.SetCookie, cdpnet.SetCookieParams{
			Name: "kopa_session", Value: token, URL: base, Path: "/", HTTPOnly: &yes, SameSite: cdpnet.CookieSameSiteLax,
		})
		return err
	}))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// cameraAtTheDoor makes an event with one confirmed ticket (Amina Haddad's)
// and starts Chromium signed in as an organiser, its fake camera showing
// that ticket's QR code.
func cameraAtTheDoor(t *testing.T, o kopatest.EventOpts) (*tests.TestApp, *core.Record, *core.Record, context.Context, *httptest.Server) {
	t.Helper()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, o)
	r := kopatest.Registration(t, app, ev, "Amina Haddad", "amina@example.com", "confirmed")
	org := kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	png, err := registration.QRCode(registration.TicketURL(app, r.GetString("ticket")))
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser.Camera(t, png)
	signIn(t, ctx, app, srv.URL, org)
	return app, ev, r, ctx, srv
}

// TestScanThroughTheCamera feeds a ticket's real QR code to Chromium's fake
// camera: the scanner page reads it, shows the welcome with the right name,
// and the check-in is stored.
func TestScanThroughTheCamera(t *testing.T) {
	t.Parallel()
	app, ev, r, ctx, srv := cameraAtTheDoor(t, kopatest.EventOpts{Title: "Bēgļu nodarbinātība", Capacity: 40})
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/scan?lang=en"),
		browser.WaitVisible("#start"),
	)
	if err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "scanner page")
	keepAnswers(t, ctx)
	err = chromedp.Do(ctx,
		chromedp.Click("#start"),
		browser.WaitReady(`#scanner[data-last-latency]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	a, err := nthAnswer(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Amina did not consent to photographs.
	if !a.Photo {
		t.Fatalf("answer %+v: no sign that Amina is not to be photographed", a)
	}
	if a.Title != "Welcome, Amina Haddad!" {
		t.Errorf("answer %q", a.Title)
	}
	if !strings.Contains(a.Class, "ok") {
		t.Errorf("answer colour %q", a.Class)
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
	t.Parallel()
	app, ev, _, ctx, srv := cameraAtTheDoor(t, kopatest.EventOpts{Status: "cancelled", Capacity: 40})
	err := browser.Within(ctx, 30*time.Second,
		chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/scan?lang=en"),
		browser.WaitVisible("#event-cancelled"),
	)
	if err != nil {
		t.Fatalf("the notice: %v", err)
	}
	keepAnswers(t, ctx)
	if err := browser.Within(ctx, 30*time.Second, chromedp.Click("#start")); err != nil {
		t.Fatalf("start the camera: %v", err)
	}
	a, err := nthAnswer(ctx, 1)
	if err != nil {
		t.Fatalf("the answer: %v", err)
	}
	if a.Title != "The event was cancelled — Amina Haddad: no check-in" {
		t.Errorf("answer %q", a.Title)
	}
	if !strings.Contains(a.Class, "bad") {
		t.Errorf("answer colour %q", a.Class)
	}
	if n, _ := app.CountRecords("checkins"); n != 0 {
		t.Errorf("%d check-ins at a cancelled event", n)
	}
}

// netSwitch stands between the browser and the server like the hall's
// network. While down, every request (the service worker's too) fails as a
// lost connection does. While hanging, every request is held without an
// answer, as a basement's signal holds them, until the line comes back
// (and then fails as a lost connection). While slow, every request waits
// before it goes through.
type netSwitch struct {
	down atomic.Bool
	slow atomic.Int64 // the wait, in nanoseconds
	mu   sync.Mutex
	held chan struct{} // closed when the line stops hanging
	URL  string
}

func newNetSwitch(t *testing.T, target string) *netSwitch {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ns := &netSwitch{}
	drop := func(w http.ResponseWriter) {
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ns.mu.Lock()
		held := ns.held
		ns.mu.Unlock()
		if held != nil {
			select {
			case <-held:
			case <-r.Context().Done():
			}
			drop(w)
			return
		}
		if ns.down.Load() {
			drop(w)
			return
		}
		if d := time.Duration(ns.slow.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return // given up by the browser: it never reaches the server
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { ns.hang(false) })
	ns.URL = srv.URL
	return ns
}

// hang holds every request from now on, or lets the held ones go.
func (ns *netSwitch) hang(on bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	switch {
	case on && ns.held == nil:
		ns.held = make(chan struct{})
	case !on && ns.held != nil:
		close(ns.held)
		ns.held = nil
	}
}

// door is a scanner page in Chromium behind a netSwitch.
type door struct {
	app     *tests.TestApp
	ev      *core.Record
	olek    *core.Record
	leyla   *core.Record
	network *netSwitch
	ctx     context.Context
	page    string
}

// atTheDoor makes an event starting at starts with Olek Petrenko's and
// Leyla Karimi's tickets, and starts Chromium behind a netSwitch, signed in
// as an organiser (or as a volunteer with a door shift of the event), its
// camera (browser.Camera, TabCamera or TabCameraAlone) showing Olek's
// ticket.
func atTheDoor(t *testing.T, starts time.Time, volunteer bool, camera func(testing.TB, []byte) context.Context) *door {
	t.Helper()
	d := &door{app: kopatest.NewApp(t, hooks.Default)}
	d.ev = kopatest.Event(t, d.app, kopatest.EventOpts{Title: "Sarunu klubs", Capacity: 15, Starts: starts})
	d.olek = kopatest.Registration(t, d.app, d.ev, "Olek Petrenko", "olek@example.com", "confirmed")
	d.leyla = kopatest.Registration(t, d.app, d.ev, "Leyla Karimi", "leyla@example.com", "confirmed")
	var who *core.Record
	if volunteer {
		who = kopatest.Volunteer(t, d.app, "door@example.com", []string{"lv"}, []string{"door"})
		kopatest.Assignment(t, d.app, kopatest.Shift(t, d.app, d.ev, "door", time.Now().Add(-15*time.Minute), starts.Add(2*time.Hour)), who, "accepted")
	} else {
		who = kopatest.Organiser(t, d.app, "org@example.com")
	}
	srv := kopatest.Serve(t, d.app)
	d.network = newNetSwitch(t, srv.URL)
	// The hall reaches Kopā through the switch: that is its address.
	kopatest.ChangeSettings(t, d.app, func(s *core.Settings) {
		s.Meta.AppURL = d.network.URL
	})
	png, err := registration.QRCode(registration.TicketURL(d.app, d.olek.GetString("ticket")))
	if err != nil {
		t.Fatal(err)
	}
	d.ctx = camera(t, png)
	// A phone's screen (headless Chromium keeps its window 500 px wide).
	if err := chromedp.Do(d.ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	signIn(t, d.ctx, d.app, d.network.URL, who)
	d.page = d.network.URL + "/manage/events/" + d.ev.Id + "/scan?lang=en"
	return d
}

// run runs steps within 30 s; when they fail, it tells what the page showed.
func (d *door) run(t *testing.T, name string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := browser.Within(d.ctx, 30*time.Second, steps...); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, d.state())
	}
}

// state is what the scanner page shows and records, for a failure message.
func (d *door) state() string {
	ctx, cancel := context.WithTimeout(d.ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
		var $ = function (id) { var e = document.getElementById(id); return e ? e.textContent : "-"; };
		var s = document.getElementById("scanner");
		var data = {};
		if (s) Object.keys(s.dataset).forEach(function (k) { if (!/^t[A-Z]/.test(k)) data[k] = s.dataset[k]; });
		return JSON.stringify({data: data, net: $("net"), pending: $("pending"),
			answer: $("answer-title") + " / " + $("answer-detail"), synced: $("synced"), camera: $("camera-msg"), prepared: $("prepared")});
	})()`))
	return v
}

// search searches the door's list for q and waits for the results.
func (d *door) search(t *testing.T, q string) {
	t.Helper()
	d.run(t, "search for "+q,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("q").value = ""; delete document.getElementById("scanner").dataset.lastSearch`),
		chromedp.SendKeys("#q", q), chromedp.Click(`#search-form button[type=submit]`),
		browser.WaitReady(`#scanner[data-last-search]`))
}

// text is the text of the element sel, shown or not.
func (d *door) text(sel string) string {
	v, _ := chromedp.Run(d.ctx, chromedp.TextContent(sel))
	return v
}

// measure is one of the numbers the scanner page records on #scanner (its
// data-* attributes), or -1.
func (d *door) measure(name string) int {
	v, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](`document.getElementById("scanner").dataset.`+name+` || "-1"`))
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// waitCheckins waits until the server holds n check-ins.
func (d *door) waitCheckins(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got, _ := d.app.CountRecords("checkins"); got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server holds no %d check-ins", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestScanOfflineThenSync: the door prepares for offline use and loses the
// connection. A ticket scanned by the camera and a person found by name
// in the list on the device are judged there and queued; the tab is closed
// and opened again (the page comes from the service worker, the queue from
// IndexedDB); when the connection is back both are sent, the server's
// answer replaces the local one where they differ, the waiting counter
// goes to 0, and logging out wipes the list from the device.
func TestScanOfflineThenSync(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Capacity: 15, Starts: time.Now().Add(10 * time.Minute)})
	olek := kopatest.Registration(t, app, ev, "Olek Petrenko", "olek@example.com", "confirmed")
	leyla := kopatest.Registration(t, app, ev, "Leyla Karimi", "leyla@example.com", "confirmed")
	org := kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	network := newNetSwitch(t, srv.URL)
	// The hall reaches Kopā through the switch: that is its address.
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.Meta.AppURL = network.URL
	})
	png, _ := registration.QRCode(registration.TicketURL(app, olek.GetString("ticket")))
	// The subject is the network: the tab's own camera films the ticket.
	browserCtx := browser.TabCamera(t, png)
	signIn(t, browserCtx, app, network.URL, org)
	page := network.URL + "/manage/events/" + ev.Id + "/scan?lang=en"
	run := func(ctx context.Context, name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := browser.Within(ctx, 30*time.Second, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// The answer goes away by itself after a few seconds, which a loaded
	// machine can take to read it: its text is read shown or not.
	text := func(ctx context.Context, sel string) string {
		v, _ := chromedp.Run(ctx, chromedp.TextContent(sel))
		return v
	}
	// A tap on the answer dismisses it (if it has not gone by itself).
	dismiss := chromedp.Evaluate[chromedp.Void](`document.getElementById("answer").click()`)
	offline := func(ctx context.Context, off bool) {
		network.down.Store(off)
		run(ctx, "network", browser.Offline(off))
	}

	run(browserCtx, "prepare", chromedp.Navigate(page), chromedp.Click("#prepare"), browser.WaitVisible(`#scanner[data-prepared="1"]`))
	if got := text(browserCtx, "#prepared"); got != "2 tickets kept on this device." {
		t.Errorf("prepared: %q", got)
	}
	// Another door device checks Leyla in after this one took the list.
	if _, err := checkin.CheckIn(app, ev.Id, leyla.GetString("ticket"), domain.CheckinQR, time.Now()); err != nil {
		t.Fatal(err)
	}

	offline(browserCtx, true)
	keepAnswers(t, browserCtx)
	run(browserCtx, "scan", chromedp.Click("#start"))
	a, err := nthAnswer(browserCtx, 1)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if a.Title != "Welcome, Olek P.!" || !strings.Contains(a.Detail, "Offline") {
		t.Errorf("offline answer %q / %q", a.Title, a.Detail)
	}
	if !a.Photo {
		t.Fatalf("no photos: answer %+v has no sign", a)
	}
	browser.CameraOff(t, browserCtx)
	run(browserCtx, "search by name on the device",
		dismiss, browser.WaitNotVisible("#answer"),
		chromedp.SendKeys("#q", "ley"), chromedp.Click(`#search-form button[type=submit]`),
		browser.WaitVisible(`//ul[@id="results"]//button`),
		chromedp.Click(`//ul[@id="results"]//button`),
		browser.WaitVisible(`//strong[@id="pending"][text()="2"]`))
	if a, err := nthAnswer(browserCtx, 2); err != nil || a.Title != "Welcome, Leyla K.!" {
		t.Errorf("offline manual answer %q (%v)", a.Title, err)
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
	run(tab, "reopen offline", chromedp.Navigate(page), browser.WaitVisible(`//strong[@id="pending"][text()="2"]`))

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
	run(tab, "waiting counter at 0", browser.WaitVisible(`//strong[@id="pending"][text()="0"]`))
	c, err := app.FindFirstRecordByData("checkins", "registration", olek.Id)
	if err != nil || c.GetString("method") != string(domain.CheckinQR) {
		t.Fatalf("Olek's check-in: %v %v", c, err)
	}
	run(tab, "the server's answer replaces the local one", browser.WaitVisible("#synced-wrap"))
	if got := text(tab, "#synced"); !regexp.MustCompile(`Leyla Karimi already checked in at \d\d:\d\d$`).MatchString(got) {
		t.Errorf("correction %q", got)
	}

	// Logging out wipes the ticket list from the device.
	run(tab, "log out", chromedp.Click(`form[action="/manage/logout"] button`), browser.WaitNotPresent("#scanner"))
	waitTickets(t, tab, 0)
}

// scanAnswer is an answer the scanner page showed, read the moment it
// appeared: an answer hides itself after a few seconds (a queue is
// waiting), sooner than a busy machine may get to look at it.
type scanAnswer struct {
	Title, Detail, Class string
	// Photo: the sign that the person is not to be photographed shows.
	Photo bool
	// Party, Interpreter and Children are the party's line and wishes as
	// shown ("" when hidden); Counts the arrival buttons, Pressed the one
	// pressed.
	Party, Interpreter, Children string
	Counts                       []string
	Pressed                      string
}

// keepAnswers makes the scanner page open in ctx keep every answer it
// shows from now on, as it shows it, for nthAnswer.
func keepAnswers(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		window.kopaAnswers = [];
		var box = document.getElementById("answer");
		var shown = function (id) { return document.getElementById(id).checkVisibility(); };
		new MutationObserver(function () {
			if (box.hidden || !box.checkVisibility()) return;
			window.kopaAnswers.push({
				title: document.getElementById("answer-title").innerText,
				detail: document.getElementById("answer-detail").innerText,
				class: box.className,
				photo: document.getElementById("answer-photo").checkVisibility(),
				party: shown("answer-party") ? document.getElementById("answer-party-line").innerText : "",
				interpreter: shown("answer-interpretation") ? document.getElementById("answer-interpretation").innerText : "",
				children: shown("answer-childcare") ? document.getElementById("answer-childcare").innerText : "",
				counts: Array.prototype.map.call(document.querySelectorAll("#arrived button"), function (b) { return b.innerText; }),
				pressed: (document.querySelector('#arrived button[aria-pressed="true"]') || {}).innerText || ""
			});
		}).observe(box, {attributes: true, childList: true, characterData: true, subtree: true});
		return true;
	})()`))
	if err != nil {
		t.Fatalf("keep the answers: %v", err)
	}
}

// nthAnswer waits (up to 30 s) for the n-th answer (from 1) the page showed
// since keepAnswers.
func nthAnswer(ctx context.Context, n int) (scanAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[scanAnswer](fmt.Sprintf(`new Promise(function (resolve) {
		(function look() {
			if (window.kopaAnswers.length >= %d) resolve(window.kopaAnswers[%d]);
			else setTimeout(look, 20);
		})();
	})`, n, n-1), chromedp.EvalAwaitPromise))
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

// waitTickets waits (up to 30 s, as the page's other waits: the service
// worker may take long to start on a busy machine) until the device keeps n
// tickets.
func waitTickets(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
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

// TestOfflineListForgottenAfterTheEvent: once the event has ended and the
// hours a list is kept after it (checkin.ListKeep) have passed, the service
// worker deletes its ticket list at the next visit to any /manage page,
// without the scanner page being opened again.
func TestOfflineListForgottenAfterTheEvent(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(10 * time.Minute)})
	other := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(10 * time.Minute)})
	kopatest.Registration(t, app, ev, "Olek Petrenko", "olek@example.com", "confirmed")
	kopatest.Registration(t, app, other, "Leyla Karimi", "leyla@example.com", "confirmed")
	org := kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	signIn(t, ctx, app, srv.URL, org)
	for _, id := range []string{ev.Id, other.Id} {
		err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/manage/events/"+id+"/scan"),
			chromedp.Click("#prepare"), browser.WaitVisible(`#scanner[data-prepared="1"]`))
		if err != nil {
			t.Fatal(err)
		}
	}
	waitTickets(t, ctx, 2)
	// endAt moves the device's record of when ev ends.
	endAt := func(at string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(function (resolve) {
			var req = indexedDB.open("kopa-door");
			req.onsuccess = function () {
				var tx = req.result.transaction("meta", "readwrite"), s = tx.objectStore("meta"), g = s.get("`+ev.Id+`");
				g.onsuccess = function () { g.result.ends_at = "`+at+`"; s.put(g.result); };
				tx.oncomplete = function () { req.result.close(); resolve(true); };
			};
		})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
	}
	// An evening that ran late: the list is kept a few hours after the end.
	// The scanner page forgets lists past their time before it looks for its
	// own; the service worker, at the same navigation, by the same rule.
	endAt(time.Now().Add(-checkin.ListKeep + time.Hour).UTC().Format("2006-01-02 15:04:05.000Z"))
	err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/scan"), browser.WaitVisible(`#scanner[data-prepared="1"]`))
	if err != nil {
		t.Fatalf("the list an hour before its time: %v", err)
	}
	waitTickets(t, ctx, 2)
	// The scanner page, once open, brings its list up to date from the
	// server, which writes the event's real end again: leave it (for a page
	// of the site outside /manage) before the device's record is moved, so
	// that the service worker alone decides what /manage forgets.
	if err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/robots.txt")); err != nil {
		t.Fatal(err)
	}
	endAt("2020-01-01 00:00:00.000Z")
	waitTickets(t, ctx, 2)
	if err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/manage")); err != nil {
		t.Fatal(err)
	}
	waitTickets(t, ctx, 1)
}

// Texts of the English scanner page.
const (
	slowLine  = "no answer in time: this device answers"
	judgedNow = "Judged on this device — will be sent when the server answers."
	notToday  = "Not today: the door checks people in from a day before the event until a day after it."
)

// TestScanOverABadLine: the hall's line first hangs (nothing the page asks
// is answered), then is slow (every answer takes 3.5 s). The door is never
// kept waiting longer than 4 s: a scan with no answer in time is judged
// from the list on the device, counted, and queued; one ticket in front of
// the camera gets one answer however long the line takes; the page says
// the line is not answering; and the queued scans are sent once the line
// answers, even slowly, with no false "different answer".
func TestScanOverABadLine(t *testing.T) {
	t.Parallel()
	// The door's waits are measured: no other page decodes a camera
	// meanwhile. The subject is the line: the tab's own camera films.
	d := atTheDoor(t, time.Now().Add(10*time.Minute), false, browser.TabCameraAlone)
	kopatest.Registration(t, d.app, d.ev, "Aleksandra Konstantinopolska-Vasiļjeva", "aleksandra.konstantinopolska.vasiljeva@example-organisation.lv", "confirmed")
	d.run(t, "prepare", chromedp.Navigate(d.page), chromedp.Click("#prepare"), browser.WaitVisible(`#scanner[data-prepared="1"]`),
		browser.WaitVisible(`//span[@id="net"][text()="online"]`))

	// A long address in a search result leaves its button on the screen.
	d.search(t, "konst")
	fits, _ := chromedp.Run(d.ctx, chromedp.Evaluate[bool](`(function () {
		var r = document.querySelector("#results button").getBoundingClientRect();
		return r.left >= 0 && r.right <= window.innerWidth && document.scrollingElement.scrollWidth <= window.innerWidth;
	})()`))
	if !fits {
		t.Errorf("the check-in button of %q is off the screen", d.text("#results"))
	}

	// The line hangs.
	d.network.hang(true)
	d.run(t, "scan", chromedp.Click("#start"), browser.WaitVisible("#answer"), browser.WaitReady(`#scanner[data-last-latency]`))
	if title, detail := d.text("#answer-title"), d.text("#answer-detail"); title != "Welcome, Olek P.!" || detail != judgedNow {
		t.Errorf("answer on a hanging line %q / %q", title, detail)
	}
	// From the camera frame that held the code to the answer on screen.
	if ms := d.measure("lastLatency"); ms < 0 || ms > 4000 {
		t.Errorf("the door waited %d ms for an answer", ms)
	}
	d.run(t, "the page says the line does not answer", browser.WaitVisible(`//span[@id="net"][text()="`+slowLine+`"]`))
	d.run(t, "queued", browser.WaitVisible(`//strong[@id="pending"][text()="1"]`))
	if in := d.text("#n-in"); in != "1" {
		t.Errorf("checked-in count with the scan judged on the device: %q", in)
	}
	// The ticket stays in front of the camera well past the 3 s after its
	// answer, the line still hanging: it is seen again, and not answered
	// again.
	_, err := chromedp.Run(d.ctx, chromedp.Poll[bool](`(function () {
		var s = document.getElementById("scanner").dataset;
		return Number(s.repeatAt || 0) - Number(s.answeredAt || 0) > 3500;
	})()`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("the ticket was not seen again: %v", err)
	}
	if n := d.measure("answers"); n != 1 {
		t.Errorf("%d answers for one ticket", n)
	}
	if n, _ := d.app.CountRecords("checkins"); n != 0 {
		t.Fatalf("%d check-ins stored while the line hangs", n)
	}
	// What follows is searched and checked in by name: the camera is done.
	browser.CameraOff(t, d.ctx)

	// The line answers again: the scan is sent, and agrees.
	d.network.hang(false)
	d.waitCheckins(t, 1)
	d.run(t, "sent", browser.WaitVisible(`//strong[@id="pending"][text()="0"]`), browser.WaitVisible(`//span[@id="net"][text()="online"]`))
	if c, err := d.app.FindFirstRecordByData("checkins", "registration", d.olek.Id); err != nil || c.GetString("method") != string(domain.CheckinQR) {
		t.Fatalf("Olek's check-in: %v", err)
	}

	// The line is slow: a search waits at most DOOR_WAIT, then the list on
	// the device answers; the check-in that follows is judged at once.
	d.network.slow.Store(int64(3500 * time.Millisecond))
	d.search(t, "ley")
	if ms := d.measure("lastSearch"); ms < 0 || ms > 4000 {
		t.Errorf("the search took %d ms", ms)
	}
	if got := d.text("#results"); !strings.Contains(got, "Leyla K.") {
		t.Errorf("results from the device: %q", got)
	}
	d.run(t, "check in by name", chromedp.Click(`//ul[@id="results"]//button`), browser.WaitVisible(`//p[@id="answer-title"][text()="Welcome, Leyla K.!"]`))
	if ms := d.measure("lastLatency"); ms < 0 || ms > 4000 {
		t.Errorf("the door waited %d ms for an answer", ms)
	}
	d.run(t, "the page says the line is slow", browser.WaitVisible(`//span[@id="net"][text()="`+slowLine+`"]`))
	// Sent through the slow line: waiting for it is not the door's wait.
	d.waitCheckins(t, 2)
	d.run(t, "sent slowly", browser.WaitVisible(`//strong[@id="pending"][text()="0"]`))
	if c, err := d.app.FindFirstRecordByData("checkins", "registration", d.leyla.Id); err != nil || c.GetString("method") != string(domain.CheckinManual) {
		t.Fatalf("Leyla's check-in: %v", err)
	}
	if n := d.measure("answers"); n != 2 {
		t.Errorf("%d answers for two tickets", n)
	}
	if hidden, _ := chromedp.Run(d.ctx, chromedp.Evaluate[bool](`document.getElementById("synced-wrap").hidden`)); !hidden {
		t.Errorf("a different answer was noted: %q", d.text("#synced"))
	}
	if in := d.text("#n-in"); in != "2" {
		t.Errorf("checked-in count after sending: %q", in)
	}
	d.network.slow.Store(0)
	d.run(t, "the line recovers", browser.WaitVisible(`//span[@id="net"][text()="online"]`))
}

// TestTheDoorsDayOnBothPaths: three days before the event, a scan answered
// by the server and a check-in judged on the device without a connection
// get the same answer, and nothing is queued to be refused later.
func TestTheDoorsDayOnBothPaths(t *testing.T) {
	t.Parallel()
	d := atTheDoor(t, time.Now().Add(72*time.Hour), false, browser.TabCamera)
	d.run(t, "prepare", chromedp.Navigate(d.page), chromedp.Click("#prepare"), browser.WaitVisible(`#scanner[data-prepared="1"]`))
	d.run(t, "scan", chromedp.Click("#start"), browser.WaitVisible("#answer"))
	if title := d.text("#answer-title"); title != notToday {
		t.Errorf("the server's answer %q", title)
	}
	browser.CameraOff(t, d.ctx)
	d.network.down.Store(true)
	d.run(t, "offline", browser.Offline(true), browser.WaitVisible(`//span[@id="net"][text()="offline"]`))
	d.run(t, "dismiss the answer", chromedp.Evaluate[chromedp.Void](`document.getElementById("answer").click()`), browser.WaitNotVisible("#answer"))
	d.search(t, "ley")
	d.run(t, "check in by name on the device", chromedp.Click(`//ul[@id="results"]//button`), browser.WaitVisible("#answer"))
	if title := d.text("#answer-title"); title != notToday {
		t.Errorf("the device's answer %q", title)
	}
	if n := d.measure("answers"); n != 2 {
		t.Errorf("%d answers", n)
	}
	if p, in := d.text("#pending"), d.text("#n-in"); p != "0" || in != "0" {
		t.Errorf("queued %s, counted %s", p, in)
	}
	if n, _ := d.app.CountRecords("checkins"); n != 0 {
		t.Errorf("%d check-ins", n)
	}
}

// TestQueuedScanOfAVolunteerWhoLostTheDoor: a door volunteer scans a ticket
// without a connection; their shift is withdrawn before it comes back. The
// server refuses the scan (403): it is dropped with a note the volunteer
// sees, not tried again for ever, and nobody is checked in.
func TestQueuedScanOfAVolunteerWhoLostTheDoor(t *testing.T) {
	t.Parallel()
	d := atTheDoor(t, time.Now().Add(10*time.Minute), true, browser.TabCamera)
	d.run(t, "prepare", chromedp.Navigate(d.page), chromedp.Click("#prepare"), browser.WaitVisible(`#scanner[data-prepared="1"]`))
	d.network.down.Store(true)
	d.run(t, "scan offline", browser.Offline(true), chromedp.Click("#start"), browser.WaitVisible("#answer"),
		browser.WaitVisible(`//strong[@id="pending"][text()="1"]`))
	if title := d.text("#answer-title"); title != "Welcome, Olek P.!" {
		t.Errorf("offline answer %q", title)
	}
	browser.CameraOff(t, d.ctx)
	a, err := d.app.FindFirstRecordByFilter("assignments", "status = 'accepted'")
	if err != nil {
		t.Fatal(err)
	}
	a.Set("status", "cancelled")
	if err := d.app.Save(a); err != nil {
		t.Fatal(err)
	}
	d.network.down.Store(false)
	d.run(t, "back online", browser.Offline(false),
		browser.WaitVisible(`//strong[@id="pending"][text()="0"]`), browser.WaitVisible("#synced-wrap"))
	if got := d.text("#synced"); got != "Not sent: the scan of Olek P. — this sign-in may no longer check people in at this event." {
		t.Errorf("note %q", got)
	}
	if n, _ := d.app.CountRecords("checkins"); n != 0 {
		t.Errorf("%d check-ins", n)
	}
}

// volunteerAtTheCamera makes an event starting soon, a volunteer (Ilze
// Ozola, with the given status) holding an accepted interpreting shift of
// it when approved, and starts Chromium signed in as an organiser on the
// event's scanner, its fake camera showing the QR code the volunteer's
// portal shows them (fetched from /volunteer/me/code.png as Ilze).
func volunteerAtTheCamera(t *testing.T, status string) (*tests.TestApp, *core.Record, context.Context) {
	t.Helper()
	app := kopatest.NewApp(t, hooks.Default)
	starts := time.Now().Add(30 * time.Minute)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Capacity: 15, Starts: starts})
	v := kopatest.Volunteer(t, app, "ilze@example.com", []string{"lv", "uk"}, []string{"interpreting"}, status)
	v.Set("name", "Ilze Ozola")
	if err := app.Save(v); err != nil {
		t.Fatal(err)
	}
	var a *core.Record
	if status == "approved" {
		sh := kopatest.Shift(t, app, ev, "interpreting", starts.Add(-15*time.Minute), starts.Add(2*time.Hour))
		a = kopatest.Assignment(t, app, sh, v, domain.AssignmentAccepted)
	}
	org := kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)

	req, err := http.NewRequest(http.MethodGet, srv.URL+"/volunteer/me/code.png", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "kopa_session", Value: kopatest.Token(t, v)})
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	png, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("the portal's QR code: %d %s %v", res.StatusCode, res.Header.Get("Content-Type"), err)
	}

	ctx := browser.Camera(t, png)
	signIn(t, ctx, app, srv.URL, org)
	err = browser.Within(ctx, 30*time.Second,
		chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/scan?lang=en"),
		browser.WaitVisible("#start"),
	)
	if err != nil {
		t.Fatal(err)
	}
	keepAnswers(t, ctx)
	if err := browser.Within(ctx, 30*time.Second, chromedp.Click("#start")); err != nil {
		t.Fatal(err)
	}
	return app, a, ctx
}

// TestScanAVolunteersCode: an organiser's scanner reads the QR code of an
// approved volunteer's portal through the camera; the page welcomes the
// volunteer by name with their shift's role, and their arrival on the
// shift is recorded (no ticket is checked in).
func TestScanAVolunteersCode(t *testing.T) {
	t.Parallel()
	app, assignment, ctx := volunteerAtTheCamera(t, "approved")
	ans, err := nthAnswer(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Title != "Volunteer Ilze Ozola: arrival recorded" {
		t.Errorf("answer %q", ans.Title)
	}
	if !strings.HasPrefix(ans.Detail, "Interpreting, ") {
		t.Errorf("shift line %q", ans.Detail)
	}
	if !strings.Contains(ans.Class, "ok") {
		t.Errorf("answer colour %q", ans.Class)
	}
	a, err := app.FindRecordById(domain.Assignments, assignment.Id)
	if err != nil {
		t.Fatal(err)
	}
	if a.GetDateTime("arrived_at").IsZero() {
		t.Error("the volunteer's arrival is not recorded")
	}
	if n, _ := app.CountRecords(domain.Checkins); n != 0 {
		t.Errorf("%d check-ins", n)
	}
}

// TestScanAPendingVolunteersCode: the code of a volunteer the organisers
// have not approved yet is refused at the door, and nothing is stored.
func TestScanAPendingVolunteersCode(t *testing.T) {
	t.Parallel()
	app, _, ctx := volunteerAtTheCamera(t, "pending")
	ans, err := nthAnswer(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Title != "This volunteer is not approved for shifts: ask an organiser" {
		t.Errorf("answer %q", ans.Title)
	}
	if !strings.Contains(ans.Class, "bad") {
		t.Errorf("answer colour %q", ans.Class)
	}
	if n, _ := app.CountRecords(domain.Checkins); n != 0 {
		t.Errorf("%d check-ins", n)
	}
}
