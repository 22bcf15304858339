// Package access decides who may work the door of an event: organisers
// always, approved volunteers only while they hold an accepted door shift
// of it.
package access

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/domain"
)

// DoorLead is how long before a door shift starts its volunteer may scan.
const DoorLead = time.Hour

// CanWorkDoor reports whether auth may check people in at the event and see
// its counts at time now: organisers always; an approved volunteer from
// DoorLead before an accepted door shift of that event starts until it ends.
// The volunteer's status is read now, so pausing a volunteer ends their
// door access at once.
func CanWorkDoor(app core.App, auth *core.Record, eventID string, now time.Time) bool {
	ok, err := DoorAccess(app, auth, eventID, now)
	return err == nil && ok
}

// DoorAccess is CanWorkDoor for callers that must tell "no" from "could
// not tell" (a database error): a live socket is closed for the one and
// kept for the other.
func DoorAccess(app core.App, auth *core.Record, eventID string, now time.Time) (bool, error) {
	if domain.IsStaff(auth) {
		return true, nil
	}
	if !domain.IsVolunteer(auth) || eventID == "" {
		return false, nil
	}
	var n int
	err := app.DB().Select("count(*)").
		From("assignments a").
		InnerJoin("shifts s", dbx.NewExp("s.id = a.shift")).
		InnerJoin("volunteers v", dbx.NewExp("v.id = a.volunteer")).
		Where(dbx.HashExp{"a.volunteer": auth.Id, "a.status": domain.AssignmentAccepted, "s.event": eventID, "s.role": domain.SkillDoor, "v.status": domain.VolunteerApproved}).
		AndWhere(dbx.NewExp("s.starts_at <= {:lead} AND s.ends_at >= {:now}",
			dbx.Params{"lead": domain.DateTime(now.Add(DoorLead)).String(), "now": domain.DateTime(now).String()})).
		Row(&n)
	if err != nil {
		return false, fmt.Errorf("door access: %w", err)
	}
	return n > 0, nil
}
