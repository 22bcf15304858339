// Package attendance computes an event's seat and check-in counts. Check-in,
// the live hub, the public pages and the reports all read the same numbers
// from here.
package attendance

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Stats are an event's counts. They hold no personal data.
type Stats struct {
	Capacity   int `json:"capacity"`
	Confirmed  int `json:"confirmed"`
	Waitlisted int `json:"waitlisted"`
	Cancelled  int `json:"cancelled"`
	CheckedIn  int `json:"checked_in"`
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

// ForEvent reads the counts of one event. Pass the transaction's app when
// called inside one.
func ForEvent(app core.App, eventID string) (Stats, error) {
	var row struct {
		Capacity   int `db:"capacity"`
		Confirmed  int `db:"confirmed"`
		Waitlisted int `db:"waitlisted"`
		Cancelled  int `db:"cancelled"`
		CheckedIn  int `db:"checked_in"`
	}
	err := app.DB().NewQuery(`
		SELECT
			e.capacity AS capacity,
			(SELECT count(*) FROM registrations r WHERE r.event = e.id AND r.status = 'confirmed')  AS confirmed,
			(SELECT count(*) FROM registrations r WHERE r.event = e.id AND r.status = 'waitlisted') AS waitlisted,
			(SELECT count(*) FROM registrations r WHERE r.event = e.id AND r.status = 'cancelled')  AS cancelled,
			(SELECT count(*) FROM checkins c WHERE c.event = e.id) AS checked_in
		FROM events e WHERE e.id = {:id}`).Bind(dbx.Params{"id": eventID}).One(&row)
	if err != nil {
		return Stats{}, fmt.Errorf("attendance of %s: %w", eventID, err)
	}
	return Stats(row), nil
}
