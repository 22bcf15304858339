package volunteers_test

import (
	"html"
	"strings"
	"testing"
	"time"

	"kopa/hooks/outbox"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
)

// TestReminderLinksAreClickable: the addresses a shift reminder names (the
// door's scanner, the page to say one cannot come) are links in its HTML
// part, as they are plain addresses in its text part.
func TestReminderLinksAreClickable(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	now := time.Now()
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Starts: now.Add(5 * time.Hour)})
	door := kopatest.Shift(t, app, ev, "door", now.Add(4*time.Hour), now.Add(7*time.Hour))
	anna := volunteer(t, app, "anna@example.com", "en", []string{"lv"}, []string{"door"}, true, true)
	a := kopatest.Assignment(t, app, door, anna, "accepted")
	if n, err := volunteers.SendReminders(app, now); n != 1 || err != nil {
		t.Fatalf("%d reminders, %v", n, err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	msgs := mp.WaitFor(t, 1, 10*time.Second)
	m := mp.Message(t, msgs[0].ID)
	for _, addr := range []string{base + "/manage/events/" + ev.Id + "/scan", volunteers.InviteURL(app, a.GetString("token"), "", "en")} {
		if !strings.Contains(m.Text, addr) {
			t.Errorf("the text part lacks %s:\n%s", addr, m.Text)
		}
		if !strings.Contains(m.HTML, `<a href="`+html.EscapeString(addr)+`"`) {
			t.Errorf("%s is not a link in the HTML part:\n%s", addr, m.HTML)
		}
	}
}
