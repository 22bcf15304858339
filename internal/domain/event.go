package domain

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Stats are an event's counts (package attendance keeps them). They hold no
// personal data.
type Stats struct {
	Capacity   int `json:"capacity"`
	Confirmed  int `json:"confirmed"`
	Waitlisted int `json:"waitlisted"`
	Cancelled  int `json:"cancelled"`
	CheckedIn  int `json:"checked_in"`
	// EventCancelled: the event itself was cancelled (not part of the
	// counts the API and the live feed show).
	EventCancelled bool `json:"-"`
}

// SeatsLeft is the number of free seats, or -1 when the event has no limit.
func (s Stats) SeatsLeft() int {
	if s.Capacity <= 0 {
		return -1
	}
	if left := s.Capacity - s.Confirmed; left > 0 {
		return left
	}
	return 0
}

// EventView is an event as a page shows it, in one language.
type EventView struct {
	ID                    string
	Kind                  string
	Status                EventStatus
	Title, Summary, Venue string
	StartsAt, EndsAt      time.Time
	Capacity              int
	Waitlist              bool
	Stats                 Stats
	// SeatsLeft is -1 when the event has no seat limit.
	SeatsLeft int
}

// Full reports whether every seat is taken.
func (v EventView) Full() bool { return v.SeatsLeft == 0 }

// Cancelled reports whether the event was cancelled.
func (v EventView) Cancelled() bool { return v.Status == EventCancelled }

// Started reports whether the event has begun.
func (v EventView) Started() bool { return !time.Now().Before(v.StartsAt) }

// Open reports whether registration is open: published, not started, and a
// seat or a waiting-list place to be had.
func (v EventView) Open() bool {
	return RegistrationOpen(v.Status, v.StartsAt, time.Now()) && (!v.Full() || v.Waitlist)
}

// Localized returns rec's field in lang (field_lv, field_en…), falling back
// to Latvian where the translation is missing.
func Localized(rec *core.Record, field, lang string) string {
	if s := rec.GetString(field + "_" + lang); s != "" {
		return s
	}
	return rec.GetString(field + "_lv")
}

// NewEventView builds the view of an event record in lang with its counts.
func NewEventView(rec *core.Record, lang string, stats Stats) EventView {
	return EventView{
		ID: rec.Id, Kind: rec.GetString("kind"), Status: EventStatusOf(rec),
		Title: Localized(rec, "title", lang), Summary: Localized(rec, "summary", lang), Venue: rec.GetString("venue"),
		StartsAt: rec.GetDateTime("starts_at").Time(), EndsAt: rec.GetDateTime("ends_at").Time(),
		Capacity: rec.GetInt("capacity"), Waitlist: rec.GetBool("waitlist"),
		Stats: stats, SeatsLeft: stats.SeatsLeft(),
	}
}
