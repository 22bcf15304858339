package volunteers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"kopa/hooks/outbox"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// mailTo waits for the mail to addr whose subject starts with prefix.
func mailTo(t *testing.T, mp *mailpit.Server, addr, prefix string) mailpit.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range mp.To(t, addr) {
			if strings.HasPrefix(s.Subject, prefix) {
				return mp.Message(t, s.ID)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail %q to %s", prefix, addr)
	return mailpit.Message{}
}

// calendarOf is the text of a mail's shift.ics.
func calendarOf(t *testing.T, mp *mailpit.Server, m mailpit.Message) string {
	t.Helper()
	p, ok := m.Attachment("shift.ics")
	if !ok {
		t.Fatalf("%q has no calendar file", m.Subject)
	}
	if !strings.HasPrefix(p.ContentType, "text/calendar") {
		t.Errorf("%q: calendar type %q", m.Subject, p.ContentType)
	}
	return string(mp.Attachment(t, m.ID, p.PartID))
}

// TestCalendarMails: an invitation carries the shift's calendar file as a
// tentative entry; accepting it, and taking an open shift, are confirmed
// by mail with the confirmed entry (same UID as the invitation's).
func TestCalendarMails(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	v := volunteer(t, app, "cal@example.com", "en", []string{"en"}, []string{"door"}, true, true)
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Kalendārs", Starts: starts})
	first := kopatest.Shift(t, app, ev, "door", starts.Add(-30*time.Minute), starts.Add(time.Hour))
	second := kopatest.Shift(t, app, ev, "door", starts.Add(2*time.Hour), starts.Add(3*time.Hour))
	if n, err := volunteers.Invite(app, first.Id, []string{v.Id}, nil, time.Now()); err != nil || n != 1 {
		t.Fatalf("invited %d (%v)", n, err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	invite := mailTo(t, mp, "cal@example.com", "Can you help?")
	ics := calendarOf(t, mp, invite)
	a, err := app.FindFirstRecordByData("assignments", "shift", first.Id)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STATUS:TENTATIVE", "UID:" + a.Id + "@kopa", "METHOD:PUBLISH", "Kalendārs (en)"} {
		if !strings.Contains(ics, want) {
			t.Errorf("the invitation's calendar lacks %q:\n%s", want, ics)
		}
	}
	if _, err := volunteers.Answer(app, a.GetString("token"), true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	accepted := mailTo(t, mp, "cal@example.com", "You are on the shift: Door and welcome — Kalendārs (en)")
	ics = calendarOf(t, mp, accepted)
	for _, want := range []string{"STATUS:CONFIRMED", "UID:" + a.Id + "@kopa", "METHOD:PUBLISH"} {
		if !strings.Contains(ics, want) {
			t.Errorf("the acceptance's calendar lacks %q:\n%s", want, ics)
		}
	}
	if !strings.Contains(accepted.Text, base+"/volunteer/me") {
		t.Errorf("the acceptance has no portal link:\n%s", accepted.Text)
	}

	// Taking an open shift through the API is confirmed the same way.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/shifts/"+second.Id+"/take", nil)
	req.Header.Set("Authorization", kopatest.Token(t, v))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("take: %d", res.StatusCode)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := 0
		for _, s := range mp.To(t, "cal@example.com") {
			if strings.HasPrefix(s.Subject, "You are on the shift:") {
				n++
			}
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acceptance mails, want 2", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
