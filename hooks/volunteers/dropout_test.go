package volunteers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// TestDropOutTellsTheOrganisers: an accepted volunteer who declines after
// all leaves the shift short, and every organiser gets one mail naming the
// shift and how many are missing. One invitee of several declining is
// news to nobody; the last one is, while the shift is short. A shift
// filled again before the mail goes out needs no mail.
func TestDropOutTellsTheOrganisers(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.Meta.AppURL = "https://kopa.example.org" })
	kopatest.Organiser(t, app, "rita@example.com")
	kopatest.Organiser(t, app, "maris@example.com")
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Kultūršoks", Starts: time.Now().Add(72 * time.Hour)})
	starts := ev.GetDateTime("starts_at").Time()
	door := kopatest.Shift(t, app, ev, "door", starts.Add(-30*time.Minute), starts.Add(2*time.Hour)) // needs 2
	vol := func(email string) *core.Record {
		return kopatest.Volunteer(t, app, email, []string{"lv"}, []string{"door", "interpreting"})
	}
	anna := kopatest.Assignment(t, app, door, vol("anna@example.com"), "accepted")
	kopatest.Assignment(t, app, door, vol("ben@example.com"), "accepted")
	shortMails := func() []*core.Record { return outboxRows(t, app, "volunteer_shift_short") }

	// Anna can no longer come: one place of two is missing.
	if _, err := volunteers.Answer(app, anna.GetString("token"), false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(shortMails()); n != 2 {
		t.Fatalf("%d mails to organisers, want one each", n)
	}
	// Declining twice (a link used again) mails nobody again.
	if _, err := volunteers.Answer(app, anna.GetString("token"), false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(shortMails()); n != 2 {
		t.Errorf("%d mails after declining twice", n)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 2, 10*time.Second)
	for _, addr := range []string{"rita@example.com", "maris@example.com"} {
		list := mp.To(t, addr)
		if len(list) != 1 {
			t.Fatalf("%d mails to %s", len(list), addr)
		}
		m := mp.Message(t, list[0].ID)
		if !strings.HasPrefix(m.Subject, "Vajag brīvprātīgos: Sagaidīšana pie ieejas, ") || !strings.Contains(m.Subject, "Kultūršoks") {
			t.Errorf("subject %q", m.Subject)
		}
		if !strings.Contains(m.Text, "Nav aizpildīta 1 no 2 vietām.") || !strings.Contains(m.Text, "/manage/events/"+ev.Id+"/shifts") {
			t.Errorf("the mail does not say what is missing:\n%s", m.Text)
		}
	}

	// An interpreting shift with three invitations: the first two "no"s
	// are answers like any other, the last leaves the organisers to act.
	mp.DeleteAll(t)
	interp := kopatest.Shift(t, app, ev, "interpreting", starts, starts.Add(time.Hour))
	var invited []*core.Record
	for _, e := range []string{"c@example.com", "d@example.com", "e@example.com"} {
		invited = append(invited, kopatest.Assignment(t, app, interp, vol(e), "invited"))
	}
	before := len(outboxRows(t, app, "volunteer_shift_short"))
	for i, a := range invited {
		if _, err := volunteers.Answer(app, a.GetString("token"), false, time.Now()); err != nil {
			t.Fatal(err)
		}
		want := before
		if i == len(invited)-1 {
			want = before + 2
		}
		if n := len(shortMails()); n != want {
			t.Errorf("after %d declined: %d mails, want %d", i+1, n, want)
		}
	}
	// Someone takes the place before the mail goes out: it is not sent.
	late := kopatest.Assignment(t, app, interp, vol("f@example.com"), "invited")
	if _, err := volunteers.Answer(app, late.GetString("token"), true, time.Now()); err != nil {
		t.Fatal(err)
	}
	interp.Set("needed", 1)
	if err := app.Save(interp); err != nil {
		t.Fatal(err)
	}
	// Only the new volunteer's confirmation goes out, nothing to the organisers.
	if sent, err := outbox.Flush(app); sent != 1 || err != nil {
		t.Errorf("sent %d (%v) for a shift filled again, want only the confirmation", sent, err)
	}
	mp.WaitFor(t, 1, 10*time.Second)
	if n := len(mp.To(t, "f@example.com")); n != 1 {
		t.Errorf("%d confirmations to the new volunteer", n)
	}
	for _, addr := range []string{"rita@example.com", "maris@example.com"} {
		if n := len(mp.To(t, addr)); n != 0 {
			t.Errorf("%d mails to %s for a shift filled again", n, addr)
		}
	}
}

// TestDeletedAccountIsADropOut: a volunteer who deletes their account
// while they hold a place leaves the shift short, and the organisers hear.
func TestDeletedAccountIsADropOut(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "rita@example.com")
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(48 * time.Hour)})
	starts := ev.GetDateTime("starts_at").Time()
	door := kopatest.Shift(t, app, ev, "door", starts, starts.Add(time.Hour))
	v := kopatest.Volunteer(t, app, "gone@example.com", []string{"lv"}, []string{"door"})
	kopatest.Assignment(t, app, door, v, "accepted")
	if err := app.Delete(v); err != nil {
		t.Fatal(err)
	}
	rows := outboxRows(t, app, "volunteer_shift_short")
	if len(rows) != 1 || rows[0].GetString("to") != "rita@example.com" {
		t.Fatalf("mails to organisers: %d", len(rows))
	}
	if m := written(t, app, rows[0]); !strings.Contains(m.Text, "Nav aizpildītas 2 no 2 vietām.") {
		t.Errorf("mail:\n%s", m.Text)
	}
	// Deleting the shift itself tells nobody.
	other := kopatest.Volunteer(t, app, "other@example.com", []string{"lv"}, []string{"door"})
	kopatest.Assignment(t, app, door, other, "accepted")
	if err := app.Delete(door); err != nil {
		t.Fatal(err)
	}
	if n := len(outboxRows(t, app, "volunteer_shift_short")); n != 1 {
		t.Errorf("%d mails after the shift was deleted", n)
	}
}
