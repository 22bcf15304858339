package volunteers

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Errors of an answer to an invitation.
var (
	ErrNotFound = errors.New("no such invitation")
	// ErrExpired: the shift has started (or its event was cancelled), so
	// the invitation can no longer be answered.
	ErrExpired = errors.New("the invitation has expired")
	// ErrWithdrawn: the organisers cancelled the assignment.
	ErrWithdrawn = errors.New("the invitation was withdrawn")
	// ErrFull: every place of the shift is taken.
	ErrFull = errors.New("the shift is full")
)

// tokenPattern is the shape of an assignment's token (see the schema).
var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{24,64}$`)

// Answer records a volunteer's answer to an invitation found by its token:
// accept takes a place on the shift, unless every place is taken
// (ErrFull), the volunteer is not approved (ErrNotApproved) or holds a
// shift that overlaps it (ErrOverlap), and is confirmed by mail; decline
// gives it back. Answering twice the same way changes
// nothing; a volunteer may change their mind until the shift starts. The
// count of accepted places and the change are decided in one transaction,
// so two volunteers can never take the last place together.
func Answer(app core.App, token string, accept bool, now time.Time) (*core.Record, error) {
	if !tokenPattern.MatchString(token) {
		return nil, ErrNotFound
	}
	return answer(app, func(tx core.App) (*core.Record, error) {
		return tx.FindFirstRecordByData(domain.Assignments, "token", token)
	}, accept, now)
}

// answer records an answer to the assignment find returns.
func answer(app core.App, find func(tx core.App) (*core.Record, error), accept bool, now time.Time) (*core.Record, error) {
	var a *core.Record
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		if a, err = find(tx); err != nil {
			if errors.Is(err, ErrTooLate) {
				return err
			}
			return ErrNotFound
		}
		shift, err := tx.FindRecordById(domain.Shifts, a.GetString("shift"))
		if err != nil {
			return ErrNotFound
		}
		ev, err := tx.FindRecordById(domain.Events, shift.GetString("event"))
		if err != nil {
			return ErrNotFound
		}
		if !domain.ShiftOpen(ev, shift.GetDateTime("starts_at").Time(), now) {
			return ErrExpired
		}
		status := domain.AssignmentStatusOf(a)
		if status == domain.AssignmentCancelled {
			return ErrWithdrawn
		}
		want := domain.AssignmentDeclined
		if accept {
			want = domain.AssignmentAccepted
		}
		if status == want {
			return nil // a reused link: nothing to do
		}
		if accept {
			v, err := tx.FindRecordById(domain.Volunteers, a.GetString("volunteer"))
			if err != nil {
				return ErrNotFound
			}
			if !IsApproved(v) {
				return ErrNotApproved
			}
			taken, err := acceptedCount(tx, shift.Id)
			if err != nil {
				return err
			}
			if taken >= shift.GetInt("needed") {
				return ErrFull
			}
			clash, err := shiftOverlaps(tx, v.Id, shift)
			if err != nil {
				return err
			}
			if clash {
				return ErrOverlap
			}
		} else {
			// A volunteer who accepts again later is reminded again.
			a.Set("reminded_at", "")
		}
		a.Set("status", want)
		a.Set("responded_at", domain.DateTime(now))
		if err := tx.Save(a); err != nil {
			return fmt.Errorf("save answer: %w", err)
		}
		if accept {
			v, err := tx.FindRecordById(domain.Volunteers, a.GetString("volunteer"))
			if err != nil {
				return ErrNotFound
			}
			return acceptedMailFor(tx, v, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// acceptedCount is how many places of a shift are taken.
func acceptedCount(app core.App, shiftID string) (int, error) {
	n, err := app.CountRecords(domain.Assignments, dbx.HashExp{"shift": shiftID, "status": domain.AssignmentAccepted})
	if err != nil {
		return 0, fmt.Errorf("count accepted: %w", err)
	}
	return int(n), nil
}

// ShiftView is a shift as the volunteer pages show it, in one language.
type ShiftView struct {
	ID, EventID, EventTitle, Role, Venue string
	StartsAt, EndsAt                     time.Time
	Needed, Filled                       int
}

// Full reports whether every place is taken.
func (s ShiftView) Full() bool { return s.Filled >= s.Needed }

// newShiftView builds the view of a shift of event ev in lang.
func newShiftView(app core.App, shift, ev *core.Record, lang string) (ShiftView, error) {
	filled, err := acceptedCount(app, shift.Id)
	if err != nil {
		return ShiftView{}, err
	}
	return ShiftView{
		ID: shift.Id, EventID: ev.Id, EventTitle: domain.Localized(ev, "title", lang), Role: shift.GetString("role"),
		Venue: ev.GetString("venue"), StartsAt: shift.GetDateTime("starts_at").Time(), EndsAt: shift.GetDateTime("ends_at").Time(),
		Needed: shift.GetInt("needed"), Filled: filled,
	}, nil
}

// EventShifts lists an event's shifts with their filled and needed places,
// soonest first, for pages that summarise an event (the console's).
func EventShifts(app core.App, eventID, lang string) ([]ShiftView, error) {
	ev, err := app.FindRecordById(domain.Events, eventID)
	if err != nil {
		return nil, err
	}
	recs, err := app.FindRecordsByFilter(domain.Shifts, "event = {:e}", "starts_at", 0, 0, dbx.Params{"e": eventID})
	if err != nil {
		return nil, err
	}
	out := make([]ShiftView, 0, len(recs))
	for _, s := range recs {
		v, err := newShiftView(app, s, ev, lang)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// InviteData is what the invitation page receives.
type InviteData struct {
	Token  string
	Shift  ShiftView
	Status domain.AssignmentStatus
	// Chosen is the answer the mail's link preselected ("accept", "decline").
	Chosen string
	// Done is the answer just recorded; Error a message id.
	Done, Error string
}

// loadInvite finds an invitation and its shift for the page; a missing one
// or one past its shift's start ends in the right error page.
func loadInvite(e *core.RequestEvent, token string) (*InviteData, error) {
	if !tokenPattern.MatchString(token) {
		return nil, ErrNotFound
	}
	a, err := e.App.FindFirstRecordByData(domain.Assignments, "token", token)
	if err != nil {
		return nil, ErrNotFound
	}
	shift, err := e.App.FindRecordById(domain.Shifts, a.GetString("shift"))
	if err != nil {
		return nil, ErrNotFound
	}
	ev, err := e.App.FindRecordById(domain.Events, shift.GetString("event"))
	if err != nil {
		return nil, ErrNotFound
	}
	if !domain.ShiftOpen(ev, shift.GetDateTime("starts_at").Time(), time.Now()) {
		return nil, ErrExpired
	}
	if domain.AssignmentStatusOf(a) == domain.AssignmentCancelled {
		return nil, ErrWithdrawn
	}
	view, err := newShiftView(e.App, shift, ev, web.Lang(e))
	if err != nil {
		return nil, err
	}
	return &InviteData{Token: token, Shift: view, Status: domain.AssignmentStatusOf(a)}, nil
}

// inviteError renders the page for an invitation that cannot be answered.
func inviteError(e *core.RequestEvent, err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return showNotice(e, http.StatusNotFound, "invite.notfound.title", "invite.notfound.text", "/volunteer/me", "nav.volunteer_me")
	case errors.Is(err, ErrExpired):
		return showNotice(e, http.StatusGone, "invite.expired.title", "invite.expired.text", "/volunteer/me", "nav.volunteer_me")
	case errors.Is(err, ErrWithdrawn):
		return showNotice(e, http.StatusGone, "invite.withdrawn.title", "invite.withdrawn.text", "/volunteer/me", "nav.volunteer_me")
	case errors.Is(err, ErrNotApproved):
		return showNotice(e, http.StatusForbidden, "invite.not_approved.title", "invite.not_approved.text", "/volunteer/me", "nav.volunteer_me")
	}
	return err
}

func showInvite(e *core.RequestEvent, status int, d *InviteData) error {
	p := web.NewPage(e, "invite.title", d)
	p.Styles = []string{"css/volunteers.css"}
	return web.Render(e, status, "invite", p)
}

// invitePage is GET /i/{token}: the shift and both buttons; it works
// without JavaScript and without logging in (the token is the key).
func invitePage(e *core.RequestEvent) error {
	d, err := loadInvite(e, e.Request.PathValue("token"))
	if err != nil {
		return inviteError(e, err)
	}
	q := e.Request.URL.Query()
	if a := q.Get("a"); a == "accept" || a == "decline" {
		d.Chosen = a
	}
	if done := q.Get("done"); done == string(domain.AssignmentAccepted) || done == string(domain.AssignmentDeclined) {
		d.Done = done
	}
	return showInvite(e, http.StatusOK, d)
}

// inviteAnswer is POST /i/{token}/accept and /i/{token}/decline. The forms
// carry no CSRF token: the secret token in the address is what a forger
// would need, and it is not theirs to know. A client that asks for JSON
// (Accept: application/json) gets {"status"} or an error with data.code
// "full" (409), "expired" or "withdrawn" (410) instead of a page.
func inviteAnswer(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	var accept bool
	switch e.Request.PathValue("answer") {
	case "accept":
		accept = true
	case "decline":
	default:
		return web.NotFound(e)
	}
	a, err := Answer(e.App, token, accept, time.Now())
	if strings.Contains(e.Request.Header.Get("Accept"), "application/json") {
		switch {
		case errors.Is(err, ErrNotFound):
			return e.NotFoundError("No such invitation.", nil)
		case errors.Is(err, ErrFull):
			return web.CodeError(http.StatusConflict, "full", "Every place on this shift is taken.")
		case errors.Is(err, ErrOverlap):
			return web.CodeError(http.StatusConflict, "overlap", "The shift overlaps a shift you hold.")
		case errors.Is(err, ErrNotApproved):
			return web.CodeError(http.StatusForbidden, "not_approved", "Only approved volunteers take shifts.")
		case errors.Is(err, ErrExpired):
			return web.CodeError(http.StatusGone, "expired", "The shift has started or its event was cancelled.")
		case errors.Is(err, ErrWithdrawn):
			return web.CodeError(http.StatusGone, "withdrawn", "The invitation was withdrawn.")
		case err != nil:
			return err
		}
		return e.JSON(http.StatusOK, map[string]string{"status": a.GetString("status")})
	}
	if errors.Is(err, ErrFull) || errors.Is(err, ErrOverlap) {
		d, lerr := loadInvite(e, token)
		if lerr != nil {
			return inviteError(e, lerr)
		}
		d.Error = "invite.full"
		if errors.Is(err, ErrOverlap) {
			d.Error = "open.error.overlap"
		}
		return showInvite(e, http.StatusConflict, d)
	}
	if err != nil {
		return inviteError(e, err)
	}
	return e.Redirect(http.StatusSeeOther, "/i/"+token+"?done="+a.GetString("status"))
}
