// Package attendance computes an event's seat and check-in counts, and lists
// an event's registrations with their check-ins. Check-in, the live hub, the
// public pages, the console and the reports all read the same numbers and
// rows from here.
package attendance

import (
	"fmt"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/internal/domain"
)

// cache keeps each event's counts between changes. Counting is linear in
// the event's registrations, and the door, the hub and the pages ask for
// the same numbers after every change; the record hooks below drop an
// event's entry when one of its registrations, check-ins or the event itself
// changes (after the commit).
type cache struct {
	mu      sync.Mutex
	stats   map[string]domain.Stats
	version map[string]uint64
}

const cacheKey = "kopa.attendance.cache"

func cacheOf(app core.App) *cache {
	return app.Store().GetOrSet(cacheKey, func() any {
		return &cache{stats: map[string]domain.Stats{}, version: map[string]uint64{}}
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
func adjust(app core.App, eventID string, change func(*domain.Stats)) {
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
// commit: a new registration or check-in adds its people to its count (the hot
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
	bind(app.OnRecordAfterCreateSuccess(domain.Registrations), func(e *core.RecordEvent) {
		status, people := domain.RegistrationStatusOf(e.Record), domain.Party(e.Record)
		adjust(e.App, e.Record.GetString("event"), func(s *domain.Stats) {
			switch status {
			case domain.RegistrationConfirmed:
				s.Confirmed += people
			case domain.RegistrationWaitlisted:
				s.Waitlisted += people
			case domain.RegistrationCancelled:
				s.Cancelled += people
			}
		})
	})
	bind(app.OnRecordAfterCreateSuccess(domain.Checkins), func(e *core.RecordEvent) {
		people := domain.Arrived(e.Record)
		adjust(e.App, e.Record.GetString("event"), func(s *domain.Stats) { s.CheckedIn += people })
	})
	drop := func(e *core.RecordEvent) {
		if e.Record.Collection().Name == domain.Events {
			Invalidate(e.App, e.Record.Id)
			return
		}
		Invalidate(e.App, e.Record.GetString("event"))
		if orig := e.Record.Original(); orig != nil && orig.GetString("event") != e.Record.GetString("event") {
			Invalidate(e.App, orig.GetString("event"))
		}
	}
	bind(app.OnRecordAfterUpdateSuccess(domain.Registrations, domain.Checkins, domain.Events), drop)
	bind(app.OnRecordAfterDeleteSuccess(domain.Registrations, domain.Checkins, domain.Events), drop)
	bind(app.OnRecordAfterCreateSuccess(domain.Events), drop)
}

// ForEvent returns the counts of one event, in people: a party of four
// confirmed is four, a check-in of three who arrived is three. Inside a transaction (pass its
// app) they are counted afresh, since they may include what is not yet
// committed; outside, they come from the cache when they can.
func ForEvent(app core.App, eventID string) (domain.Stats, error) {
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

// People sums the people of the registrations r of a query (their
// parties; a row without a party is one person), and Arrived the people
// the check-ins c let in (one where a check-in holds no count): every
// count of Kopā's is people, not rows.
const (
	People  = "coalesce(sum(max(r.party, 1)), 0)"
	Arrived = "coalesce(sum(max(c.arrived, 1)), 0)"
)

func count(app core.App, eventID string) (domain.Stats, error) {
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
			(SELECT ` + People + ` FROM registrations r WHERE r.event = e.id AND r.status = {:confirmed})  AS confirmed,
			(SELECT ` + People + ` FROM registrations r WHERE r.event = e.id AND r.status = {:waitlisted}) AS waitlisted,
			(SELECT ` + People + ` FROM registrations r WHERE r.event = e.id AND r.status = {:cancelled})  AS cancelled,
			(SELECT ` + Arrived + ` FROM checkins c WHERE c.event = e.id) AS checked_in,
			e.status = {:eventCancelled} AS event_cancelled
		FROM events e WHERE e.id = {:id}`).Bind(dbx.Params{
		"id":        eventID,
		"confirmed": domain.RegistrationConfirmed, "waitlisted": domain.RegistrationWaitlisted, "cancelled": domain.RegistrationCancelled,
		"eventCancelled": domain.EventCancelled,
	}).One(&row)
	if err != nil {
		return domain.Stats{}, fmt.Errorf("attendance of %s: %w", eventID, err)
	}
	return domain.Stats(row), nil
}

// Registration is one registration of an event with its check-in, as the
// door, the console and the CSV export list them. Times are as stored
// (PocketBase's UTC form); CheckedInAt and Method are empty when the person
// has not been checked in, ErasedAt when retention has not erased it.
type Registration struct {
	ID           string                    `db:"id"`
	Ticket       string                    `db:"ticket"`
	Name         string                    `db:"name"`
	Email        string                    `db:"email"`
	Status       domain.RegistrationStatus `db:"status"`
	Locale       string                    `db:"locale"`
	PhotoConsent bool                      `db:"photo_consent"`
	Created      string                    `db:"created"`
	ErasedAt     string                    `db:"erased_at"`
	CheckedInAt  string                    `db:"checked_in_at"`
	Method       domain.CheckinMethod      `db:"method"`
	// Party is how many people the registration holds (1 and up),
	// Childcare how many children among them need minding, and Arrived
	// how many of them the check-in let in (0 before a check-in).
	Party     int `db:"party"`
	Childcare int `db:"childcare"`
	Arrived   int `db:"arrived"`
}

// Registrations lists the registrations of an event with their check-ins
// (cancelled and erased ones too), in the order they were made; limit > 0
// keeps the first limit of them. One query joins the two tables: a check-in
// is unique per registration, so each registration is one row.
func Registrations(app core.App, eventID string, limit int) ([]Registration, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var rows []Registration
	err := app.DB().NewQuery(`SELECT r.id, r.ticket, r.name, r.email, r.status, r.locale, r.photo_consent, r.created, r.erased_at,
			COALESCE(c.at, '') AS checked_in_at, COALESCE(c.method, '') AS method,
			max(r.party, 1) AS party, r.childcare, CASE WHEN c.id IS NULL THEN 0 ELSE max(c.arrived, 1) END AS arrived
		FROM registrations r LEFT JOIN checkins c ON c.registration = r.id
		WHERE r.event = {:e} ORDER BY r.created, r.rowid LIMIT {:max}`).Bind(dbx.Params{"e": eventID, "max": limit}).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("registrations of %s: %w", eventID, err)
	}
	return rows, nil
}
