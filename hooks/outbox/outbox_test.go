package outbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// newApp is a test app with the outbox registered and SMTP pointed at mp.
func newApp(t testing.TB, mp *mailpit.Server) *tests.TestApp {
	t.Helper()
	app := kopatest.NewApp(t, outbox.Register)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	return app
}

// enqueue queues msg inside a transaction, as features do.
func enqueue(t testing.TB, app core.App, msg outbox.Message) *core.Record {
	t.Helper()
	var rec *core.Record
	err := app.RunInTransaction(func(txApp core.App) error {
		var err error
		rec, err = outbox.EnqueueRaw(txApp, msg)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return rec
}

func reload(t testing.TB, app core.App, rec *core.Record) *core.Record {
	t.Helper()
	r, err := app.FindRecordById(outbox.Collection, rec.Id)
	if err != nil {
		t.Fatalf("reload %s: %v", rec.Id, err)
	}
	return r
}

func simple(to, subject string) outbox.Message {
	return outbox.Message{To: to, Subject: subject, Text: "Sveiki!", HTML: "<p>Sveiki!</p>", Kind: "test"}
}

func pngImage(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kopa//LV\r\nBEGIN:VEVENT\r\nUID:x@kopa\r\n" +
	"DTSTAMP:20261201T160000Z\r\nDTSTART:20261201T160000Z\r\nSUMMARY:Diskusija\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestDeliversBodiesInlineImageAndAttachment(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	qr := pngImage(t)
	rec := enqueue(t, app, outbox.Message{
		To:      "anna@example.com",
		Subject: "Jūsu biļete — Ваш билет",
		Text:    "Biļete: https://kopa.example/t/abc",
		HTML:    `<p>Biļete</p><img src="cid:qr.png" alt="QR">`,
		Attachments: []outbox.Attachment{
			{Name: "qr.png", ContentType: "image/png", Data: qr, Inline: true},
			{Name: "event.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: []byte(ics)},
		},
		Kind: "ticket",
		Ref:  "reg123",
	})
	if got := rec.GetString("status"); got != outbox.StatusPending {
		t.Fatalf("status after enqueue = %q", got)
	}

	sent, err := outbox.Flush(app)
	if err != nil || sent != 1 {
		t.Fatalf("Flush = %d, %v; want 1, nil", sent, err)
	}
	msgs := mp.WaitFor(t, 1, 5*time.Second)
	m := mp.Message(t, msgs[0].ID)

	if m.Subject != "Jūsu biļete — Ваш билет" {
		t.Errorf("subject = %q", m.Subject)
	}
	if m.From.Address != "kopa@example.com" || m.From.Name != "Kopā" {
		t.Errorf("from = %+v", m.From)
	}
	if len(m.To) != 1 || m.To[0].Address != "anna@example.com" {
		t.Errorf("to = %+v", m.To)
	}
	if !strings.Contains(m.Text, "https://kopa.example/t/abc") {
		t.Errorf("text = %q", m.Text)
	}
	if !strings.Contains(m.HTML, `src="cid:qr.png"`) {
		t.Errorf("html = %q", m.HTML)
	}
	if want := "<" + rec.Id + "@example.com>"; m.Header("Message-Id") != want {
		t.Errorf("Message-Id = %q, want %q", m.Header("Message-Id"), want)
	}
	if _, err := time.Parse(time.RFC1123Z, m.Header("Date")); err != nil {
		t.Errorf("Date header %q: %v", m.Header("Date"), err)
	}

	if len(m.Inline) != 1 {
		t.Fatalf("inline parts = %+v", m.Inline)
	}
	in := m.Inline[0]
	if in.FileName != "qr.png" || in.ContentType != "image/png" || strings.Trim(in.ContentID, "<>") != "qr.png" {
		t.Errorf("inline part = %+v", in)
	}
	if got := mp.Attachment(t, m.ID, in.PartID); !bytes.Equal(got, qr) {
		t.Errorf("inline image differs: %d bytes, want %d", len(got), len(qr))
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments = %+v", m.Attachments)
	}
	at := m.Attachments[0]
	if at.FileName != "event.ics" || !strings.HasPrefix(at.ContentType, "text/calendar") {
		t.Errorf("attachment = %+v", at)
	}
	if got := mp.Attachment(t, m.ID, at.PartID); string(got) != ics {
		t.Errorf("calendar differs:\n%q\nwant\n%q", got, ics)
	}

	row := reload(t, app, rec)
	if row.GetString("status") != outbox.StatusSent || row.GetInt("attempts") != 1 ||
		row.GetDateTime("sent_at").IsZero() || row.GetString("last_error") != "" {
		t.Errorf("row after sending = %v", row.FieldsData())
	}
	if sent, err := outbox.Flush(app); sent != 0 || err != nil {
		t.Errorf("second Flush = %d, %v; want nothing to do", sent, err)
	}
	if n := len(mp.Messages(t)); n != 1 {
		t.Errorf("mailpit has %d messages, want 1", n)
	}
}

func TestLongSubjectIsFolded(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	subject := strings.Repeat("Регистрация на дискуссию ", 12)[:290]
	subject = strings.ToValidUTF8(subject, "")
	enqueue(t, app, simple("anna@example.com", subject))
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	m := mp.WaitFor(t, 1, 5*time.Second)[0]
	if m.Subject != subject {
		t.Errorf("subject = %q, want %q", m.Subject, subject)
	}
	raw := mp.Raw(t, m.ID)
	head := raw[:bytes.Index(raw, []byte("\r\n\r\n"))]
	for _, l := range bytes.Split(head, []byte("\r\n")) {
		if len(l) > 998 {
			t.Errorf("header line of %d characters: %.60s…", len(l), l)
		}
	}
}

func TestRollbackQueuesNothing(t *testing.T) {
	app := kopatest.NewApp(t, outbox.Register)
	boom := errors.New("registration failed")
	err := app.RunInTransaction(func(txApp core.App) error {
		if _, err := outbox.EnqueueRaw(txApp, simple("anna@example.com", "Biļete")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("transaction error = %v", err)
	}
	if n, _ := app.CountRecords(outbox.Collection); n != 0 {
		t.Errorf("%d rows after rollback, want 0", n)
	}
}

func TestRejectsBadMessagesAndStoresNothing(t *testing.T) {
	app := kopatest.NewApp(t, outbox.Register)
	ok := simple("anna@example.com", "Biļete")
	with := func(f func(m *outbox.Message)) outbox.Message {
		m := ok
		f(&m)
		return m
	}
	cases := []struct {
		name  string
		msg   outbox.Message
		field string
	}{
		{"header injection in to", with(func(m *outbox.Message) { m.To = "anna@example.com\r\nBcc: all@example.com" }), "to"},
		{"LF in to", with(func(m *outbox.Message) { m.To = "anna@example.com\nBcc: all@example.com" }), "to"},
		{"two recipients", with(func(m *outbox.Message) { m.To = "anna@example.com, ben@example.com" }), "to"},
		{"display name", with(func(m *outbox.Message) { m.To = "Anna <anna@example.com>" }), "to"},
		{"not an address", with(func(m *outbox.Message) { m.To = "anna" }), "to"},
		{"empty to", with(func(m *outbox.Message) { m.To = "" }), "to"},
		{"header injection in subject", with(func(m *outbox.Message) { m.Subject = "Biļete\r\nBcc: all@example.com" }), "subject"},
		{"LF in subject", with(func(m *outbox.Message) { m.Subject = "Biļete\nX-Evil: 1" }), "subject"},
		{"empty subject", with(func(m *outbox.Message) { m.Subject = "  " }), "subject"},
		{"long subject", with(func(m *outbox.Message) { m.Subject = strings.Repeat("ā", 301) }), "subject"},
		{"no body", with(func(m *outbox.Message) { m.Text, m.HTML = "", "" }), "text"},
		{"a header the outbox writes", with(func(m *outbox.Message) { m.Headers = map[string]string{"Bcc": "all@example.com"} }), "headers"},
		{"header injection in a header", with(func(m *outbox.Message) {
			m.Headers = map[string]string{"List-Unsubscribe": "<https://kopa.example.org/b/x>\r\nBcc: all@example.com"}
		}), "headers"},
		{"an empty header", with(func(m *outbox.Message) { m.Headers = map[string]string{"List-Unsubscribe-Post": ""} }), "headers"},
		{"quote in attachment name", with(func(m *outbox.Message) {
			m.Attachments = []outbox.Attachment{{Name: `x".png`, Data: []byte("x")}}
		}), "attachments"},
		{"CRLF in content type", with(func(m *outbox.Message) {
			m.Attachments = []outbox.Attachment{{Name: "x.png", ContentType: "image/png\r\nBcc: a@b.lv", Data: []byte("x")}}
		}), "attachments"},
		{"duplicate attachment names", with(func(m *outbox.Message) {
			m.Attachments = []outbox.Attachment{{Name: "x.png", Data: []byte("x")}, {Name: "X.png", Data: []byte("y")}}
		}), "attachments"},
		{"inline without html", with(func(m *outbox.Message) {
			m.HTML = ""
			m.Attachments = []outbox.Attachment{{Name: "qr.png", Data: []byte("x"), Inline: true}}
		}), "attachments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := outbox.EnqueueRaw(app, c.msg)
			var verrs validation.Errors
			if !errors.As(err, &verrs) {
				t.Fatalf("EnqueueRaw = %v, %v; want validation errors", rec, err)
			}
			if verrs[c.field] == nil {
				t.Errorf("errors %v do not name %q", verrs, c.field)
			}
		})
	}
	if n, _ := app.CountRecords(outbox.Collection); n != 0 {
		t.Errorf("%d rows stored, want 0", n)
	}
	// The same message without the fault is accepted.
	if _, err := outbox.EnqueueRaw(app, ok); err != nil {
		t.Errorf("valid message: %v", err)
	}
}

func TestSMTPOutageDelaysButLosesNothing(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	mp.Stop(t)

	var recs []*core.Record
	for i := range 3 {
		recs = append(recs, enqueue(t, app, simple(fmt.Sprintf("p%d@example.com", i), fmt.Sprintf("Biļete %d", i))))
	}
	sent, err := outbox.Flush(app)
	if sent != 0 || err == nil {
		t.Fatalf("Flush with SMTP down = %d, %v; want 0 and an error", sent, err)
	}
	for _, r := range recs {
		row := reload(t, app, r)
		if row.GetString("status") != outbox.StatusPending || row.GetInt("attempts") != 1 {
			t.Errorf("row %s = %s after %d attempts, want pending after 1", r.Id, row.GetString("status"), row.GetInt("attempts"))
		}
		if !strings.Contains(row.GetString("last_error"), "connection refused") {
			t.Errorf("last_error = %q", row.GetString("last_error"))
		}
		if !row.GetDateTime("next_attempt_at").Time().After(time.Now()) {
			t.Errorf("next_attempt_at %v is not in the future", row.GetDateTime("next_attempt_at"))
		}
	}

	mp.Restart(t)
	// Backing off: nothing is due yet.
	if sent, err := outbox.Flush(app); sent != 0 || err != nil {
		t.Fatalf("Flush during backoff = %d, %v", sent, err)
	}
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 3 || err != nil {
		t.Fatalf("Flush after restart = %d, %v; want 3", sent, err)
	}
	if sent, err := outbox.Flush(app); sent != 0 || err != nil {
		t.Fatalf("third Flush = %d, %v; want nothing", sent, err)
	}
	msgs := mp.Messages(t)
	if len(msgs) != 3 {
		t.Fatalf("mailpit has %d messages, want 3", len(msgs))
	}
	for i := range 3 {
		if got := mp.To(t, fmt.Sprintf("p%d@example.com", i)); len(got) != 1 {
			t.Errorf("p%d got %d mails, want exactly 1", i, len(got))
		}
	}
	for _, r := range recs {
		if row := reload(t, app, r); row.GetString("status") != outbox.StatusSent || row.GetInt("attempts") != 2 {
			t.Errorf("row %s = %s after %d attempts", r.Id, row.GetString("status"), row.GetInt("attempts"))
		}
	}
}

func TestRefusedRecipientDoesNotBlockOthers(t *testing.T) {
	mp := mailpit.StartWith(t, mailpit.Options{AllowedRecipients: `@example\.com$`})
	app := newApp(t, mp)
	bad := enqueue(t, app, simple("nobody@invalid.test", "Biļete"))
	good1 := enqueue(t, app, simple("anna@example.com", "Biļete"))
	good2 := enqueue(t, app, simple("ben@example.com", "Biļete"))

	sent, err := outbox.Flush(app)
	if sent != 2 || err == nil {
		t.Fatalf("Flush = %d, %v; want 2 and an error about the refused one", sent, err)
	}
	row := reload(t, app, bad)
	if row.GetString("status") != outbox.StatusFailed || row.GetInt("attempts") != 1 ||
		!strings.Contains(row.GetString("last_error"), "550") {
		t.Errorf("refused row = %s, %d attempts, %q; want failed at once with the 550",
			row.GetString("status"), row.GetInt("attempts"), row.GetString("last_error"))
	}
	for _, r := range []*core.Record{good1, good2} {
		if reload(t, app, r).GetString("status") != outbox.StatusSent {
			t.Errorf("row to %s not sent", r.GetString("to"))
		}
	}
	if n := len(mp.Messages(t)); n != 2 {
		t.Errorf("mailpit has %d messages, want 2", n)
	}
	// A failed row is not tried again.
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 0 || err != nil {
		t.Errorf("Flush after failure = %d, %v", sent, err)
	}
}

func TestTemporaryRefusalRetriesThenFails(t *testing.T) {
	mp := mailpit.StartWith(t, mailpit.Options{Args: []string{"--enable-chaos", "--chaos-triggers", "Recipient:451:100"}})
	app := newApp(t, mp)
	rec := enqueue(t, app, simple("anna@example.com", "Biļete"))

	if sent, err := outbox.Flush(app); sent != 0 || err == nil {
		t.Fatalf("Flush = %d, %v", sent, err)
	}
	row := reload(t, app, rec)
	if row.GetString("status") != outbox.StatusPending || row.GetInt("attempts") != 1 ||
		!strings.Contains(row.GetString("last_error"), "451") {
		t.Fatalf("after a 451: %s, %d attempts, %q", row.GetString("status"), row.GetInt("attempts"), row.GetString("last_error"))
	}

	// One attempt short of the limit, the next refusal is the last.
	row.Set("attempts", outbox.MaxAttempts-1)
	if err := app.Save(row); err != nil {
		t.Fatal(err)
	}
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Flush(app); err == nil {
		t.Fatal("Flush succeeded against a refusing server")
	}
	row = reload(t, app, rec)
	if row.GetString("status") != outbox.StatusFailed || row.GetInt("attempts") != outbox.MaxAttempts {
		t.Errorf("after the last attempt: %s, %d attempts", row.GetString("status"), row.GetInt("attempts"))
	}
}

func TestOutageAttemptsDoNotExhaustTheMail(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	rec := enqueue(t, app, simple("anna@example.com", "Biļete"))
	row := reload(t, app, rec)
	row.Set("attempts", outbox.MaxAttempts+5)
	if err := app.Save(row); err != nil {
		t.Fatal(err)
	}
	mp.Stop(t)
	if _, err := outbox.Flush(app); err == nil {
		t.Fatal("Flush succeeded with SMTP down")
	}
	if got := reload(t, app, rec).GetString("status"); got != outbox.StatusPending {
		t.Fatalf("status after a long outage = %q, want pending", got)
	}
	mp.Restart(t)
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 1 || err != nil {
		t.Fatalf("Flush after the outage = %d, %v", sent, err)
	}
}

func TestSMTPOffKeepsMailQueued(t *testing.T) {
	app := kopatest.NewApp(t, outbox.Register)
	// With nothing queued there is nothing to complain about.
	if sent, err := outbox.Flush(app); sent != 0 || err != nil {
		t.Fatalf("Flush of an empty outbox = %d, %v", sent, err)
	}
	rec := enqueue(t, app, simple("anna@example.com", "Biļete"))
	sent, err := outbox.Flush(app)
	if sent != 0 || !errors.Is(err, outbox.ErrNotConfigured) {
		t.Fatalf("Flush = %d, %v; want ErrNotConfigured", sent, err)
	}
	row := reload(t, app, rec)
	if row.GetString("status") != outbox.StatusPending || row.GetInt("attempts") != 0 {
		t.Errorf("row = %s after %d attempts, want untouched", row.GetString("status"), row.GetInt("attempts"))
	}

	// Switching SMTP on later sends it.
	mp := mailpit.Start(t)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 1 || err != nil {
		t.Fatalf("Flush = %d, %v", sent, err)
	}
}

func TestWorkerStartsOnServeAndStopsOnTerminate(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	outbox.Register(app) // twice is harmless
	before := enqueue(t, app, simple("anna@example.com", "Queued before the server started"))

	if outbox.Running(app) {
		t.Fatal("worker running before serve")
	}
	serve := &core.ServeEvent{App: app}
	if err := app.OnServe().Trigger(serve, func(e *core.ServeEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !outbox.Running(app) {
		t.Fatal("worker not running after serve")
	}
	// Mail queued while Kopā was down goes out at start; new mail at once.
	after := enqueue(t, app, simple("ben@example.com", "Queued while serving"))
	mp.WaitFor(t, 2, 10*time.Second)
	for _, r := range []*core.Record{before, after} {
		waitStatus(t, app, r, outbox.StatusSent)
	}

	if err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if outbox.Running(app) {
		t.Fatal("worker still running after terminate")
	}
	// A stopped worker leaves new mail queued for the next start.
	late := enqueue(t, app, simple("cilda@example.com", "Queued after terminate"))
	if got := reload(t, app, late).GetString("status"); got != outbox.StatusPending {
		t.Errorf("status = %q", got)
	}
	if err := app.OnServe().Trigger(&core.ServeEvent{App: app}, func(e *core.ServeEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 3, 10*time.Second)
	waitStatus(t, app, late, outbox.StatusSent)
}

// waitStatus waits for the worker to mark rec; the mail can reach mailpit
// a moment before its row is marked.
func waitStatus(t testing.TB, app core.App, rec *core.Record, status string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := reload(t, app, rec).GetString("status")
		if got == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("row %s is %q, want %q", rec.Id, got, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSMTPLogin(t *testing.T) {
	for _, method := range []string{"PLAIN", "LOGIN"} {
		t.Run(method, func(t *testing.T) {
			mp := mailpit.StartWith(t, mailpit.Options{Login: "kopa:secret"})
			app := newApp(t, mp)
			login := func(password string) {
				kopatest.ChangeSettings(t, app, func(s *core.Settings) {
					s.SMTP.Username = "kopa"
					s.SMTP.Password = password
					s.SMTP.AuthMethod = method
					s.SMTP.LocalName = "kopa.example.org"
				})
			}
			rec := enqueue(t, app, simple("anna@example.com", "Biļete"))

			// A wrong password is the server refusing us, not the mail:
			// it waits for the settings to be fixed.
			login("wrong")
			if _, err := outbox.Flush(app); err == nil || !strings.Contains(err.Error(), "535") {
				t.Fatalf("Flush with a wrong password: %v", err)
			}
			if got := reload(t, app, rec).GetString("status"); got != outbox.StatusPending {
				t.Fatalf("status = %q", got)
			}

			login("secret")
			if err := outbox.RetryNow(app); err != nil {
				t.Fatal(err)
			}
			if sent, err := outbox.Flush(app); sent != 1 || err != nil {
				t.Fatalf("Flush = %d, %v", sent, err)
			}
			m := mp.Message(t, mp.WaitFor(t, 1, 5*time.Second)[0].ID)
			// mailpit records the user of LOGIN logins only.
			if method == "LOGIN" && m.Username != "kopa" {
				t.Errorf("logged in as %q", m.Username)
			}
		})
	}
}

func TestSMTPTLS(t *testing.T) {
	cases := []struct {
		name     string
		opts     mailpit.Options
		implicit bool
	}{
		// The server refuses mail before STARTTLS, so delivery proves it.
		{"STARTTLS", mailpit.Options{RequireSTARTTLS: true, Login: "kopa:secret"}, false},
		{"implicit TLS", mailpit.Options{ImplicitTLS: true, Login: "kopa:secret"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mp := mailpit.StartWith(t, c.opts)
			app := newApp(t, mp)
			kopatest.ChangeSettings(t, app, func(s *core.Settings) {
				s.SMTP.TLS = c.implicit
				s.SMTP.Username = "kopa"
				s.SMTP.Password = "secret"
			})
			rec := enqueue(t, app, simple("anna@example.com", "Biļete"))

			// A certificate nobody vouches for is refused, and the mail waits.
			if _, err := outbox.Flush(app); err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("Flush with an untrusted certificate: %v", err)
			}
			if got := reload(t, app, rec).GetString("status"); got != outbox.StatusPending {
				t.Fatalf("status = %q", got)
			}

			outbox.TrustRoots(mp.RootCAs())
			t.Cleanup(func() { outbox.TrustRoots(nil) })
			if err := outbox.RetryNow(app); err != nil {
				t.Fatal(err)
			}
			if sent, err := outbox.Flush(app); sent != 1 || err != nil {
				t.Fatalf("Flush = %d, %v", sent, err)
			}
			mp.WaitFor(t, 1, 5*time.Second)
		})
	}
}

func TestOutboxAPIRules(t *testing.T) {
	// fixtures creates an organiser, a volunteer, a superuser and one queued
	// mail, and puts the token of who is asking into headers.
	fixtures := func(who string, headers map[string]string) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
		return func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
			enqueue(t, app, outbox.Message{
				To: "anna@example.com", Subject: "Biļete", Text: "Sveiki",
				Attachments: []outbox.Attachment{{Name: "event.ics", Data: []byte(ics)}}, Kind: "ticket",
			})
			var auth *core.Record
			switch who {
			case "organiser":
				auth = kopatest.Organiser(t, app, "org@example.com")
			case "volunteer":
				auth = kopatest.Volunteer(t, app, "vol@example.com", []string{"lv"}, []string{"door"})
			case "superuser":
				c, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
				if err != nil {
					t.Fatal(err)
				}
				auth = core.NewRecord(c)
				auth.SetEmail("root@example.com")
				auth.SetPassword(kopatest.Password)
				if err := app.Save(auth); err != nil {
					t.Fatal(err)
				}
			}
			if auth != nil {
				headers["Authorization"] = kopatest.Token(t, auth)
			}
		}
	}
	scenarios := []struct {
		who string
		tests.ApiScenario
	}{
		{"organiser", tests.ApiScenario{
			Name: "organiser lists the outbox without attachments", Method: http.MethodGet,
			URL:            "/api/collections/mail_outbox/records",
			ExpectedStatus: 200,
			ExpectedContent: []string{
				`"totalItems":1`, `"to":"anna@example.com"`, `"status":"pending"`, `"last_error":""`, `"kind":"ticket"`,
			},
			NotExpectedContent: []string{`"attachments"`},
			ExpectedEvents:     map[string]int{"OnRecordsListRequest": 1, "OnRecordEnrich": 1},
		}},
		{"anonymous", tests.ApiScenario{
			Name: "anonymous sees nothing", Method: http.MethodGet,
			URL:             "/api/collections/mail_outbox/records",
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":0`, `"items":[]`},
			ExpectedEvents:  map[string]int{"OnRecordsListRequest": 1},
		}},
		{"volunteer", tests.ApiScenario{
			Name: "volunteer sees nothing", Method: http.MethodGet,
			URL:             "/api/collections/mail_outbox/records",
			ExpectedStatus:  200,
			ExpectedContent: []string{`"totalItems":0`, `"items":[]`},
			ExpectedEvents:  map[string]int{"OnRecordsListRequest": 1},
		}},
		{"organiser", tests.ApiScenario{
			Name: "organiser may not queue mail", Method: http.MethodPost,
			URL: "/api/collections/mail_outbox/records", Body: strings.NewReader(`{"to":"eve@example.com","subject":"Spam","text":"x","status":"pending"}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{`"status":403`},
			ExpectedEvents:  map[string]int{"*": 0},
		}},
		{"anonymous", tests.ApiScenario{
			Name: "anonymous may not queue mail", Method: http.MethodPost,
			URL: "/api/collections/mail_outbox/records", Body: strings.NewReader(`{"to":"eve@example.com","subject":"Spam","text":"x","status":"pending"}`),
			ExpectedStatus:  403,
			ExpectedContent: []string{`"status":403`},
			ExpectedEvents:  map[string]int{"*": 0},
		}},
		{"superuser", tests.ApiScenario{
			Name: "superuser may queue mail", Method: http.MethodPost,
			URL: "/api/collections/mail_outbox/records", Body: strings.NewReader(`{"to":"eve@example.com","subject":"Hi","text":"x","status":"pending"}`),
			ExpectedStatus:  200,
			ExpectedContent: []string{`"to":"eve@example.com"`, `"attachments":null`},
			ExpectedEvents: map[string]int{
				"OnRecordCreateRequest": 1, "OnRecordCreate": 1, "OnRecordAfterCreateSuccess": 1,
				"OnRecordValidate": 1, "OnRecordEnrich": 1,
			},
		}},
	}
	for _, s := range scenarios {
		headers := map[string]string{}
		s.Headers = headers
		s.BeforeTestFunc = fixtures(s.who, headers)
		s.TestAppFactory = kopatest.Factory(outbox.Register)
		s.Test(t)
	}
}

// BenchmarkEnqueue compares queueing a ticket-sized mail with a plain
// PocketBase record create of the same row in a base collection with the
// same fields and indexes, so the difference is EnqueueRaw's own cost.
func BenchmarkEnqueue(b *testing.B) {
	app := kopatest.NewApp(b, outbox.Register)
	src, err := app.FindCollectionByNameOrId(outbox.Collection)
	if err != nil {
		b.Fatal(err)
	}
	fields, err := json.Marshal(src.Fields)
	if err != nil {
		b.Fatal(err)
	}
	plain := core.NewBaseCollection("bench_plain")
	if err := json.Unmarshal(fields, &plain.Fields); err != nil {
		b.Fatal(err)
	}
	for _, idx := range src.Indexes {
		plain.Indexes = append(plain.Indexes, strings.ReplaceAll(idx, outbox.Collection, "bench_plain"))
	}
	if err := app.Save(plain); err != nil {
		b.Fatal(err)
	}
	qr := pngImage(b)
	msg := outbox.Message{
		To: "anna@example.com", Subject: "Jūsu biļete", Kind: "ticket", Ref: "reg123",
		Text: strings.Repeat("Biļete un norādes. ", 40), HTML: strings.Repeat("<p>Biļete un norādes.</p>", 40),
		Attachments: []outbox.Attachment{
			{Name: "qr.png", ContentType: "image/png", Data: qr, Inline: true},
			{Name: "event.ics", ContentType: "text/calendar", Data: []byte(ics)},
		},
	}

	b.Run("plain_create", func(b *testing.B) {
		for b.Loop() {
			r := core.NewRecord(plain)
			r.Load(map[string]any{
				"to": msg.To, "subject": msg.Subject, "text": msg.Text, "html": msg.HTML,
				"attachments": msg.Attachments, "kind": msg.Kind, "ref": msg.Ref,
				"status": outbox.StatusPending, "attempts": 0, "next_attempt_at": types.NowDateTime(),
			})
			if err := app.Save(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("enqueue", func(b *testing.B) {
		for b.Loop() {
			if _, err := outbox.EnqueueRaw(app, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
