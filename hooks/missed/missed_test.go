package missed_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/missed"
	"kopa/hooks/outbox"
	"kopa/hooks/settings"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// club is a weekly series of six sessions of 2 hours with 4 seats and a
// waiting list, the first starting at first, and its standing places.
type club struct {
	app      core.App
	sessions []*core.Record
	places   map[string]*core.Record
	seats    map[string][]*core.Record // by place name, one per session
}

func newClub(t *testing.T, app core.App, first time.Time, names ...string) *club {
	t.Helper()
	s, ss := kopatest.Series(t, app, kopatest.SeriesOpts{First: first, Weeks: 6, Capacity: 4, Waitlist: true})
	c := &club{app: app, sessions: ss, places: map[string]*core.Record{}, seats: map[string][]*core.Record{}}
	for _, n := range names {
		st := kopatest.Standing(t, app, s, n, strings.ToLower(n)+"@example.com")
		c.places[n] = st
		for _, ev := range ss {
			c.seats[n] = append(c.seats[n], kopatest.Seat(t, app, ev, st, domain.RegistrationConfirmed))
		}
	}
	return c
}

// after is a minute after session i ended.
func (c *club) after(i int) time.Time {
	return c.sessions[i].GetDateTime("ends_at").Time().Add(time.Minute)
}

// came checks name in at session i.
func (c *club) came(t *testing.T, name string, i int) {
	t.Helper()
	seat := c.seats[name][i]
	res, err := checkin.CheckInRegistration(c.app, seat.GetString("event"), seat.Id, domain.CheckinManual, c.sessions[i].GetDateTime("starts_at").Time())
	if err != nil || res.Result != checkin.OK {
		t.Fatalf("check in %s at %d: %v %+v", name, i, err, res)
	}
}

// skip gives up name's seat in session i, as the ticket page's skip does.
func (c *club) skip(t *testing.T, name string, i int) {
	t.Helper()
	seat := c.seats[name][i]
	seat.Set("status", domain.RegistrationCancelled)
	seat.Set("cancelled_at", domain.DateTime(time.Now()))
	seat.Set("skipped_at", domain.DateTime(time.Now()))
	if err := c.app.Save(seat); err != nil {
		t.Fatal(err)
	}
}

// place is name's standing place as stored now.
func (c *club) place(t *testing.T, name string) *core.Record {
	t.Helper()
	st, err := c.app.FindRecordById(domain.Standing, c.places[name].Id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// check runs the job at now and wants it to pause want places.
func (c *club) check(t *testing.T, now time.Time, want int) {
	t.Helper()
	n, err := missed.Check(c.app, now)
	if err != nil || n != want {
		t.Fatalf("at %v: paused %d (%v), want %d", now, n, err, want)
	}
}

// states wants each place's status and count of sessions missed in a row.
func (c *club) states(t *testing.T, when string, want map[string]string) {
	t.Helper()
	for name, w := range want {
		st := c.place(t, name)
		if got := st.GetString("status") + " " + st.GetString("missed"); got != w {
			t.Errorf("%s: %s is %q, want %q", when, name, got, w)
		}
	}
}

func pausedMails(t *testing.T, app core.App, st *core.Record) int {
	t.Helper()
	n, err := app.CountRecords(outbox.Collection, dbx.HashExp{"ref": st.Id, "template": missed.MailPaused})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestMissedSessionsPause moves the job's clock across the sessions of a
// club with the default limit of 2:
//
//   - Amina misses the first two: her place pauses after the second, her
//     seats in the sessions ahead go to the people waiting, and she is
//     mailed once;
//   - Olek misses the first, comes to the second (the run starts again),
//     and pauses only after missing the third and fourth;
//   - Leyla misses the first, skips the second (the run starts again),
//     misses the third (one in a row: no pause), and the fourth;
//   - Ivan comes every week and is never paused.
//
// Every step run twice changes nothing more.
func TestMissedSessionsPause(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	c := newClub(t, app, time.Now().Add(time.Hour).Truncate(time.Minute), "Amina", "Olek", "Leyla", "Ivan")
	// Waiting in every session from the third: Marta, on her own.
	var marta []*core.Record
	for _, ev := range c.sessions[2:] {
		marta = append(marta, kopatest.Registration(t, app, ev, "Marta", "marta@example.com", domain.RegistrationWaitlisted))
	}
	for i := range c.sessions {
		c.came(t, "Ivan", i)
	}
	c.came(t, "Olek", 1)
	c.skip(t, "Leyla", 1)

	c.check(t, c.sessions[0].GetDateTime("starts_at").Time(), 0) // nothing has ended yet
	c.states(t, "before", map[string]string{"Amina": "active 0", "Ivan": "active 0"})

	for range 2 {
		c.check(t, c.after(0), 0)
		c.states(t, "after the first", map[string]string{"Amina": "active 1", "Olek": "active 1", "Leyla": "active 1", "Ivan": "active 0"})
	}

	c.check(t, c.after(1), 1)
	c.check(t, c.after(1), 0)
	c.states(t, "after the second", map[string]string{"Amina": "paused 2", "Olek": "active 0", "Leyla": "active 0", "Ivan": "active 0"})
	amina := c.place(t, "Amina")
	if amina.GetDateTime("paused_at").Time().Unix() != c.after(1).Unix() {
		t.Errorf("paused at %v", amina.GetDateTime("paused_at"))
	}
	// Her seats ahead are freed (not skipped), and Marta has them.
	for i, seat := range c.seats["Amina"] {
		got, _ := app.FindRecordById(domain.Registrations, seat.Id)
		want := domain.RegistrationConfirmed
		if i >= 2 {
			want = domain.RegistrationCancelled
		}
		if domain.RegistrationStatusOf(got) != want || domain.Skipped(got) {
			t.Errorf("Amina's seat in session %d: %s, skipped %v", i, got.GetString("status"), domain.Skipped(got))
		}
	}
	for i, r := range marta {
		if got, _ := app.FindRecordById(domain.Registrations, r.Id); domain.RegistrationStatusOf(got) != domain.RegistrationConfirmed {
			t.Errorf("Marta in session %d: %s", i+2, got.GetString("status"))
		}
	}
	if n := pausedMails(t, app, amina); n != 1 {
		t.Errorf("Amina was mailed %d times", n)
	}

	c.check(t, c.after(2), 0)
	c.states(t, "after the third", map[string]string{"Amina": "paused 2", "Olek": "active 1", "Leyla": "active 1", "Ivan": "active 0"})

	c.check(t, c.after(3), 2)
	c.check(t, c.after(3), 0)
	c.states(t, "after the fourth", map[string]string{"Amina": "paused 2", "Olek": "paused 2", "Leyla": "paused 2", "Ivan": "active 0"})
	if n := pausedMails(t, app, amina); n != 1 {
		t.Errorf("Amina was mailed %d times", n)
	}
	// A place paused later is evaluated from its pause: nothing before
	// counts again.
	c.check(t, c.after(5), 0)
}

// TestMissedLimitSetting: with series_missed_limit 0 nobody is paused; with
// 3 a place pauses after the third session missed in a row.
func TestMissedLimitSetting(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	c := newClub(t, app, time.Now().Add(time.Hour).Truncate(time.Minute), "Amina")
	s := settings.Load(app)
	s.SeriesMissedLimit = 0
	if err := settings.Save(app, s); err != nil {
		t.Fatal(err)
	}
	c.check(t, c.after(3), 0)
	c.states(t, "never", map[string]string{"Amina": "active 0"})
	s.SeriesMissedLimit = 3
	if err := settings.Save(app, s); err != nil {
		t.Fatal(err)
	}
	c.check(t, c.after(1), 0)
	c.states(t, "two missed", map[string]string{"Amina": "active 2"})
	c.check(t, c.after(2), 1)
	c.states(t, "three missed", map[string]string{"Amina": "paused 3"})
}

// TestPausedMail: the mail says how many sessions were missed and links the
// resume page, in the person's language; once the place is active again it
// is not sent.
func TestPausedMail(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.Meta.AppURL = "https://kopa.example.org" })
	c := newClub(t, app, time.Now().Add(time.Hour).Truncate(time.Minute), "Amina")
	st := c.places["Amina"]
	st.Set("locale", "ar")
	if err := app.Save(st); err != nil {
		t.Fatal(err)
	}
	c.check(t, c.after(1), 1)
	m, err := missed.RenderPaused(app, st.Id)
	if err != nil {
		t.Fatal(err)
	}
	resume := "https://kopa.example.org/t/" + st.GetString("ticket") + "/resume"
	if m.To != "amina@example.com" || !strings.Contains(m.Text, resume) || !strings.Contains(m.HTML, `href="`+resume+`"`) ||
		!strings.Contains(m.Text, "الجلستين الأخيرتين") || !strings.Contains(m.Subject, "Latviešu valodas klubs") {
		t.Errorf("mail to %s %q:\n%s", m.To, m.Subject, m.Text)
	}
	if _, err := app.DB().Update(domain.Standing, dbx.Params{"status": domain.StandingActive}, dbx.HashExp{"id": st.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := missed.RenderPaused(app, st.Id); err != outbox.ErrObsolete {
		t.Errorf("the mail of a place resumed meanwhile: %v", err)
	}
}

// TestMissedJob: the rule runs as a PocketBase cron job every ten minutes.
func TestMissedJob(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	for _, j := range app.Cron().Jobs() {
		if j.Id() == missed.Job {
			if j.Expression() != "*/10 * * * *" {
				t.Errorf("runs at %q", j.Expression())
			}
			j.Run() // nothing to do, and no harm done
			return
		}
	}
	t.Fatal("no missed-sessions job")
}
