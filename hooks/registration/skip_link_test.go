package registration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// TestReminderOfASeatSkipsTheWeek: the reminder of a standing place's seat
// links "skip this week" to the page that asks before giving up that one
// session (never the seat's own cancel link), and its ticket link and QR
// code are the standing place's, in every public language; a registration
// of its own keeps its "cannot come" link. Sent through mailpit once.
func TestReminderOfASeatSkipsTheWeek(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.Meta.AppURL = "https://kopa.example.org" })
	s, ss := kopatest.Series(t, app, kopatest.SeriesOpts{First: time.Now().Add(5 * time.Hour), Weeks: 2})
	ev := ss[0]
	st := kopatest.Standing(t, app, s, "Amina", "amina@example.com")
	ticket := "https://kopa.example.org/t/" + st.GetString("ticket")
	for _, lang := range i18n.Supported {
		st.Set("locale", lang)
		seat := kopatest.Seat(t, app, ev, st, domain.RegistrationConfirmed)
		seat.Set("email", lang+"-"+seat.GetString("email")) // one seat per address and session
		if err := app.Save(seat); err != nil {
			t.Fatal(err)
		}
		m, err := registration.TicketMail(app, ev, seat, registration.MailReminder)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{ticket + "/skip/" + ev.Id, ticket + "\n"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s: no %q in %q", lang, want, m.Text)
			}
		}
		if !strings.Contains(m.HTML, `href="`+ticket+`/skip/`+ev.Id+`"`) {
			t.Errorf("%s: no skip button in the HTML", lang)
		}
		if strings.Contains(m.Text, seat.GetString("ticket")) || strings.Contains(m.Text, "/cancel") {
			t.Errorf("%s: the seat's own ticket or a cancel link: %q", lang, m.Text)
		}
	}
	single := kopatest.Registration(t, app, ev, "Ivan", "ivan@example.com", domain.RegistrationConfirmed)
	m, err := registration.TicketMail(app, ev, single, registration.MailReminder)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "/t/"+single.GetString("ticket")+"/cancel") || strings.Contains(m.Text, "/skip/") {
		t.Errorf("a registration of its own: %q", m.Text)
	}
}

// TestSeatReminderMailed: the reminders' job reminds a seat like any
// registration, and the mail that reaches the person has the skip link.
func TestSeatReminderMailed(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	s, ss := kopatest.Series(t, app, kopatest.SeriesOpts{First: time.Now().Add(5 * time.Hour), Weeks: 2})
	st := kopatest.Standing(t, app, s, "Leyla", "leyla.seat@example.com")
	st.Set("locale", "uk")
	if err := app.Save(st); err != nil {
		t.Fatal(err)
	}
	seat := kopatest.Seat(t, app, ss[0], st, domain.RegistrationConfirmed)
	// Made two hours before: long enough before the start to be reminded.
	if _, err := app.DB().NewQuery("UPDATE registrations SET created = {:c} WHERE id = {:id}").
		Bind(map[string]any{"c": domain.DateTime(time.Now().Add(-2 * time.Hour)).String(), "id": seat.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if n, err := registration.SendReminders(app, time.Now()); err != nil || n != 1 {
		t.Fatalf("reminded %d (%v)", n, err)
	}
	sum := mp.WaitFor(t, 1, 30*time.Second)[0]
	body := mp.Message(t, sum.ID).Text
	if !strings.Contains(body, srv.URL+"/t/"+st.GetString("ticket")+"/skip/"+ss[0].Id) || !strings.Contains(body, "Пропустити цей тиждень") {
		t.Errorf("reminder: %q", body)
	}
}
