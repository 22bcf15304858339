package outbox_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/internal/mailpit"
)

// greetings is what the test renderer writes from: ref → name. A ref not
// in it is a record that is gone; "obsolete" and "flaky" answer as their
// names say.
type greetings struct {
	mu    sync.Mutex
	names map[string]string
	calls int
}

func (g *greetings) set(ref, name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.names[ref] = name
}

func (g *greetings) render(app core.App, ref string) (outbox.Message, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	switch ref {
	case "obsolete":
		return outbox.Message{}, outbox.ErrObsolete
	case "flaky":
		return outbox.Message{}, errors.New("database is locked")
	}
	name, ok := g.names[ref]
	if !ok {
		return outbox.Message{}, fmt.Errorf("greeting %s: %w", ref, sql.ErrNoRows)
	}
	return outbox.Message{
		To:      "ignored@example.com", // the row's recipient wins
		Subject: "Sveiki, " + name,
		Text:    "Labdien, " + name + "!",
		HTML:    "<p>Labdien, " + name + "!</p>",
	}, nil
}

func newGreetings(t testing.TB) *greetings {
	g := &greetings{names: map[string]string{}}
	outbox.Handle("test_greeting", g.render)
	return g
}

// deferMail queues a deferred mail inside a transaction, as features do.
func deferMail(t testing.TB, app core.App, to, ref string) *core.Record {
	t.Helper()
	err := app.RunInTransaction(func(tx core.App) error {
		return outbox.Defer(tx, outbox.Deferred{To: to, Template: "test_greeting", Ref: ref, Kind: "greeting"})
	})
	if err != nil {
		t.Fatalf("defer: %v", err)
	}
	row, err := app.FindFirstRecordByFilter(outbox.Collection, "ref = {:ref} && to = {:to}", map[string]any{"ref": ref, "to": to})
	if err != nil {
		t.Fatalf("queued row: %v", err)
	}
	return row
}

// TestDeferredMailIsWrittenWhenSent: the row holds the recipient, the
// template and the ref; the mail is written by the renderer when the worker
// sends it, from the record as it is then, and the row keeps the subject it
// went out with.
func TestDeferredMailIsWrittenWhenSent(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	g := newGreetings(t)
	g.set("r1", "Anna")

	row := deferMail(t, app, "anna@example.com", "r1")
	if row.GetString("subject") != "" || row.GetString("text") != "" || row.GetString("template") != "test_greeting" || row.GetString("status") != outbox.StatusPending {
		t.Fatalf("queued row: %v", row.FieldsData())
	}
	if g.calls != 0 {
		t.Fatalf("rendered %d times before sending", g.calls)
	}
	g.set("r1", "Anna Bērziņa") // changed after queueing

	if sent, err := outbox.Flush(app); sent != 1 || err != nil {
		t.Fatalf("Flush = %d, %v", sent, err)
	}
	mp.WaitFor(t, 1, 10*time.Second)
	list := mp.To(t, "anna@example.com")
	if len(list) != 1 {
		t.Fatalf("%d mails to anna", len(list))
	}
	m := mp.Message(t, list[0].ID)
	if m.Subject != "Sveiki, Anna Bērziņa" || !strings.Contains(m.Text, "Labdien, Anna Bērziņa!") || !strings.Contains(m.HTML, "<p>Labdien, Anna Bērziņa!</p>") {
		t.Errorf("mail %q / %q / %q", m.Subject, m.Text, m.HTML)
	}
	if len(mp.To(t, "ignored@example.com")) != 0 {
		t.Error("the renderer chose the recipient")
	}
	row = reload(t, app, row)
	if row.GetString("status") != outbox.StatusSent || row.GetString("subject") != "Sveiki, Anna Bērziņa" {
		t.Errorf("row after sending: %s %q", row.GetString("status"), row.GetString("subject"))
	}

	// Content shows an organiser or a test the mail a row sends.
	msg, err := outbox.Content(app, row)
	if err != nil || msg.To != "anna@example.com" || msg.Subject != "Sveiki, Anna Bērziņa" {
		t.Errorf("Content = %+v, %v", msg, err)
	}
}

// TestDeferredMailOutcomes: a mail no longer true is skipped, one about a
// record that is gone fails for good, one whose renderer fails for a moment
// waits for another try; none of them holds up the good one.
func TestDeferredMailOutcomes(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	g := newGreetings(t)
	g.set("good", "Ben")

	obsolete := deferMail(t, app, "a@example.com", "obsolete")
	gone := deferMail(t, app, "b@example.com", "gone")
	flaky := deferMail(t, app, "c@example.com", "flaky")
	good := deferMail(t, app, "d@example.com", "good")

	sent, err := outbox.Flush(app)
	if sent != 1 || err == nil {
		t.Fatalf("Flush = %d, %v; want 1 sent and an error for the two not sent", sent, err)
	}
	mp.WaitFor(t, 1, 10*time.Second)
	if got := mp.Messages(t); len(got) != 1 || got[0].To[0].Address != "d@example.com" {
		t.Fatalf("mailpit has %+v", got)
	}
	for _, c := range []struct {
		row      *core.Record
		status   string
		attempts int
		err      string
	}{
		{obsolete, outbox.StatusSkipped, 0, ""},
		{gone, outbox.StatusFailed, 1, "no rows"},
		{flaky, outbox.StatusPending, 1, "database is locked"},
		{good, outbox.StatusSent, 1, ""},
	} {
		r := reload(t, app, c.row)
		if r.GetString("status") != c.status || r.GetInt("attempts") != c.attempts || !strings.Contains(r.GetString("last_error"), c.err) {
			t.Errorf("%s: %s after %d attempts (%q), want %s after %d (%q)", r.GetString("ref"),
				r.GetString("status"), r.GetInt("attempts"), r.GetString("last_error"), c.status, c.attempts, c.err)
		}
	}
	if r := reload(t, app, flaky); !r.GetDateTime("next_attempt_at").Time().After(time.Now()) {
		t.Error("the flaky mail is not backed off")
	}
	// Nothing more is due.
	if sent, err := outbox.Flush(app); sent != 0 || err != nil {
		t.Errorf("second Flush = %d, %v", sent, err)
	}
}

// TestDeferredMailWaitsItsTime: a mail queued with NotBefore is not sent
// before then, by Defer or a Writer alike; Pending lists it meanwhile, and
// RetryNow makes it due. A person renderer gets the row's recipient.
func TestDeferredMailWaitsItsTime(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	outbox.HandlePerson("test_person", func(_ core.App, ref, to string) (outbox.Message, error) {
		return outbox.Message{Subject: "Ziņa " + ref + " adresātam " + to, Text: "Labdien!"}, nil
	})
	later := time.Now().Add(time.Hour)
	err := app.RunInTransaction(func(tx core.App) error {
		if err := outbox.Defer(tx, outbox.Deferred{To: "a@example.com", Template: "test_person", Ref: "m1", NotBefore: later}); err != nil {
			return err
		}
		w := outbox.NewWriter(tx)
		defer w.Close()
		return w.Add(outbox.Deferred{To: "b@example.com", Template: "test_person", Ref: "m1", NotBefore: later})
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 0 || err != nil {
		t.Fatalf("Flush before the time = %d, %v", sent, err)
	}
	to, err := outbox.Pending(app, "test_person", "m1")
	if err != nil || len(to) != 2 {
		t.Fatalf("Pending = %v, %v", to, err)
	}
	if to, _ := outbox.Pending(app, "test_person", "m2"); len(to) != 0 {
		t.Errorf("Pending of another ref = %v", to)
	}
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 2 || err != nil {
		t.Fatalf("Flush when due = %d, %v", sent, err)
	}
	mp.WaitFor(t, 2, 10*time.Second)
	for _, addr := range []string{"a@example.com", "b@example.com"} {
		list := mp.To(t, addr)
		if len(list) != 1 || list[0].Subject != "Ziņa m1 adresātam "+addr {
			t.Errorf("mails to %s: %+v", addr, list)
		}
	}
	if to, _ := outbox.Pending(app, "test_person", "m1"); len(to) != 0 {
		t.Errorf("Pending after sending = %v", to)
	}
}

// TestDeferRejectsAndRollsBack: a mail with a bad address or an unknown
// template is refused and nothing is stored; a transaction that rolls back
// takes its mail with it.
func TestDeferRejectsAndRollsBack(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	newGreetings(t)

	for _, d := range []outbox.Deferred{
		{To: "anna@example.com\r\nBcc: x@example.com", Template: "test_greeting", Ref: "r1"},
		{To: "not an address", Template: "test_greeting", Ref: "r1"},
		{To: "anna@example.com", Template: "no_such_template", Ref: "r1"},
		{To: "anna@example.com", Template: "test_greeting", Ref: ""},
	} {
		if err := outbox.Defer(app, d); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
	oops := errors.New("rolled back")
	err := app.RunInTransaction(func(tx core.App) error {
		if err := outbox.Defer(tx, outbox.Deferred{To: "anna@example.com", Template: "test_greeting", Ref: "r1"}); err != nil {
			return err
		}
		return oops
	})
	if !errors.Is(err, oops) {
		t.Fatal(err)
	}
	if n, _ := app.CountRecords(outbox.Collection); n != 0 {
		t.Errorf("%d rows stored", n)
	}
}

// TestDeferredMailWakesTheWorker: a deferred mail committed while the
// worker waits goes out at once, not at the worker's next look (every five
// seconds).
func TestDeferredMailWakesTheWorker(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	g := newGreetings(t)
	g.set("first", "Anna")
	g.set("r1", "Cilda")
	// A mail waiting when the worker starts goes out in its first round.
	first := deferMail(t, app, "anna@example.com", "first")
	serve(t, app)
	waitStatus(t, app, first, outbox.StatusSent)
	// Flush waits for that round to end: then the worker waits for a
	// wake-up, or for its next look, PollInterval after it sent the first
	// mail at the earliest.
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	nextLook := reload(t, app, first).GetDateTime("sent_at").Time().Add(outbox.PollInterval)
	row := deferMail(t, app, "cilda@example.com", "r1")
	waitStatus(t, app, row, outbox.StatusSent)
	if sent := reload(t, app, row).GetDateTime("sent_at").Time(); !sent.Before(nextLook) {
		t.Errorf("the mail went out at %v, at the worker's next look (%v): the worker was not woken", sent, nextLook)
	}
	mp.WaitFor(t, 2, 10*time.Second)
}

// TestWorkerGivesWayToABurst: while mail is queued in a burst the worker
// gives way (BenchmarkWorkerDuringABurst measures how far); once the burst
// is over it sends every mail.
func TestWorkerGivesWayToABurst(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	serve(t, app)
	const queued = 100
	for i := 0; i < queued; i++ {
		enqueue(t, app, simple(fmt.Sprintf("p%d@example.com", i), "Biļete"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for sentMails(t, app) < queued {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d mails sent a minute after the burst", sentMails(t, app), queued)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mp.WaitFor(t, queued, 10*time.Second)
}

// TestBulkMailGoesAfterOtherMail: a bulk send queued in one statement is
// sent after mail queued later that is not bulk (a ticket during a
// bulletin), and every bulk row is sent once.
func TestBulkMailGoesAfterOtherMail(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	g := newGreetings(t)
	var (
		mu    sync.Mutex
		order []string
	)
	outbox.Handle("test_order", func(app core.App, ref string) (outbox.Message, error) {
		mu.Lock()
		order = append(order, ref)
		mu.Unlock()
		return g.render(app, ref)
	})
	var values []string
	for i := range 12 {
		ref := fmt.Sprintf("b%02d", i)
		g.set(ref, "Reader "+ref)
		values = append(values, fmt.Sprintf("SELECT 'reader%02d@example.com' AS [[to]], '%s' AS [[ref]]", i, ref))
	}
	g.set("ticket", "Anna")
	var n int
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		n, err = outbox.DeferBulk(tx, "test_order", "bulk_greeting", strings.Join(values, " UNION ALL "), nil)
		return err
	})
	if err != nil || n != 12 {
		t.Fatalf("DeferBulk = %d, %v", n, err)
	}
	err = app.RunInTransaction(func(tx core.App) error {
		return outbox.Defer(tx, outbox.Deferred{To: "anna@example.com", Template: "test_order", Ref: "ticket"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 13 || err != nil {
		t.Fatalf("Flush = %d, %v", sent, err)
	}
	if want := "ticket b00 b01 b02 b03 b04 b05 b06 b07 b08 b09 b10 b11"; strings.Join(order, " ") != want {
		t.Errorf("written in the order %v, want %s", order, want)
	}
	list := mp.WaitFor(t, 13, 10*time.Second)
	seen := map[string]bool{}
	for _, m := range list {
		if seen[m.To[0].Address] {
			t.Errorf("%s mailed twice", m.To[0].Address)
		}
		seen[m.To[0].Address] = true
	}
	rows, err := app.FindRecordsByFilter(outbox.Collection, "kind = 'bulk_greeting'", "id", 0, 0)
	if err != nil || len(rows) != 12 {
		t.Fatalf("%d bulk rows, %v", len(rows), err)
	}
	for i, r := range rows {
		if want := fmt.Sprintf("b%02d", i); r.GetString("ref") != want || !r.GetBool("bulk") || r.GetString("status") != outbox.StatusSent {
			t.Errorf("row %d: ref %q bulk %v status %s", i, r.GetString("ref"), r.GetBool("bulk"), r.GetString("status"))
		}
	}
}

// TestBulkMailWaitsWhenTheServerWantsLess: a temporary refusal of a bulk
// mail holds the rest of the bulk back (the server sets the pace), while
// other mail is still tried.
func TestBulkMailWaitsWhenTheServerWantsLess(t *testing.T) {
	mp := mailpit.StartWith(t, mailpit.Options{Args: []string{"--enable-chaos", "--chaos-triggers", "Recipient:451:100"}})
	app := newApp(t, mp)
	g := newGreetings(t)
	var values []string
	for i := range 5 {
		ref := fmt.Sprintf("b%02d", i)
		g.set(ref, "Reader "+ref)
		values = append(values, fmt.Sprintf("SELECT 'reader%02d@example.com' AS [[to]], '%s' AS [[ref]]", i, ref))
	}
	err := app.RunInTransaction(func(tx core.App) error {
		_, err := outbox.DeferBulk(tx, "test_greeting", "bulk_greeting", strings.Join(values, " UNION ALL "), nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	g.set("ticket", "Anna")
	ticket := deferMail(t, app, "anna@example.com", "ticket")
	attempts := func() (ticketTries int, bulk []int) {
		t.Helper()
		rows, err := app.FindRecordsByFilter(outbox.Collection, "kind = 'bulk_greeting'", "id", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			bulk = append(bulk, r.GetInt("attempts"))
		}
		return reload(t, app, ticket).GetInt("attempts"), bulk
	}
	for round := 1; round <= 2; round++ {
		if sent, err := outbox.Flush(app); sent != 0 || err == nil {
			t.Fatalf("round %d: Flush = %d, %v", round, sent, err)
		}
		tries, bulk := attempts()
		if tries != round || fmt.Sprint(bulk) != "[1 0 0 0 0]" {
			t.Errorf("round %d: the ticket tried %d times, the bulk rows %v; want %d and [1 0 0 0 0]", round, tries, bulk, round)
		}
		if err := outbox.RetryNow(app); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkWorkerDuringABurst queues a mail every 5 ms for 1.5 s, as a
// burst of registrations does, and reports how many mails a second the
// worker sent meanwhile: one per 200 ms at most (and one more that was
// under way), so that the burst's requests have the machine, yet at least
// one.
func BenchmarkWorkerDuringABurst(b *testing.B) {
	mp := mailpit.Start(b)
	app := newApp(b, mp)
	serve(b, app)
	const burst = 1500 * time.Millisecond
	queued := 0
	for b.Loop() {
		before := sentMails(b, app)
		for end := time.Now().Add(burst); time.Now().Before(end); queued++ {
			enqueue(b, app, simple(fmt.Sprintf("p%d@example.com", queued), "Biļete"))
			time.Sleep(5 * time.Millisecond)
		}
		during := sentMails(b, app) - before
		b.ReportMetric(float64(during)/burst.Seconds(), "sent/s")
		if max := int(burst/(200*time.Millisecond)) + 2; during > max || during == 0 {
			b.Errorf("%d mails sent during the burst; want between 1 and %d", during, max)
		}
		b.StopTimer()
		deadline := time.Now().Add(60 * time.Second)
		for sentMails(b, app) < queued {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d mails sent a minute after the burst", sentMails(b, app), queued)
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.StartTimer()
	}
}

// serve starts the app's worker as `kopa serve` does, and stops it when
// the test ends.
func serve(t testing.TB, app core.App) {
	t.Helper()
	if err := app.OnServe().Trigger(&core.ServeEvent{App: app}, func(e *core.ServeEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error { return nil })
	})
}

// sentMails counts the rows marked sent.
func sentMails(t testing.TB, app core.App) int {
	t.Helper()
	n, err := app.CountRecords(outbox.Collection, dbx.HashExp{"status": outbox.StatusSent})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}
