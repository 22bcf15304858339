// Package attendance computes an event's seat and check-in counts. Check-in,
// the live hub, the public pages and the reports all read the same numbers
// from here.
package attendance

import (
	"fmt"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Stats are an event's counts. They hold no personal data.
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

// cache keeps each event's counts between changes. Counting is linear in
// the event's registrations, and the door, the hub and the pages ask for
// the same numbers after every change; the record hooks below drop an
// event's entry when one of its registrations, check-ins or the event itself
// changes (after the commit).
type cache struct {
	mu      sync.Mutex
	stats   map[string]Stats
	version map[string]uint64
}

const cacheKey = "kopa.attendance.cache"

func cacheOf(app core.App) *cache {
	return app.Store().GetOrSet(cacheKey, func() any {
		return &cache{stats: map[string]Stats{}, version: map[string]uint64{}}
	}).(*cache)
}

// Invalidate forgets the cached counts of an event.
func Invalidate(app core.App, eventID string) {
	c := cacheOf(app)
	c.mu.Lock()
	delete(c.stats, eventID)
	c.version[eventID]++
	c.mu.Unlock()
}

// adjust applies a change to an event's cached counts; an event without
// cached counts is left to be counted when next asked.
func adjust(app core.App, eventID string, change func(*Stats)) {
	c := cacheOf(app)
	c.mu.Lock()
	if st, ok := c.stats[eventID]; ok {
		change(&st)
		c.stats[eventID] = st
	}
	c.version[eventID]++
	c.mu.Unlock()
}

// Register keeps the cache true to the database. The hooks run after the
// commit: a new registration or check-in adds one to its count (the hot
// path at the door and at registration); any other change to an event,
// its registrations or check-ins drops the event's counts, to be counted
// again.
func Register(app core.App) {
	bind := func(h *hook.TaggedHook[*core.RecordEvent], f func(e *core.RecordEvent)) {
		h.Bind(&hook.Handler[*core.RecordEvent]{Priority: -1000, Func: func(e *core.RecordEvent) error {
			f(e)
			return e.Next()
		}})
	}
	bind(app.OnRecordAfterCreateSuccess("registrations"), func(e *core.RecordEvent) {
		status := e.Record.GetString("status")
		adjust(e.App, e.Record.GetString("event"), func(s *Stats) {
			switch status {
			case "confirmed":
				s.Confirmed++
			case "waitlisted":
				s.Waitlisted++
			case "cancelled":
				s.Cancelled++
			}
		})
	})
	bind(app.OnRecordAfterCreateSuccess("checkins"), func(e *core.RecordEvent) {
		adjust(e.App, e.Record.GetString("event"), func(s *Stats) { s.CheckedIn++ })
	})
	drop := func(e *core.RecordEvent) {
		if e.Record.Collection().Name == "events" {
			Invalidate(e.App, e.Record.Id)
			return
		}
		Invalidate(e.App, e.Record.GetString("event"))
		if orig := e.Record.Original(); orig != nil && orig.GetString("event") != e.Record.GetString("event") {
			Invalidate(e.App, orig.GetString("event"))
		}
	}
	bind(app.OnRecordAfterUpdateSuccess("registrations", "checkins", "events"), drop)
	bind(app.OnRecordAfterDeleteSuccess("registrations", "checkins", "events"), drop)
	bind(app.OnRecordAfterCreateSuccess("events"), drop)
}

// ForEvent returns the counts of one event. Inside a transaction (pass its
// app) they are counted afresh, since they may include what is not yet
// committed; outside, they come from the cache when they can.
func ForEvent(app core.App, eventID string) (Stats, error) {
	if app.IsTransactional() {
		return count(app, eventID)
	}
	c := cacheOf(app)
	c.mu.Lock()
	st, ok := c.stats[eventID]
	v := c.version[eventID]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := count(app, eventID)
	if err != nil {
		return st, err
	}
	c.mu.Lock()
	if c.version[eventID] == v { // nothing changed while counting
		c.stats[eventID] = st
	}
	c.mu.Unlock()
	return st, nil
}

func count(app core.App, eventID string) (Stats, error) {
	var row struct {
		Capacity   int `db:"capacity"`
		Confirmed  int `db:"confirmed"`
		Waitlisted int `db:"waitlisted"`
		Cancelled  int `db:"cancelled"`
		CheckedIn  int `db:"checked_in"`
		// EventCancelled comes with the counts, for the door's hot path.
		EventCancelled bool `db:"event_cancelled"`
	}
	err := app.DB().NewQuery(`
		SELECT
			e.capacity AS capacity,
			(SELECT count(*) FROM registrations r WHERE r.event = e.id AND r.status = 'confirmed')  AS confirmed,
			(SELECT count(*) FROM registrations r WHERE r.event = e.id AND r.status = 'waitlisted') AS waitlisted,
			(SELECT count(*) FROM registrations r WHERE r.event = e.id AND r.status = 'cancelled')  AS cancelled,
			(SELECT count(*) FROM checkins c WHERE c.event = e.id) AS checked_in,
			e.status = 'cancelled' AS event_cancelled
		FROM events e WHERE e.id = {:id}`).Bind(dbx.Params{"id": eventID}).One(&row)
	if err != nil {
		return Stats{}, fmt.Errorf("attendance of %s: %w", eventID, err)
	}
	return Stats(row), nil
}
