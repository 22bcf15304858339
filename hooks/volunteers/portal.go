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
	"kopa/internal/i18n"
)

// PortalShift is one of the volunteer's shifts or invitations.
type PortalShift struct {
	ShiftView
	AssignmentID string
	Status       domain.AssignmentStatus
}

// CanWithdraw reports whether the volunteer may still withdraw themselves
// from the shift (until WithdrawBefore it starts).
func (s PortalShift) CanWithdraw() bool { return CanWithdraw(s.StartsAt, time.Now()) }

// IsDoor reports whether the shift is at the door (its volunteer may use
// the scanner page).
func (s PortalShift) IsDoor() bool { return s.Role == domain.SkillDoor }

// PortalData is what /volunteer/me receives.
type PortalData struct {
	Name, Email                         string
	Status                              string // pending, approved or paused
	Languages, Skills                   []string
	Locale                              string
	AllLanguages, AllSkills, AllLocales []string
	Upcoming, Invitations               []PortalShift
	// Open are the shifts the volunteer may take (approved volunteers only).
	Open           []ShiftView
	Welcome, Saved bool
	Done, Error    string // an answer just given; a message id
	Errors         map[string]string
}

// Approved reports whether the volunteer may accept shifts.
func (d PortalData) Approved() bool { return d.Status == VolunteerApproved }

// Has reports whether v is in list (for checkboxes).
func (PortalData) Has(list []string, v string) bool { return contains(list, v) }

// portalShifts lists a volunteer's accepted shifts that have not ended and
// invitations whose shift has not started, soonest first.
func portalShifts(app core.App, volunteerID, lang string, now time.Time) (upcoming, invitations []PortalShift, err error) {
	recs, err := app.FindAllRecords(domain.Assignments, dbx.HashExp{"volunteer": volunteerID}, dbx.In("status", domain.AssignmentInvited, domain.AssignmentAccepted))
	if err != nil {
		return nil, nil, fmt.Errorf("assignments of volunteer: %w", err)
	}
	for _, a := range recs {
		shift, err := app.FindRecordById(domain.Shifts, a.GetString("shift"))
		if err != nil {
			continue
		}
		ev, err := app.FindRecordById(domain.Events, shift.GetString("event"))
		if err != nil || domain.EventStatusOf(ev) == domain.EventCancelled {
			continue
		}
		view, err := newShiftView(app, shift, ev, lang)
		if err != nil {
			return nil, nil, err
		}
		ps := PortalShift{ShiftView: view, AssignmentID: a.Id, Status: domain.AssignmentStatusOf(a)}
		switch {
		case ps.Status == domain.AssignmentAccepted && now.Before(view.EndsAt):
			upcoming = append(upcoming, ps)
		case ps.Status == domain.AssignmentInvited && now.Before(view.StartsAt):
			invitations = append(invitations, ps)
		}
	}
	for _, list := range [][]PortalShift{upcoming, invitations} {
		sort.Slice(list, func(i, j int) bool { return list[i].StartsAt.Before(list[j].StartsAt) })
	}
	return upcoming, invitations, nil
}

// showPortal renders /volunteer/me for the signed-in volunteer; d carries
// the outcome of a form, if any.
func showPortal(e *core.RequestEvent, status int, d PortalData) error {
	v, err := e.App.FindRecordById(domain.Volunteers, e.Auth.Id)
	if err != nil {
		web.ClearSession(e)
		return e.Redirect(http.StatusSeeOther, "/volunteer")
	}
	d.Name, d.Email, d.Status = v.GetString("name"), v.Email(), v.GetString("status")
	if d.Errors == nil {
		d.Languages, d.Skills, d.Locale = v.GetStringSlice("languages"), v.GetStringSlice("skills"), localeOf(v)
	}
	d.AllLanguages, d.AllSkills, d.AllLocales = domain.Languages, domain.Skills, domain.Locales
	d.Upcoming, d.Invitations, err = portalShifts(e.App, v.Id, web.Lang(e), time.Now())
	if err != nil {
		return err
	}
	open, err := OpenShifts(e.App, v, web.Lang(e), time.Now())
	if err != nil {
		return err
	}
	invited := map[string]bool{}
	for _, s := range d.Invitations {
		invited[s.ID] = true
	}
	for _, s := range open {
		if !invited[s.ID] { // an invitation is answered above
			d.Open = append(d.Open, s)
		}
	}
	p := web.NewPage(e, "volunteer.me.title", d)
	p.Styles = []string{"css/volunteers.css"}
	return web.Render(e, status, "volunteer/me", p)
}

func portalPage(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	d := PortalData{Welcome: q.Get("welcome") == "1", Saved: q.Get("saved") == "1"}
	if done := q.Get("done"); done == string(domain.AssignmentAccepted) || done == string(domain.AssignmentDeclined) || done == "taken" {
		d.Done = done
	}
	return showPortal(e, http.StatusOK, d)
}

// portalProfile saves the volunteer's languages, skills and mail language.
func portalProfile(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	d := PortalData{Errors: map[string]string{}, Locale: f.Get("locale")}
	if d.Languages, err = pick(f["languages"], domain.Languages); err != nil || len(d.Languages) == 0 {
		d.Errors["languages"] = "volunteer.error.languages"
	}
	if d.Skills, err = pick(f["skills"], domain.Skills); err != nil {
		d.Errors["skills"] = "volunteer.error.skills"
	}
	if !i18n.IsSupported(d.Locale) {
		d.Errors["locale"] = "volunteer.error.locale"
	}
	if len(d.Errors) > 0 {
		return showPortal(e, http.StatusBadRequest, d)
	}
	v, err := e.App.FindRecordById(domain.Volunteers, e.Auth.Id)
	if err != nil {
		return web.NotFound(e)
	}
	v.Set("languages", d.Languages)
	v.Set("skills", d.Skills)
	v.Set("locale", d.Locale)
	if err := e.App.Save(v); err != nil {
		return fmt.Errorf("save volunteer profile: %w", err)
	}
	return e.Redirect(http.StatusSeeOther, "/volunteer/me?saved=1")
}

// portalAnswer accepts or declines one of the volunteer's own invitations.
func portalAnswer(e *core.RequestEvent) error {
	var accept bool
	switch e.Request.PathValue("answer") {
	case "accept":
		accept = true
	case "decline":
	default:
		return web.NotFound(e)
	}
	id, me := e.Request.PathValue("id"), e.Auth.Id
	now := time.Now()
	a, err := answer(e.App, func(tx core.App) (*core.Record, error) {
		a, err := tx.FindFirstRecordByFilter(domain.Assignments, "id = {:id} && volunteer = {:me}", dbx.Params{"id": id, "me": me})
		if err != nil || accept || domain.AssignmentStatusOf(a) != domain.AssignmentAccepted {
			return a, err
		}
		// A volunteer withdraws from a shift they took until a day before;
		// later they ask the organisers, who may need to find someone.
		shift, err := tx.FindRecordById(domain.Shifts, a.GetString("shift"))
		if err == nil && !CanWithdraw(shift.GetDateTime("starts_at").Time(), now) {
			return nil, ErrTooLate
		}
		return a, err
	}, accept, now)
	switch {
	case errors.Is(err, ErrFull):
		return showPortal(e, http.StatusConflict, PortalData{Error: "invite.full"})
	case errors.Is(err, ErrOverlap):
		return showPortal(e, http.StatusConflict, PortalData{Error: "open.error.overlap"})
	case errors.Is(err, ErrTooLate):
		return showPortal(e, http.StatusConflict, PortalData{Error: "open.error.too_late"})
	}
	if err != nil {
		return inviteError(e, err)
	}
	return e.Redirect(http.StatusSeeOther, "/volunteer/me?done="+a.GetString("status"))
}

func deletePage(e *core.RequestEvent) error {
	p := web.NewPage(e, "volunteer.delete.title", nil)
	p.Styles = []string{"css/volunteers.css"}
	return web.Render(e, http.StatusOK, "volunteer/delete", p)
}

// deleteSubmit deletes the volunteer's account; their assignments go with
// it (the schema cascades), and so does the personal link of each.
func deleteSubmit(e *core.RequestEvent) error {
	v, err := e.App.FindRecordById(domain.Volunteers, e.Auth.Id)
	if err != nil {
		return web.NotFound(e)
	}
	if err := e.App.Delete(v); err != nil {
		return fmt.Errorf("delete volunteer: %w", err)
	}
	web.ClearSession(e)
	return showNotice(e, http.StatusOK, "volunteer.deleted.title", "volunteer.deleted.text", "/", "error.home")
}
