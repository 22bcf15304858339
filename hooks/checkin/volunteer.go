package checkin

import (
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/access"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// VolunteerResult is the door's answer to a volunteer's personal code: who
// came, for which of their shifts, and when they arrived (the first scan's
// time; a second scan of the same shift records nothing new).
type VolunteerResult struct {
	Result    string         `json:"result"` // always "volunteer"
	Name      string         `json:"name"`
	Shift     VolunteerShift `json:"shift"`
	ArrivedAt string         `json:"arrived_at"`
	Already   bool           `json:"already"`
}

// VolunteerShift is the shift a volunteer checked in on.
type VolunteerShift struct {
	ID       string `json:"id"`
	Role     string `json:"role"`
	StartsAt string `json:"starts_at"`
	EndsAt   string `json:"ends_at"`
}

// Result of a volunteer's code.
const Volunteer = "volunteer"

// Refusals of a volunteer's code (the "code" of the error's data).
const (
	volunteerUnknown     = "volunteer_unknown"
	volunteerNotApproved = "volunteer_not_approved"
	volunteerNoShift     = "volunteer_no_shift"
)

var (
	errVolunteerUnknown     = errors.New("no volunteer has this code")
	errVolunteerNotApproved = errors.New("the volunteer is not approved")
	errVolunteerNoShift     = errors.New("the volunteer holds no accepted shift at this event that has not ended")
)

// CheckInVolunteer records that the volunteer whose personal code this is
// came to work at an event: on their accepted shift there that is running
// or next (the earliest one that has not ended at at). It is one
// transaction; a second scan of the same shift stores nothing and answers
// with the first arrival (an earlier scan, synced late, wins). A volunteer
// who is not approved, or holds no such shift, is refused and nothing is
// stored.
func CheckInVolunteer(app core.App, eventID, code string, at time.Time) (VolunteerResult, error) {
	var res VolunteerResult
	err := app.RunInTransaction(func(tx core.App) error {
		v, err := tx.FindFirstRecordByData(domain.Volunteers, "code", code)
		if err != nil {
			return errVolunteerUnknown
		}
		if !domain.IsApproved(v) {
			return errVolunteerNotApproved
		}
		var row struct {
			Assignment string         `db:"assignment"`
			Shift      string         `db:"shift"`
			Role       string         `db:"role"`
			StartsAt   types.DateTime `db:"starts_at"`
			EndsAt     types.DateTime `db:"ends_at"`
		}
		err = tx.DB().NewQuery(`SELECT a.id AS assignment, s.id AS shift, s.role, s.starts_at, s.ends_at
			FROM assignments a JOIN shifts s ON s.id = a.shift
			WHERE a.volunteer = {:v} AND a.status = {:accepted} AND s.event = {:event} AND s.ends_at > {:at}
			ORDER BY s.starts_at, s.id LIMIT 1`).
			Bind(dbx.Params{"v": v.Id, "accepted": domain.AssignmentAccepted, "event": eventID, "at": domain.DateTime(at).String()}).One(&row)
		if errors.Is(err, sql.ErrNoRows) {
			return errVolunteerNoShift
		}
		if err != nil {
			return err
		}
		a, err := tx.FindRecordById(domain.Assignments, row.Assignment)
		if err != nil {
			return err
		}
		arrived := a.GetDateTime("arrived_at")
		res = VolunteerResult{Result: Volunteer, Name: v.GetString("name"), Already: !arrived.IsZero(),
			Shift: VolunteerShift{ID: row.Shift, Role: row.Role, StartsAt: row.StartsAt.String(), EndsAt: row.EndsAt.String()}}
		if arrived.IsZero() || at.Before(arrived.Time()) {
			arrived = domain.DateTime(at)
			a.Set("arrived_at", arrived)
			// The assignment's other fields are as they were; only the
			// arrival is new, and it was checked here.
			if err := tx.SaveNoValidate(a); err != nil {
				return err
			}
		}
		res.ArrivedAt = arrived.String()
		return nil
	})
	return res, err
}

// checkInVolunteer answers POST /api/checkin with a volunteer's code; the
// caller has checked the door's token and the event's window.
func checkInVolunteer(e *core.RequestEvent, eventID, code string, at time.Time) error {
	res, err := CheckInVolunteer(e.App, eventID, code, at)
	switch {
	case errors.Is(err, errVolunteerUnknown):
		return web.CodeError(http.StatusNotFound, volunteerUnknown, "No volunteer has this code.")
	case errors.Is(err, errVolunteerNotApproved):
		return web.CodeError(http.StatusForbidden, volunteerNotApproved, "This volunteer is not approved to work shifts.")
	case errors.Is(err, errVolunteerNoShift):
		return web.CodeError(http.StatusConflict, volunteerNoShift, "This volunteer holds no accepted shift at this event now.")
	case err != nil:
		return err
	}
	res.Name = access.DoorName(e.Auth, res.Name)
	return e.JSON(http.StatusOK, res)
}
