// Package access decides who may work the door of an event: organisers
// always, approved volunteers only while they hold an accepted door shift
// of it.
package access

import (
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
// its counts at time now: organisers always; an approved volunteer from
// DoorLead before an accepted door shift of that event starts until it ends.
// The volunteer's status is read now, so pausing a volunteer ends their
// door access at once.
func CanWorkDoor(app core.App, auth *core.Record, eventID string, now time.Time) bool {
	if IsOrganiser(auth) {
		return true
	}
	if !IsVolunteer(auth) || eventID == "" {
		return false
	}
	nowDT, err := types.ParseDateTime(now.UTC())
	if err != nil {
		return false
	}
	leadDT, err := types.ParseDateTime(now.UTC().Add(DoorLead))
	if err != nil {
		return false
	}
	var n int
	err = app.DB().Select("count(*)").
		From("assignments a").
		InnerJoin("shifts s", dbx.NewExp("s.id = a.shift")).
		InnerJoin("volunteers v", dbx.NewExp("v.id = a.volunteer")).
		Where(dbx.HashExp{"a.volunteer": auth.Id, "a.status": "accepted", "s.event": eventID, "s.role": "door", "v.status": "approved"}).
		AndWhere(dbx.NewExp("s.starts_at <= {:lead} AND s.ends_at >= {:now}", dbx.Params{"lead": leadDT.String(), "now": nowDT.String()})).
		Row(&n)
	return err == nil && n > 0
}
