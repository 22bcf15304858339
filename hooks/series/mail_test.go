package series_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// TestWelcomeMailWithTheSessions: a standing place gets one welcome mail
// in its language with its ticket and a calendar file holding every
// session, at the same Riga time on both sides of the summer-time change.
func TestWelcomeMailWithTheSessions(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	// Wednesdays at 18:30 from 10 March 2027; Riga moves to summer time
	// on 28 March. The 24th is a holiday.
	first := time.Date(2027, 3, 10, 12, 0, 0, 0, i18n.Riga)
	s, sessions := newSeries(t, app, seriesOpts{First: first, Weeks: 5, Skip: []string{"2027-03-24"}})
	if len(sessions) != 4 {
		t.Fatalf("%d sessions, want 4", len(sessions))
	}
	res := join(t, app, s.Id, "amina@example.com")
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 1, 10*time.Second)
	list := mp.To(t, "amina@example.com")
	if len(list) != 1 {
		t.Fatalf("%d mails, want one", len(list))
	}
	m := mp.Message(t, list[0].ID)
	if m.Subject != "Tava iknedēļas vieta: Sarunu klubs" {
		t.Errorf("subject %q", m.Subject)
	}
	link := srv.URL + "/t/" + res.Standing.GetString("ticket")
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, "cid:ticket-qr.png") {
		t.Errorf("no ticket link or QR code:\n%s", m.Text)
	}
	part, ok := m.Attachment("sessions.ics")
	if !ok {
		t.Fatalf("no calendar file: %+v", m.Attachments)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(mp.Attachment(t, m.ID, part.PartID)))
	if err != nil {
		t.Fatal(err)
	}
	events := cal.Events()
	if len(events) != 4 {
		t.Fatalf("%d sessions in the calendar, want 4", len(events))
	}
	wantDays := []string{"2027-03-10", "2027-03-17", "2027-03-31", "2027-04-07"}
	for i, ev := range events {
		start, err := ev.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		end, _ := ev.GetEndAt()
		local := start.In(i18n.Riga)
		if local.Format("2006-01-02 15:04") != wantDays[i]+" 18:30" || end.Sub(start) != 90*time.Minute {
			t.Errorf("session %d: %s (%v long) in Riga, want %s 18:30", i, local, end.Sub(start), wantDays[i])
		}
	}
	// Across the change the UTC hour moves, the Riga one does not.
	if a, _ := events[1].GetStartAt(); a.UTC().Hour() != 16 {
		t.Errorf("winter session at %v UTC", a.UTC())
	}
	if b, _ := events[2].GetStartAt(); b.UTC().Hour() != 15 {
		t.Errorf("summer session at %v UTC", b.UTC())
	}
	l := web.Catalog().For("lv")
	for _, ev := range sessions {
		if span := l.Span(ev.GetDateTime("starts_at").Time(), ev.GetDateTime("ends_at").Time()); !strings.Contains(m.Text, span) {
			t.Errorf("the mail does not list %s:\n%s", span, m.Text)
		}
	}
}
