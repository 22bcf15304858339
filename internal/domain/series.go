package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/i18n"
)

// Collections of weekly series.
const (
	// Series are weekly series of sessions (the conversation clubs): what
	// the sessions share and how the console makes them.
	Series = "series"
	// Standing are standing places: one person's place in every session
	// of a series, with one ticket. Each session's seat is a registration
	// linked to it (registrations.standing).
	Standing = "standing"
)

// StandingStatus is whether a standing place still takes seats.
type StandingStatus string

// Standing statuses.
const (
	// StandingActive takes a seat (or a waiting place) in every upcoming
	// published session, and in sessions published later.
	StandingActive StandingStatus = "active"
	// StandingPaused missed too many sessions in a row: its seats in the
	// sessions not yet begun were freed for the people waiting, and it
	// takes no new ones until the person resumes it.
	StandingPaused StandingStatus = "paused"
	// StandingEnded: the person stopped coming (or an organiser ended
	// it); every future seat was freed.
	StandingEnded StandingStatus = "ended"
)

// StandingStatuses are the values of standing.status.
var StandingStatuses = []StandingStatus{StandingActive, StandingPaused, StandingEnded}

// StandingStatusOf is the status of a standing place record.
func StandingStatusOf(r *core.Record) StandingStatus { return StandingStatus(r.GetString("status")) }

// Bounds of a series, as its columns have them.
const (
	// SeriesMaxWeeks is the longest series, in weeks (two years).
	SeriesMaxWeeks = 104
	// SeriesMaxLength is the longest session, in minutes.
	SeriesMaxLength = 12 * 60
	// MaxMissedLimit is the largest series_missed_limit.
	MaxMissedLimit = 52
)

// DateLayout is how a series keeps a date (Riga's calendar day).
const DateLayout = "2006-01-02"

// SeriesPlan is how a series' sessions fall: on a weekday, at a Riga time,
// for a length, every week from the first date for a number of weeks,
// except the skipped dates.
type SeriesPlan struct {
	// Weekday is 1 (Monday) to 7 (Sunday), as series.weekday.
	Weekday int
	// Hour and Minute are the start, Riga time.
	Hour, Minute int
	// Length is how long a session lasts.
	Length time.Duration
	// First is the first date (its calendar day in Riga).
	First time.Time
	// Weeks is how many weeks the series spans from First.
	Weeks int
	// Skip are the dates without a session (YYYY-MM-DD).
	Skip []string
}

// PlanOf reads the plan of a series record. A record that breaks the
// series' rules gives an error.
func PlanOf(s *core.Record) (SeriesPlan, error) {
	p := SeriesPlan{Weekday: s.GetInt("weekday"), Weeks: s.GetInt("weeks"),
		Length: time.Duration(s.GetInt("length_minutes")) * time.Minute}
	var err error
	if p.Hour, p.Minute, err = ParseClock(s.GetString("start_time")); err != nil {
		return p, err
	}
	if p.First, err = ParseDate(s.GetString("first_date")); err != nil {
		return p, err
	}
	if p.Skip, err = SkipDates(s); err != nil {
		return p, err
	}
	return p, p.Check()
}

// Check reports what is wrong with p, or nil.
func (p SeriesPlan) Check() error {
	switch {
	case p.Weekday < 1 || p.Weekday > 7:
		return fmt.Errorf("weekday %d is not 1 to 7", p.Weekday)
	case p.Weeks < 1 || p.Weeks > SeriesMaxWeeks:
		return fmt.Errorf("weeks %d is not 1 to %d", p.Weeks, SeriesMaxWeeks)
	case p.Length <= 0 || p.Length > SeriesMaxLength*time.Minute:
		return fmt.Errorf("length %v is not up to %d minutes", p.Length, SeriesMaxLength)
	}
	return nil
}

// Dates are the calendar days of p's sessions (midnight in Riga), in
// order: the first date's week's weekday and every week after it, for
// Weeks weeks, without the skipped dates. A weekday before the first date's
// starts in the next week.
func (p SeriesPlan) Dates() []time.Time {
	first := time.Date(p.First.Year(), p.First.Month(), p.First.Day(), 0, 0, 0, 0, i18n.Riga)
	shift := (p.Weekday%7 - int(first.Weekday()) + 7) % 7
	first = first.AddDate(0, 0, shift)
	var out []time.Time
	for w := range p.Weeks {
		d := first.AddDate(0, 0, 7*w)
		if slices.Contains(p.Skip, d.Format(DateLayout)) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// Session is the start and end of the session on date d (a calendar day),
// at the plan's Riga wall-clock time: the same local time on each side of a
// summer-time change.
func (p SeriesPlan) Session(d time.Time) (start, end time.Time) {
	start = time.Date(d.Year(), d.Month(), d.Day(), p.Hour, p.Minute, 0, 0, i18n.Riga)
	return start.UTC(), start.Add(p.Length).UTC()
}

// ParseClock reads a time of day "HH:MM".
func ParseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil || len(strings.TrimSpace(s)) != 5 {
		return 0, 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	return t.Hour(), t.Minute(), nil
}

// ParseDate reads a calendar day "YYYY-MM-DD" (as midnight in Riga).
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, strings.TrimSpace(s), i18n.Riga)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return t, nil
}

// SkipDates are a series' dates without a session, each checked.
func SkipDates(s *core.Record) ([]string, error) {
	var out []string
	raw := s.GetString("skip_dates")
	if raw == "" || raw == "null" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("skip_dates is not a list of dates: %w", err)
	}
	for _, d := range out {
		if _, err := ParseDate(d); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WeekdayOf is t's weekday in Riga as series.weekday counts: 1 Monday … 7
// Sunday.
func WeekdayOf(t time.Time) int {
	wd := int(t.In(i18n.Riga).Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// SeriesFields are the fields a session takes from its series (its texts,
// kind, venue, seats, and what it allows families).
var SeriesFields = func() []string {
	f := []string{"kind", "venue", "capacity", "waitlist", "max_party", "email_optional", "childcare"}
	for _, l := range TextLangs {
		f = append(f, "title_"+l, "summary_"+l)
	}
	return f
}()

// SeriesOf is the id of the series session ev belongs to, or "".
func SeriesOf(ev *core.Record) string { return ev.GetString("series") }

// StandingOf is the id of the standing place registration reg is a seat
// of, or "" for a registration of its own.
func StandingOf(reg *core.Record) string { return reg.GetString("standing") }

// Skipped reports whether reg's seat was given up for that week through
// its standing place.
func Skipped(reg *core.Record) bool { return !reg.GetDateTime("skipped_at").IsZero() }
