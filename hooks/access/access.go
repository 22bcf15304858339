// Package access decides who may work the door of an event: organisers
// always, volunteers only while they hold an accepted door shift of it.
package access

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// DoorLead is how long before a door shift starts its volunteer may scan.
const DoorLead = time.Hour

// IsOrganiser reports whether the auth record is an organiser (superusers count too).
func IsOrganiser(auth *core.Record) bool {
	return auth != nil && (auth.Collection().Name == "organisers" || auth.IsSuperuser())
}

// IsVolunteer reports whether the auth record is a volunteer.
func IsVolunteer(auth *core.Record) bool {
	return auth != nil && auth.Collection().Name == "volunteers"
}

// CanWorkDoor reports whether auth may check people in at the event and see
// its counts at time now: organisers always; a volunteer from DoorLead before
// an accepted door shift of that event starts until it ends.
func CanWorkDoor(app core.App, auth *core.Record, eventID string, now time.Time) bool {
	ok, err := DoorAccess(app, auth, eventID, now)
	return err == nil && ok
}

// DoorAccess is CanWorkDoor for callers that must tell "no" from "could
// not tell" (a database error): a live socket is closed for the one and
// kept for the other.
func DoorAccess(app core.App, auth *core.Record, eventID string, now time.Time) (bool, error) {
	if IsOrganiser(auth) {
		return true, nil
	}
	if !IsVolunteer(auth) || eventID == "" {
		return false, nil
	}
	nowDT, err := types.ParseDateTime(now.UTC())
	if err != nil {
		return false, nil
	}
	leadDT, err := types.ParseDateTime(now.UTC().Add(DoorLead))
	if err != nil {
		return false, nil
	}
	var n int
	err = app.DB().Select("count(*)").
		From("assignments a").
		InnerJoin("shifts s", dbx.NewExp("s.id = a.shift")).
		Where(dbx.HashExp{"a.volunteer": auth.Id, "a.status": "accepted", "s.event": eventID, "s.role": "door"}).
		AndWhere(dbx.NewExp("s.starts_at <= {:lead} AND s.ends_at >= {:now}", dbx.Params{"lead": leadDT.String(), "now": nowDT.String()})).
		Row(&n)
	if err != nil {
		return false, fmt.Errorf("door access: %w", err)
	}
	return n > 0, nil
}
