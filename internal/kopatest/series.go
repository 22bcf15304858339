package kopatest

import (
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// SeriesOpts describes a fixture series; the zero value is a club of 4
// weekly published sessions of 2 hours, the first tomorrow, with no seat
// limit.
type SeriesOpts struct {
	Title    string
	Capacity int
	Waitlist bool
	// First is the start of the first session.
	First time.Time
	Weeks int
	// Status is the sessions' status (published unless set).
	Status domain.EventStatus
}

// Series creates a series and its sessions, one a week from o.First, and
// returns both (the sessions in order). The series' plan says the same
// weekday, time and weeks as the sessions.
func Series(t testing.TB, app core.App, o SeriesOpts) (*core.Record, []*core.Record) {
	t.Helper()
	if o.Title == "" {
		o.Title = "Latviešu valodas klubs"
	}
	if o.First.IsZero() {
		o.First = time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	}
	if o.Weeks == 0 {
		o.Weeks = 4
	}
	first := o.First.In(i18n.Riga)
	s := save(t, app, domain.Series, map[string]any{
		"kind": domain.KindClub, "title_lv": o.Title, "title_en": o.Title + " (en)", "title_ru": o.Title + " (ru)",
		"venue": "Rīga, Brīvības iela 1", "capacity": o.Capacity, "waitlist": o.Waitlist,
		"weekday": domain.WeekdayOf(first), "start_time": first.Format("15:04"), "length_minutes": 120,
		"first_date": first.Format(domain.DateLayout), "weeks": o.Weeks,
	})
	sessions := make([]*core.Record, o.Weeks)
	for i := range sessions {
		ev := Event(t, app, EventOpts{Kind: domain.KindClub, Title: o.Title, Status: o.Status, Capacity: o.Capacity,
			Waitlist: o.Waitlist, Starts: first.AddDate(0, 0, 7*i), Duration: 2 * time.Hour})
		ev.Set("series", s.Id)
		if err := app.Save(ev); err != nil {
			t.Fatalf("session %d of series: %v", i, err)
		}
		sessions[i] = ev
	}
	return s, sessions
}

// Standing creates an active standing place in series s, with no seats.
func Standing(t testing.TB, app core.App, s *core.Record, name, email string) *core.Record {
	t.Helper()
	return save(t, app, domain.Standing, map[string]any{
		"series": s.Id, "name": name, "email": email, "locale": "lv", "status": domain.StandingActive,
	})
}

// Seat creates the seat of standing place st in session ev: a registration
// with st's name, address and locale, linked to st.
func Seat(t testing.TB, app core.App, ev, st *core.Record, status domain.RegistrationStatus) *core.Record {
	t.Helper()
	return save(t, app, domain.Registrations, map[string]any{
		"event": ev.Id, "name": st.GetString("name"), "email": st.GetString("email"), "status": status,
		"locale": st.GetString("locale"), "standing": st.Id,
	})
}
