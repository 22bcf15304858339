package checkin_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestScanAParty: the camera reads a family's ticket; the answer says how
// many the ticket holds, with a button per count and all of them pressed,
// the interpreter the family asked for and the children to mind, and the
// server let all four in. A tap on 2 tells the server only two came. Then
// the line goes down: a family found by name in the list on the device is
// judged there with its party and wishes as the server would, a tap says
// one of them came, and the queued check-in carries that count to the
// server when the line is back.
func TestScanAParty(t *testing.T) {
	t.Parallel()
	d := atTheDoor(t, time.Now().Add(10*time.Minute), false, browser.Camera)
	setParty := func(r *core.Record, party, children int, langs ...string) {
		r.Set("photo_consent", true)
		kopatest.Party(t, d.app, r, party, children, langs...)
	}
	setParty(d.olek, 4, 2, "fa")
	setParty(d.leyla, 2, 1)
	arrived := func(r *core.Record) int {
		t.Helper()
		c, err := d.app.FindFirstRecordByData("checkins", "registration", r.Id)
		if err != nil {
			t.Fatalf("%s is not checked in: %v", r.GetString("name"), err)
		}
		return c.GetInt("arrived")
	}

	d.run(t, "prepare", chromedp.Navigate(d.page), chromedp.Click("#prepare"), browser.WaitVisible(`#scanner[data-prepared="1"]`))
	keepAnswers(t, d.ctx)
	d.run(t, "scan", chromedp.Click("#start"))
	a, err := nthAnswer(d.ctx, 1)
	if err != nil {
		t.Fatalf("the answer: %v\n%s", err, d.state())
	}
	want := scanAnswer{Title: "Welcome, Olek Petrenko!", Class: "answer ok", Party: "4 people on this ticket",
		Interpreter: "Needs an interpreter: Persian (Farsi)", Children: "2 children to mind", Counts: []string{"1", "2", "3", "4"}, Pressed: "4"}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("the answer\n got %+v\nwant %+v", a, want)
	}
	d.waitCheckins(t, 1)
	if n := arrived(d.olek); n != 4 {
		t.Errorf("the whole party by default: arrived %d", n)
	}
	d.run(t, "two came", chromedp.Click(`#arrived button[data-n="2"]`), browser.WaitReady(`#scanner[data-corrected="2"]`),
		browser.WaitVisible(`#arrived button[data-n="2"][aria-pressed="true"]`))
	if n := arrived(d.olek); n != 2 {
		t.Errorf("after the tap on 2: arrived %d", n)
	}
	// The rest is found by name: the camera is given back to the next test.
	browser.CameraOff(t, d.ctx)

	// Without a connection, the list on the device answers.
	d.network.down.Store(true)
	d.run(t, "offline", chromedp.Evaluate[chromedp.Void](`document.getElementById("answer").click()`), browser.WaitNotVisible("#answer"), browser.Offline(true))
	d.search(t, "Ley")
	d.run(t, "check Leyla in by name", chromedp.Click(`//ul[@id="results"]//button`))
	a, err = answerTitled(d.ctx, "Welcome, Leyla K.!")
	if err != nil {
		t.Fatalf("the offline answer: %v\n%s", err, d.state())
	}
	want = scanAnswer{Title: "Welcome, Leyla K.!", Detail: "Offline — will be sent when the connection is back.", Class: "answer ok",
		Party: "2 people on this ticket", Children: "1 child to mind", Counts: []string{"1", "2"}, Pressed: "2"}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("the offline answer\n got %+v\nwant %+v", a, want)
	}
	d.run(t, "one came", chromedp.Click(`#arrived button[data-n="1"]`), browser.WaitReady(`#scanner[data-corrected="1"]`),
		browser.WaitVisible(`//strong[@id="pending"][text()="1"]`))
	d.network.down.Store(false)
	d.run(t, "online", browser.Offline(false))
	d.waitCheckins(t, 2)
	d.run(t, "sent", browser.WaitVisible(`//strong[@id="pending"][text()="0"]`))
	if n := arrived(d.leyla); n != 1 {
		t.Errorf("the queued check-in: arrived %d, want 1", n)
	}
}

// answerTitled waits (up to 30 s) for the first answer with this title the
// page showed since keepAnswers (a tap on the answer changes it, and is
// kept as one more).
func answerTitled(ctx context.Context, title string) (scanAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[scanAnswer](fmt.Sprintf(`new Promise(function (resolve) {
		(function look() {
			var a = window.kopaAnswers.filter(function (a) { return a.title === %q; })[0];
			if (a) resolve(a);
			else setTimeout(look, 20);
		})();
	})`, title), chromedp.EvalAwaitPromise))
}
