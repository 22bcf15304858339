package volunteers

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Errors of taking a shift.
var (
	// ErrOverlap: the shift overlaps one the volunteer holds already.
	ErrOverlap = errors.New("the shift overlaps a shift the volunteer holds")
	// ErrWrongSkill: the shift's role is not one of the volunteer's skills.
	ErrWrongSkill = errors.New("the shift's role is not one of the volunteer's skills")
	// ErrTooLate: less than WithdrawBefore is left before the shift; the
	// volunteer asks the organisers instead of withdrawing themselves.
	ErrTooLate = errors.New("too close to the shift to withdraw")
)

// WithdrawBefore is how long before a shift its volunteer may still
// withdraw in the portal; later they contact the organisers.
const WithdrawBefore = 24 * time.Hour

// CanWithdraw reports whether a volunteer may still withdraw themselves
// from a shift that starts at startsAt.
func CanWithdraw(startsAt, now time.Time) bool { return now.Before(startsAt.Add(-WithdrawBefore)) }

// overlapping reports whether volunteer volunteerID holds an accepted
// place on another shift, of an event that is not cancelled, that overlaps
// [starts, ends). It reads with tx, so a caller deciding in a transaction
// sees the places taken before it.
func overlapping(tx core.App, volunteerID, shiftID string, starts, ends time.Time) (bool, error) {
	var n int
	err := tx.DB().Select("COUNT(*)").
		From(domain.Assignments+" a").
		InnerJoin(domain.Shifts+" s", dbx.NewExp("s.id = a.shift")).
		InnerJoin(domain.Events+" e", dbx.NewExp("e.id = s.event")).
		Where(dbx.HashExp{"a.volunteer": volunteerID, "a.status": domain.AssignmentAccepted}).
		AndWhere(dbx.NewExp("s.id != {:shift} AND s.starts_at < {:ends} AND s.ends_at > {:starts} AND e.status != {:cancelled}", dbx.Params{
			"shift": shiftID, "starts": domain.DateTime(starts).String(), "ends": domain.DateTime(ends).String(),
			"cancelled": domain.EventCancelled,
		})).Row(&n)
	if err != nil {
		return false, fmt.Errorf("overlapping shifts: %w", err)
	}
	return n > 0, nil
}

// shiftOverlaps is overlapping for a shift record.
func shiftOverlaps(tx core.App, volunteerID string, shift *core.Record) (bool, error) {
	return overlapping(tx, volunteerID, shift.Id, shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
}

// OpenShifts lists the shifts volunteer v may take at now: of published
// events, not started, with a free place, whose role is one of v's skills,
// that v holds no place on and was not withdrawn from, soonest first. A
// volunteer who is not approved has none.
func OpenShifts(app core.App, v *core.Record, lang string, now time.Time) ([]ShiftView, error) {
	skills := v.GetStringSlice("skills")
	if !IsApproved(v) || len(skills) == 0 {
		return nil, nil
	}
	roles := make([]any, len(skills))
	for i, s := range skills {
		roles[i] = s
	}
	q := app.RecordQuery(domain.Shifts).
		InnerJoin(domain.Events+" e", dbx.NewExp("e.id = shifts.event")).
		AndWhere(dbx.HashExp{"e.status": domain.EventPublished}).
		AndWhere(dbx.In("shifts.role", roles...)).
		AndWhere(dbx.NewExp("shifts.starts_at > {:now}", dbx.Params{"now": domain.DateTime(now).String()})).
		AndWhere(dbx.NewExp(`shifts.needed > (SELECT COUNT(*) FROM assignments a WHERE a.shift = shifts.id AND a.status = {:accepted})`, dbx.Params{"accepted": domain.AssignmentAccepted})).
		AndWhere(dbx.NewExp(`NOT EXISTS (SELECT 1 FROM assignments m WHERE m.shift = shifts.id AND m.volunteer = {:me} AND m.status IN ({:acc}, {:can}))`,
			dbx.Params{"me": v.Id, "acc": domain.AssignmentAccepted, "can": domain.AssignmentCancelled})).
		OrderBy("shifts.starts_at ASC").Limit(200)
	var recs []*core.Record
	if err := q.All(&recs); err != nil {
		return nil, fmt.Errorf("open shifts: %w", err)
	}
	out := make([]ShiftView, 0, len(recs))
	for _, s := range recs {
		ev, err := app.FindRecordById(domain.Events, s.GetString("event"))
		if err != nil {
			continue
		}
		clash, err := shiftOverlaps(app, v.Id, s)
		if err != nil {
			return nil, err
		}
		if clash {
			continue
		}
		view, err := newShiftView(app, s, ev, lang)
		if err != nil {
			return nil, err
		}
		out = append(out, view)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartsAt.Before(out[j].StartsAt) })
	return out, nil
}

// Take gives volunteer volunteerID a place on a shift they chose
// themselves. The volunteer must be approved (ErrNotApproved) and have the
// shift's role among their skills (ErrWrongSkill); the shift must be of a
// published event and not started (ErrShiftClosed), have a free place
// (ErrFull) and not overlap a shift they hold (ErrOverlap). An invitation
// or a declined place on the shift becomes the accepted one; a place an
// organiser withdrew stays withdrawn (ErrWithdrawn). Everything is decided
// in one transaction, so the shift is never over-filled. created is false
// when the volunteer held the place already.
func Take(app core.App, volunteerID, shiftID string, now time.Time) (a *core.Record, created bool, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		v, err := tx.FindRecordById(domain.Volunteers, volunteerID)
		if err != nil {
			return ErrNotApproved
		}
		if !IsApproved(v) {
			return ErrNotApproved
		}
		shift, err := tx.FindRecordById(domain.Shifts, shiftID)
		if err != nil {
			return ErrShiftNotFound
		}
		ev, err := tx.FindRecordById(domain.Events, shift.GetString("event"))
		if err != nil || domain.EventStatusOf(ev) == domain.EventDraft {
			return ErrShiftNotFound
		}
		if !domain.ShiftOpen(ev, shift.GetDateTime("starts_at").Time(), now) {
			return ErrShiftClosed
		}
		if !contains(v.GetStringSlice("skills"), shift.GetString("role")) {
			return ErrWrongSkill
		}
		a, _ = tx.FindFirstRecordByFilter(domain.Assignments, "shift = {:s} && volunteer = {:v}", dbx.Params{"s": shift.Id, "v": v.Id})
		if a != nil {
			switch domain.AssignmentStatusOf(a) {
			case domain.AssignmentAccepted:
				return nil
			case domain.AssignmentCancelled:
				return ErrWithdrawn
			}
		}
		clash, err := shiftOverlaps(tx, v.Id, shift)
		if err != nil {
			return err
		}
		if clash {
			return ErrOverlap
		}
		taken, err := acceptedCount(tx, shift.Id)
		if err != nil {
			return err
		}
		if taken >= shift.GetInt("needed") {
			return ErrFull
		}
		if a == nil {
			col, err := tx.FindCachedCollectionByNameOrId(domain.Assignments)
			if err != nil {
				return err
			}
			a = core.NewRecord(col)
			a.Set("shift", shift.Id)
			a.Set("volunteer", v.Id)
		}
		a.Set("status", domain.AssignmentAccepted)
		a.Set("responded_at", domain.DateTime(now))
		if err := tx.Save(a); err != nil {
			return fmt.Errorf("save assignment: %w", err)
		}
		created = true
		return acceptedMailFor(tx, v, a)
	})
	if err != nil {
		return nil, false, err
	}
	return a, created, nil
}

// OpenShift is a shift of GET /api/shifts/open.
type OpenShift struct {
	ID         string    `json:"id"`
	Event      string    `json:"event"`
	EventTitle string    `json:"event_title"`
	Role       string    `json:"role"`
	Venue      string    `json:"venue"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Needed     int       `json:"needed"`
	Filled     int       `json:"filled"`
}

// volunteerAuth is the approved volunteer of an API request, or the error
// to answer with: 401 without a token, 403 for anyone else.
func volunteerAuth(e *core.RequestEvent) (*core.Record, error) {
	if e.Auth == nil {
		return nil, e.UnauthorizedError("Log in as a volunteer.", nil)
	}
	if e.Auth.Collection().Name != domain.Volunteers {
		return nil, e.ForbiddenError("Only volunteers take shifts.", nil)
	}
	v, err := e.App.FindRecordById(domain.Volunteers, e.Auth.Id)
	if err != nil {
		return nil, e.UnauthorizedError("Log in as a volunteer.", nil)
	}
	if !IsApproved(v) {
		return nil, web.CodeError(http.StatusForbidden, "not_approved", "Only approved volunteers take shifts.")
	}
	return v, nil
}

// apiOpenShifts is GET /api/shifts/open, for approved volunteers.
func apiOpenShifts(e *core.RequestEvent) error {
	v, err := volunteerAuth(e)
	if err != nil {
		return err
	}
	views, err := OpenShifts(e.App, v, localeOf(v), time.Now())
	if err != nil {
		return err
	}
	out := make([]OpenShift, 0, len(views))
	for _, s := range views {
		out = append(out, OpenShift{ID: s.ID, Event: s.EventID, EventTitle: s.EventTitle, Role: s.Role, Venue: s.Venue,
			StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(), Needed: s.Needed, Filled: s.Filled})
	}
	return e.JSON(http.StatusOK, out)
}

// takeError is the API's answer to a refused take (nil for none).
func takeError(e *core.RequestEvent, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotApproved):
		return web.CodeError(http.StatusForbidden, "not_approved", "Only approved volunteers take shifts.")
	case errors.Is(err, ErrShiftNotFound):
		return e.NotFoundError("No such shift.", nil)
	case errors.Is(err, ErrShiftClosed):
		return web.CodeError(http.StatusConflict, "closed", "The shift has started or its event was cancelled.")
	case errors.Is(err, ErrWrongSkill):
		return web.CodeError(http.StatusForbidden, "wrong_skill", "The shift's role is not one of your skills.")
	case errors.Is(err, ErrWithdrawn):
		return web.CodeError(http.StatusConflict, "withdrawn", "The organisers withdrew your place on this shift.")
	case errors.Is(err, ErrOverlap):
		return web.CodeError(http.StatusConflict, "overlap", "The shift overlaps a shift you hold.")
	case errors.Is(err, ErrFull):
		return web.CodeError(http.StatusConflict, "full", "Every place on this shift is taken.")
	}
	return err
}

// apiTake is POST /api/shifts/{id}/take, for approved volunteers: 201
// when the place is theirs now, 200 when it was already.
func apiTake(e *core.RequestEvent) error {
	v, err := volunteerAuth(e)
	if err != nil {
		return err
	}
	a, created, err := Take(e.App, v.Id, e.Request.PathValue("id"), time.Now())
	if err := takeError(e, err); err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return e.JSON(status, map[string]string{"status": a.GetString("status"), "assignment": a.Id, "shift": a.GetString("shift")})
}

// portalTake is POST /volunteer/me/shifts/{id}/take: the portal's "take"
// button.
func portalTake(e *core.RequestEvent) error {
	_, _, err := Take(e.App, e.Auth.Id, e.Request.PathValue("id"), time.Now())
	msg := ""
	status := http.StatusConflict
	switch {
	case err == nil:
		return e.Redirect(http.StatusSeeOther, "/volunteer/me?done=taken")
	case errors.Is(err, ErrNotApproved):
		msg, status = "open.error.not_approved", http.StatusForbidden
	case errors.Is(err, ErrShiftNotFound):
		return web.NotFound(e)
	case errors.Is(err, ErrShiftClosed):
		msg = "open.error.closed"
	case errors.Is(err, ErrWrongSkill):
		msg, status = "open.error.skill", http.StatusForbidden
	case errors.Is(err, ErrWithdrawn):
		msg = "open.error.withdrawn"
	case errors.Is(err, ErrOverlap):
		msg = "open.error.overlap"
	case errors.Is(err, ErrFull):
		msg = "open.error.full"
	default:
		return err
	}
	return showPortal(e, status, PortalData{Error: msg})
}
