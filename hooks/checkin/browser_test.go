package checkin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/registration"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestScanThroughTheCamera feeds a ticket's real QR code to Chromium's fake
// camera: the scanner page reads it, shows the welcome with the right name,
// and the check-in is stored.
func TestScanThroughTheCamera(t *testing.T) {
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Bēgļu nodarbinātība", Capacity: 40})
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
	err = chromedp.Do(ctx,
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
	latency, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("scanner").dataset.lastLatency || ""`))
	t.Logf("camera frame to answer on screen: %s ms", latency)
	c, err := app.FindFirstRecordByData("checkins", "registration", r.Id)
	if err != nil || c.GetString("method") != "qr" {
		t.Fatalf("check-in not stored: %v", err)
	}
	in, _ := chromedp.Run(ctx, chromedp.Text("#n-in"))
	if in != "1" {
		t.Errorf("checked-in count %q", in)
	}
}

// TestScanOfflineThenSync: the door prepares for offline use, loses the
// connection, scans a ticket (judged from the list on the device, queued),
// and the check-in is stored once the connection is back.
func TestScanOfflineThenSync(t *testing.T) {
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Capacity: 15})
	r := kopatest.Registration(t, app, ev, "Olek Petrenko", "olek@example.com", "confirmed")
	kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	png, _ := registration.QRCode(registration.TicketURL(app, r.GetString("ticket")))
	ctx := browser.New(t, browser.CameraFlags(browser.FakeCamera(t, png))...)
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"open", chromedp.Navigate(srv.URL + "/manage/events/" + ev.Id + "/scan?lang=en")},
		{"prepare", chromedp.Click("#prepare")},
		{"prepared", chromedp.WaitVisible(chromedp.CSS(`#scanner[data-prepared="1"]`))},
		{"offline", browser.Offline(true)},
		{"scan", chromedp.Click("#start")},
		{"answer", chromedp.WaitVisible("#answer")},
	}
	for _, st := range steps {
		if err := browser.Within(ctx, 30*time.Second, st.do); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	detail, _ := chromedp.Run(ctx, chromedp.Text("#answer-detail"))
	title, _ := chromedp.Run(ctx, chromedp.Text("#answer-title"))
	if title != "Welcome, Olek P.!" || !strings.Contains(detail, "Offline") {
		t.Errorf("offline answer %q / %q", title, detail)
	}
	pending, _ := chromedp.Run(ctx, chromedp.Text("#pending"))
	if pending != "1" {
		t.Errorf("pending %q", pending)
	}
	if n, _ := app.CountRecords("checkins"); n != 0 {
		t.Fatal("stored while offline?")
	}
	if err := chromedp.Do(ctx, browser.Offline(false)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n, _ := app.CountRecords("checkins"); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the offline scan was not synced")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//strong[@id="pending"][text()="0"]`)); err != nil {
		t.Errorf("waiting counter did not reach 0: %v", err)
	}
}
