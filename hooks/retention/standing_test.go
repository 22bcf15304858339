package retention_test

import (
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/retention"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestStandingPlacesErased: a standing place's name and address are erased
// retention_days (30) after it ended or its last session ended, whichever
// is later; a place that has not ended lasts as long as its series. Its
// seats follow their sessions: each is erased 30 days after its session.
func TestStandingPlacesErased(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	now := time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)
	// A finished series: six weekly sessions, the last ended 31 days ago.
	done, ds := kopatest.Series(t, app, kopatest.SeriesOpts{Title: "Rudens klubs", First: now.Add(-(31*day + 2*time.Hour) - 5*7*day), Weeks: 6})
	// A running series: its sessions began 10 weeks ago and go on 2 more.
	running, rs := kopatest.Series(t, app, kopatest.SeriesOpts{Title: "Ziemas klubs", First: now.Add(-10 * 7 * day), Weeks: 12})

	// Active in the finished series: erased, and ended.
	finished := kopatest.Standing(t, app, done, "Amina", "amina@example.com")
	for _, ev := range ds {
		kopatest.Seat(t, app, ev, finished, domain.RegistrationConfirmed)
	}
	// Ended 40 days ago after one session 45 days ago: erased.
	long := ended(t, app, kopatest.Standing(t, app, running, "Olek", "olek@example.com"), now.Add(-40*day))
	seatAt(t, app, rs, long, now.Add(-45*day), domain.RegistrationConfirmed)
	// Ended 20 days ago, its last session 45 days ago: the end is later,
	// so it stays.
	recent := ended(t, app, kopatest.Standing(t, app, running, "Leyla", "leyla@example.com"), now.Add(-20*day))
	seatAt(t, app, rs, recent, now.Add(-45*day), domain.RegistrationConfirmed)
	// Ended 40 days ago, but it held a seat 24 days ago: that is later.
	late := ended(t, app, kopatest.Standing(t, app, running, "Ivan", "ivan@example.com"), now.Add(-40*day))
	seatAt(t, app, rs, late, now.Add(-24*day), domain.RegistrationConfirmed)
	// A seat it gave up (cancelled) does not count: erased.
	gaveUp := ended(t, app, kopatest.Standing(t, app, running, "Marta", "marta@example.com"), now.Add(-40*day))
	seatAt(t, app, rs, gaveUp, now.Add(-24*day), domain.RegistrationCancelled)
	// Active or paused in the running series: they stay, however old
	// their seats, while the series goes on.
	active := kopatest.Standing(t, app, running, "Anna", "anna@example.com")
	seatAt(t, app, rs, active, now.Add(-60*day), domain.RegistrationConfirmed)
	paused := kopatest.Standing(t, app, running, "Pauls", "pauls@example.com")
	paused.Set("status", domain.StandingPaused)
	if err := app.Save(paused); err != nil {
		t.Fatal(err)
	}

	if _, err := retention.Run(app, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		place  *core.Record
		erased bool
	}{{finished, true}, {long, true}, {recent, false}, {late, false}, {gaveUp, true}, {active, false}, {paused, false}} {
		got, err := app.FindRecordById(domain.Standing, c.place.Id)
		if err != nil {
			t.Fatal(err)
		}
		erased := got.GetString("name") == "" && got.GetString("email") == "" && !got.GetDateTime("erased_at").IsZero()
		if erased != c.erased {
			t.Errorf("%s: erased %v, want %v (%v)", c.place.GetString("name"), erased, c.erased, got.PublicExport())
		}
		if erased && (domain.StandingStatusOf(got) != domain.StandingEnded || got.GetDateTime("ended_at").IsZero()) {
			t.Errorf("%s: erased but %s, ended %v", c.place.GetString("name"), got.GetString("status"), got.GetString("ended_at"))
		}
		if !erased && got.GetString("status") != c.place.GetString("status") {
			t.Errorf("%s: status %s → %s", c.place.GetString("name"), c.place.GetString("status"), got.GetString("status"))
		}
		if erased && c.place == long && got.GetString("ended_at") != c.place.GetString("ended_at") {
			t.Errorf("the end of an ended place moved: %s → %s", c.place.GetString("ended_at"), got.GetString("ended_at"))
		}
	}
	// The seats follow their sessions: the active place's seat of 60 days
	// ago is erased, though the place is not.
	var seats []struct {
		Name  string `db:"name"`
		Email string `db:"email"`
		Ends  string `db:"ends_at"`
	}
	err := app.DB().NewQuery(`SELECT r.name, r.email, e.ends_at FROM registrations r JOIN events e ON e.id = r.event WHERE r.standing != ''`).All(&seats)
	if err != nil {
		t.Fatal(err)
	}
	cutoff := domain.DateTime(now.AddDate(0, 0, -30)).String()
	for _, s := range seats {
		if (s.Ends < cutoff) != (s.Name == "" && s.Email == "") {
			t.Errorf("a seat of a session that ended %s: name %q, address %q", s.Ends, s.Name, s.Email)
		}
	}
	// Running again erases nothing more.
	before, _ := app.FindRecordById(domain.Standing, finished.Id)
	if _, err := retention.Run(app, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if again, _ := app.FindRecordById(domain.Standing, finished.Id); again.GetString("erased_at") != before.GetString("erased_at") {
		t.Error("a place was erased twice")
	}
}

// ended ends standing place st at the time at.
func ended(t testing.TB, app core.App, st *core.Record, at time.Time) *core.Record {
	t.Helper()
	st.Set("status", domain.StandingEnded)
	st.Set("ended_at", domain.DateTime(at))
	if err := app.Save(st); err != nil {
		t.Fatal(err)
	}
	return st
}

// seatAt gives standing place st a seat in the session of sessions that
// ends at end (each lasts 2 hours).
func seatAt(t testing.TB, app core.App, sessions []*core.Record, st *core.Record, end time.Time, status domain.RegistrationStatus) {
	t.Helper()
	for _, ev := range sessions {
		e := ev.GetDateTime("ends_at").Time()
		if !e.After(end) && e.After(end.Add(-7*day)) {
			kopatest.Seat(t, app, ev, st, status)
			return
		}
	}
	t.Fatalf("no session ends near %v", end)
}
