package registration_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// TestTicketMailPerLocale registers one person per language and reads the
// mails mailpit received: subject and text in that language, the QR code
// inline (a PNG that the HTML shows), the calendar file attached.
func TestTicketMailPerLocale(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app) // sets meta.appURL
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Kultūršoks un kultūru dialogs"})

	want := map[string]struct{ subject, text string }{
		"lv": {"Jūsu biļete: Kultūršoks un kultūru dialogs", "Sveiki, Anna!"},
		"en": {"Your ticket: Kultūršoks un kultūru dialogs (en)", "Hello Anna,"},
		"ru": {"Ваш билет: Kultūršoks un kultūru dialogs (ru)", "Здравствуйте, Anna!"},
		// The new languages have no title of this event: English stands in.
		"uk": {"Ваш квиток: Kultūršoks un kultūru dialogs (en)", "Вітаємо, Anna!"},
		// Right to left: the values filled in are isolated (U+2068 … U+2069).
		"ar": {"تذكرتك: \u2068Kultūršoks un kultūru dialogs (en)\u2069", "مرحبًا \u2068Anna\u2069،"},
		"fa": {"تکت شما: \u2068Kultūršoks un kultūru dialogs (en)\u2069", "سلام \u2068Anna\u2069،"},
	}
	for lang := range want {
		in := registration.Input{Name: "Anna", Email: "anna." + lang + "@example.com", Locale: lang}
		if err := in.Normalize(); err != nil {
			t.Fatal(err)
		}
		if _, err := registration.Create(app, ev.Id, in, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, len(want), 10*time.Second)
	for lang, w := range want {
		list := mp.To(t, "anna."+lang+"@example.com")
		if len(list) != 1 {
			t.Fatalf("%s: %d mails", lang, len(list))
		}
		m := mp.Message(t, list[0].ID)
		if m.Subject != w.subject {
			t.Errorf("%s subject %q, want %q", lang, m.Subject, w.subject)
		}
		if !strings.Contains(m.Text, w.text) || !strings.Contains(m.HTML, w.text) {
			t.Errorf("%s body lacks %q", lang, w.text)
		}
		r, _ := app.FindFirstRecordByData("registrations", "email", "anna."+lang+"@example.com")
		link := srv.URL + "/t/" + r.GetString("ticket")
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Errorf("%s: no ticket link %s", lang, link)
		}
		if !strings.Contains(m.HTML, "/privacy") {
			t.Errorf("%s: no privacy link", lang)
		}
		// Arabic and Persian mails are right to left; the others say
		// nothing (left to right is the default).
		rtl := lang == "ar" || lang == "fa"
		if got := strings.Contains(m.HTML, `<html lang="`+lang+`" dir="rtl">`) && strings.Contains(m.HTML, `<div dir="rtl"`); got != rtl {
			t.Errorf("%s: right to left %v, want %v", lang, got, rtl)
		}
		if rtl && !strings.Contains(m.HTML, `<h1 lang="en" dir="auto"`) {
			t.Errorf("%s: the English title is not marked as English", lang)
		}
		qr, ok := m.Attachment("ticket-qr.png")
		if !ok || !strings.Contains(m.HTML, "cid:ticket-qr.png") {
			t.Fatalf("%s: no inline QR (%+v)", lang, m.Inline)
		}
		if _, err := png.Decode(bytes.NewReader(mp.Attachment(t, m.ID, qr.PartID))); err != nil {
			t.Errorf("%s: the QR is not a PNG: %v", lang, err)
		}
		ics, ok := m.Attachment("event.ics")
		if !ok || !strings.HasPrefix(ics.ContentType, "text/calendar") {
			t.Fatalf("%s: no calendar attached (%+v)", lang, m.Attachments)
		}
		cal := string(mp.Attachment(t, m.ID, ics.PartID))
		if !strings.Contains(cal, "BEGIN:VEVENT") || !strings.Contains(cal, "UID:"+r.Id+"@kopa") {
			t.Errorf("%s: calendar %q", lang, cal)
		}
	}
}

// TestSMTPOutageLosesNoTicket: registrations made while SMTP is down are
// answered at once, and every ticket arrives, once, when SMTP is back.
func TestSMTPOutageLosesNoTicket(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	kopatest.Serve(t, app)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 3, Waitlist: true})
	mp.Stop(t)
	for i, name := range []string{"Amina", "Olek", "Ivan", "Leyla", "Farid"} {
		in := registration.Input{Name: name, Email: strings.ToLower(name) + "@example.com", Locale: []string{"lv", "en", "ru"}[i%3]}
		_ = in.Normalize()
		if _, err := registration.Create(app, ev.Id, in, time.Now()); err != nil {
			t.Fatalf("registration during the outage: %v", err)
		}
	}
	if sent, _ := outbox.Flush(app); sent != 0 {
		t.Fatalf("sent %d while SMTP was down", sent)
	}
	mp.Restart(t)
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	got := mp.WaitFor(t, 5, 10*time.Second)
	if len(got) != 5 {
		t.Fatalf("mails after the outage: %d, want 5", len(got))
	}
	// Every ticket is in. One more Flush waits for any round of the worker
	// still under way; after it nothing is left to send, so this count is
	// final.
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	if n := len(mp.Messages(t)); n != 5 {
		t.Errorf("mails sent twice: %d", n)
	}
}

// TestSMTPDiesMidBurst: while registrations pour in and the worker sends,
// the SMTP server goes away and comes back. Every registration gets its
// ticket, once (the worker marks a mail sent only after the server took
// it; a mail the server took just before dying may come twice, which the
// outbox documents, so the test allows that and nothing else).
func TestSMTPDiesMidBurst(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	kopatest.Serve(t, app) // starts the worker
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	const n = 60
	for i := 0; i < n; i++ {
		if i == n/3 {
			mp.Stop(t)
		}
		if i == 2*n/3 {
			mp.Restart(t)
		}
		in := registration.Input{Name: "P", Email: "p" + strconv.Itoa(i) + "@example.com", Locale: "en"}
		_ = in.Normalize()
		if _, err := registration.Create(app, ev.Id, in, time.Now()); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := outbox.Flush(app); err != nil {
			t.Fatal(err)
		}
		if pending, _ := app.CountRecords(outbox.Collection, dbx.HashExp{"status": outbox.StatusPending}); pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("mail still pending a minute after SMTP came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	got := map[string]int{}
	for _, m := range mp.Messages(t) {
		if strings.HasPrefix(m.Subject, "Reminder:") {
			continue // the reminder job may run meanwhile: it is another mail, not a ticket sent twice
		}
		for _, to := range m.To {
			got[to.Address]++
		}
	}
	if len(got) != n {
		t.Fatalf("%d of %d registrations got their ticket", len(got), n)
	}
	twice := 0
	for _, c := range got {
		if c > 1 {
			twice++
		}
	}
	if twice > 1 {
		t.Errorf("%d tickets were sent twice; at most the one in flight when SMTP died may be", twice)
	}
}

// TestTicketMailSaysWhatIsTrueWhenSent: ticket mails are written when they
// are sent. Someone promoted from the waiting list before their
// waiting-list mail went out is not told they are waiting; someone who
// cancelled before their ticket went out gets no ticket; each sent mail's
// subject is kept on its row.
func TestTicketMailSaysWhatIsTrueWhenSent(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	// Not served, so no worker sends before the test flushes.
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.Meta.AppURL = "https://kopa.example.org"
	})
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Valodu klubs", Capacity: 1, Waitlist: true})
	register := func(name string) registration.Result {
		in := registration.Input{Name: name, Email: strings.ToLower(name) + "@example.com", Locale: "en"}
		if err := in.Normalize(); err != nil {
			t.Fatal(err)
		}
		res, err := registration.Create(app, ev.Id, in, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	amina, olek := register("Amina"), register("Olek")
	if amina.Status != string(domain.RegistrationConfirmed) || olek.Status != string(domain.RegistrationWaitlisted) {
		t.Fatalf("%s, %s", amina.Status, olek.Status)
	}
	// Amina cancels before any mail is sent: Olek has her seat.
	if _, promoted, err := registration.Cancel(app, amina.Registration.GetString("ticket"), time.Now()); err != nil || promoted == nil {
		t.Fatalf("cancel: %v %v", promoted, err)
	}

	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	// Flush has sent or skipped every mail when it returns, and mailpit
	// stores a mail before it accepts it: no other mail can arrive.
	mp.WaitFor(t, 2, 10*time.Second)
	if n := len(mp.To(t, "amina@example.com")); n != 0 {
		t.Errorf("Amina cancelled before her ticket went out, yet got %d mails", n)
	}
	list := mp.To(t, "olek@example.com")
	if len(list) != 2 {
		t.Fatalf("Olek got %d mails, want his first mail and the promotion", len(list))
	}
	for _, s := range list {
		m := mp.Message(t, s.ID)
		if strings.Contains(m.Subject, "waiting list") || strings.Contains(m.Text, "waiting list") {
			t.Errorf("Olek has a seat, but a mail says he waits: %q\n%s", m.Subject, m.Text)
		}
		if !strings.Contains(m.Text, "Your seat is confirmed") && !strings.Contains(m.Text, "a seat came free") {
			t.Errorf("mail %q does not say Olek has a seat:\n%s", m.Subject, m.Text)
		}
		if _, ok := m.Attachment("ticket-qr.png"); !ok {
			t.Errorf("mail %q has no QR code", m.Subject)
		}
	}
	rows, err := app.FindAllRecords(outbox.Collection)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := outbox.StatusSent
		if r.GetString("to") == "amina@example.com" {
			want = outbox.StatusSkipped
		}
		if r.GetString("status") != want {
			t.Errorf("mail to %s: %s, want %s", r.GetString("to"), r.GetString("status"), want)
		}
		if want == outbox.StatusSent && !strings.Contains(r.GetString("subject"), "Valodu klubs") {
			t.Errorf("sent row keeps subject %q", r.GetString("subject"))
		}
	}
}

// TestTicketMailOfATitleWithLineBreaks: an event stored with a CR/LF in
// its title and venue (old data, written past the checks) still gets its
// ticket mails: the subject is one line, and the calendar file is valid.
func TestTicketMailOfATitleWithLineBreaks(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	kopatest.Serve(t, app)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	if _, err := app.DB().NewQuery("UPDATE events SET title_lv = {:t}, venue = {:v} WHERE id = {:id}").
		Bind(dbx.Params{"t": "Diskusija\r\nBcc: x@example.com", "v": "Rīga,\r\nTērbatas iela 1", "id": ev.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	in := registration.Input{Name: "Anna", Email: "anna@example.com", Locale: "lv"}
	if err := in.Normalize(); err != nil {
		t.Fatal(err)
	}
	if _, err := registration.Create(app, ev.Id, in, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	list := mp.WaitFor(t, 1, 10*time.Second)
	if len(list) != 1 {
		t.Fatalf("%d mails, want the ticket", len(list))
	}
	m := mp.Message(t, list[0].ID)
	if m.Subject != "Jūsu biļete: Diskusija Bcc: x@example.com" {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.To) != 1 || len(m.Bcc) != 0 || len(m.Cc) != 0 {
		t.Errorf("recipients to %v cc %v bcc %v", m.To, m.Cc, m.Bcc)
	}
	part, ok := m.Attachment("event.ics")
	if !ok {
		t.Fatal("no calendar attached")
	}
	cal := string(mp.Attachment(t, m.ID, part.PartID))
	for i, line := range strings.Split(strings.TrimSuffix(cal, "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("calendar line %d holds a line break: %q", i+1, line)
		}
	}
	for _, want := range []string{"SUMMARY:Diskusija Bcc: x@example.com\r\n", `LOCATION:Rīga\, Tērbatas iela 1` + "\r\n"} {
		if !strings.Contains(cal, want) {
			t.Errorf("calendar lacks %q:\n%s", want, cal)
		}
	}
}

// TestTicketMailedAgainAtMostHourly: a duplicate registration mails the
// ticket again, once an hour at most for an address and event, however
// often it is repeated; the answer stays "exists". Time passes by ageing
// the outbox's stored rows.
func TestTicketMailedAgainAtMostHourly(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	other := kopatest.Event(t, app, kopatest.EventOpts{})
	register := func(eventID string) string {
		t.Helper()
		in := registration.Input{Name: "Anna", Email: "anna@example.com", Locale: "lv"}
		if err := in.Normalize(); err != nil {
			t.Fatal(err)
		}
		res, err := registration.Create(app, eventID, in, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return res.Status
	}
	again := func(eventID string) int {
		t.Helper()
		var n int
		err := app.DB().NewQuery("SELECT count(*) FROM mail_outbox o JOIN registrations r ON r.id = o.ref WHERE o.kind = 'ticket_again' AND r.event = {:e}").
			Bind(dbx.Params{"e": eventID}).Row(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	age := func(d time.Duration) {
		t.Helper()
		_, err := app.DB().NewQuery("UPDATE mail_outbox SET created = strftime('%Y-%m-%d %H:%M:%fZ', created, {:d})").
			Bind(dbx.Params{"d": fmt.Sprintf("-%d seconds", int(d.Seconds()))}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, step := range []struct {
		wait   time.Duration
		event  *core.Record
		status string
		again  int // tickets of that event mailed again so far
	}{
		{0, ev, string(domain.RegistrationConfirmed), 0},
		{0, ev, registration.StatusExists, 1},
		{0, ev, registration.StatusExists, 1},
		{59 * time.Minute, ev, registration.StatusExists, 1},
		{0, other, string(domain.RegistrationConfirmed), 0}, // another event, another ticket
		{0, other, registration.StatusExists, 1},
		{2 * time.Minute, ev, registration.StatusExists, 2}, // an hour and a minute after the first
		{0, other, registration.StatusExists, 1},
		{0, ev, registration.StatusExists, 2},
	} {
		age(step.wait)
		if got := register(step.event.Id); got != step.status {
			t.Errorf("step %d: %s, want %s", i+1, got, step.status)
		}
		if got := again(step.event.Id); got != step.again {
			t.Errorf("step %d: %d tickets mailed again, want %d", i+1, got, step.again)
		}
	}
}
