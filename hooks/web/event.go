package web

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
)

// EventView is an event as a page shows it, in one language.
type EventView struct {
	ID, Kind, Status      string
	Title, Summary, Venue string
	StartsAt, EndsAt      time.Time
	Capacity              int
	Waitlist              bool
	Stats                 attendance.Stats
	// SeatsLeft is -1 when the event has no seat limit.
	SeatsLeft int
}

// Full reports whether every seat is taken.
func (v EventView) Full() bool { return v.SeatsLeft == 0 }

// Cancelled reports whether the event was cancelled.
func (v EventView) Cancelled() bool { return v.Status == "cancelled" }

// Started reports whether the event has begun.
func (v EventView) Started() bool { return !time.Now().Before(v.StartsAt) }

// Open reports whether registration is open: published, not started, and a
// seat or a waiting-list place to be had.
func (v EventView) Open() bool {
	return v.Status == "published" && !v.Started() && (!v.Full() || v.Waitlist)
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
func NewEventView(rec *core.Record, lang string, stats attendance.Stats) EventView {
	return EventView{
		ID: rec.Id, Kind: rec.GetString("kind"), Status: rec.GetString("status"),
		Title: Localized(rec, "title", lang), Summary: Localized(rec, "summary", lang), Venue: rec.GetString("venue"),
		StartsAt: rec.GetDateTime("starts_at").Time(), EndsAt: rec.GetDateTime("ends_at").Time(),
		Capacity: rec.GetInt("capacity"), Waitlist: rec.GetBool("waitlist"),
		Stats: stats, SeatsLeft: stats.SeatsLeft(),
	}
}
