package volunteers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// Need is how many registrations (not cancelled) of an event asked for
// interpretation into one language.
type Need struct {
	Lang  string `db:"lang"`
	Count int    `db:"n"`
}

// InterpretationNeeds counts the event's registrations that are not
// cancelled by the language they asked interpretation into, most asked
// first.
func InterpretationNeeds(app core.App, eventID string) ([]Need, error) {
	var needs []Need
	err := app.DB().NewQuery(
		"SELECT je.value AS lang, COUNT(*) AS n FROM {{registrations}} r, json_each(r.interpretation) je " +
			"WHERE r.event = {:event} AND r.status != {:cancelled} GROUP BY je.value ORDER BY n DESC, lang",
	).Bind(dbx.Params{"event": eventID, "cancelled": domain.RegistrationCancelled}).All(&needs)
	if err != nil {
		return nil, fmt.Errorf("interpretation needs: %w", err)
	}
	return needs, nil
}

// AssignmentRow is one invited volunteer as organisers see it.
type AssignmentRow struct {
	ID, Name    string
	Status      domain.AssignmentStatus
	RespondedAt time.Time
	// CanWithdraw: the invitation is open or accepted and the shift has
	// not started.
	CanWithdraw bool
}

// ShiftRow is a shift with its invitees.
type ShiftRow struct {
	ShiftView
	Notes       string
	Assignments []AssignmentRow
}

// VolunteerRow is a volunteer organisers may pick.
type VolunteerRow struct {
	ID, Name          string
	Languages, Skills []string
}

// ShiftForm is the state of the create-shift form.
type ShiftForm struct {
	Role, Starts, Ends, Notes string
	Needed                    int
	Errors                    map[string]string
}

// ShiftsData is what the organisers' shifts page receives.
type ShiftsData struct {
	Event                   domain.EventView
	Shifts                  []ShiftRow
	Needs                   []Need
	Volunteers              []VolunteerRow
	Form                    ShiftForm
	AllLanguages, AllSkills []string
	// Invited is set after an invitation: how many were newly invited.
	Invited      int
	InvitedSet   bool
	Created      bool
	Error        string // message id
	InvitedShift string
	// Withdrawn is set after an invitation was withdrawn.
	Withdrawn bool
}

const localLayout = "2006-01-02T15:04"

// fromLocal reads a datetime-local value in Riga time.
func fromLocal(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(localLayout, s, i18n.Riga)
	return t, err == nil
}

// showShifts renders /manage/events/{id}/shifts.
func showShifts(e *core.RequestEvent, status int, ev *core.Record, d ShiftsData) error {
	lang := web.Lang(e)
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return err
	}
	d.Event = domain.NewEventView(ev, lang, st)
	shifts, err := e.App.FindAllRecords(domain.Shifts, dbx.HashExp{"event": ev.Id})
	if err != nil {
		return err
	}
	for _, s := range shifts {
		view, err := newShiftView(e.App, s, ev, lang)
		if err != nil {
			return err
		}
		row := ShiftRow{ShiftView: view, Notes: s.GetString("notes")}
		as, err := e.App.FindAllRecords(domain.Assignments, dbx.HashExp{"shift": s.Id})
		if err != nil {
			return err
		}
		for _, a := range as {
			name := "—"
			if v, err := e.App.FindRecordById(domain.Volunteers, a.GetString("volunteer")); err == nil {
				name = v.GetString("name")
			}
			st := domain.AssignmentStatusOf(a)
			row.Assignments = append(row.Assignments, AssignmentRow{ID: a.Id, Name: name, Status: st, RespondedAt: a.GetDateTime("responded_at").Time(),
				CanWithdraw: (st == domain.AssignmentInvited || st == domain.AssignmentAccepted) && time.Now().Before(s.GetDateTime("starts_at").Time())})
		}
		d.Shifts = append(d.Shifts, row)
	}
	sortShifts(d.Shifts)
	if d.Needs, err = InterpretationNeeds(e.App, ev.Id); err != nil {
		return err
	}
	vols, err := e.App.FindAllRecords(domain.Volunteers, invitable)
	if err != nil {
		return err
	}
	for _, v := range vols {
		d.Volunteers = append(d.Volunteers, VolunteerRow{ID: v.Id, Name: v.GetString("name"), Languages: v.GetStringSlice("languages"), Skills: v.GetStringSlice("skills")})
	}
	d.AllLanguages, d.AllSkills = domain.Languages, domain.Skills
	if d.Form.Role == "" {
		start := d.Event.StartsAt.Add(-30 * time.Minute)
		d.Form = ShiftForm{Role: domain.SkillDoor, Needed: 2, Starts: start.In(i18n.Riga).Format(localLayout), Ends: d.Event.EndsAt.In(i18n.Riga).Format(localLayout)}
	}
	p := web.NewPage(e, "shifts.title", d)
	p.Wide = true
	p.Styles = []string{"css/manage.css", "css/volunteers.css"}
	return web.Render(e, status, "manage/shifts", p)
}

func sortShifts(rows []ShiftRow) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].StartsAt.Before(rows[j].StartsAt) })
}

func findEvent(e *core.RequestEvent) *core.Record {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return nil
	}
	return ev
}

func shiftsPage(e *core.RequestEvent) error {
	ev := findEvent(e)
	if ev == nil {
		return web.NotFound(e)
	}
	q := e.Request.URL.Query()
	d := ShiftsData{Created: q.Get("created") == "1", InvitedShift: q.Get("shift")}
	if n := q.Get("invited"); n != "" {
		if v, err := strconv.Atoi(n); err == nil && v >= 0 {
			d.Invited, d.InvitedSet = v, true
		}
	}
	switch q.Get("error") {
	case "closed":
		d.Error = "shifts.error.closed"
	case "not_approved":
		d.Error = "shifts.error.not_approved"
	}
	d.Withdrawn = q.Get("withdrawn") == "1"
	return showShifts(e, http.StatusOK, ev, d)
}

// assignmentWithdraw withdraws an invitation or an accepted place: the
// organisers no longer need that volunteer on that shift. The volunteer is
// told by mail, and the invitation's page says so from then on. Only
// before the shift starts; twice is harmless.
func assignmentWithdraw(e *core.RequestEvent) error {
	ev := findEvent(e)
	if ev == nil {
		return web.NotFound(e)
	}
	shift, err := e.App.FindRecordById(domain.Shifts, e.Request.PathValue("shift"))
	if err != nil || shift.GetString("event") != ev.Id {
		return web.NotFound(e)
	}
	back := "/manage/events/" + ev.Id + "/shifts"
	err = e.App.RunInTransaction(func(tx core.App) error {
		a, err := tx.FindRecordById(domain.Assignments, e.Request.PathValue("assignment"))
		if err != nil || a.GetString("shift") != shift.Id {
			return errNotHere
		}
		if st := domain.AssignmentStatusOf(a); st != domain.AssignmentInvited && st != domain.AssignmentAccepted {
			return nil // declined or withdrawn already
		}
		if !time.Now().Before(shift.GetDateTime("starts_at").Time()) {
			return ErrShiftClosed
		}
		a.Set("status", domain.AssignmentCancelled)
		if err := tx.Save(a); err != nil {
			return err
		}
		v, err := tx.FindRecordById(domain.Volunteers, a.GetString("volunteer"))
		if err != nil {
			return nil // the volunteer deleted their account meanwhile
		}
		return queueMail(tx, v, mailWithdrawn, a.Id)
	})
	switch {
	case errors.Is(err, errNotHere):
		return web.NotFound(e)
	case errors.Is(err, ErrShiftClosed):
		return e.Redirect(http.StatusSeeOther, back+"?error=closed")
	case err != nil:
		return err
	}
	return e.Redirect(http.StatusSeeOther, back+"?withdrawn=1#shift-"+shift.Id)
}

var errNotHere = errors.New("no such assignment on this shift")

// validateShift keeps a shift's ends_at after its starts_at, for every
// write: the console, the record API and our own code alike.
func validateShift(e *core.RecordEvent) error {
	s, en := e.Record.GetDateTime("starts_at"), e.Record.GetDateTime("ends_at")
	if !s.IsZero() && !en.IsZero() && !en.Time().After(s.Time()) {
		return validation.Errors{"ends_at": validation.NewError("validation_ends_before_starts", "Must be after the start.")}
	}
	return e.Next()
}

// shiftCreate adds a shift to the event from the form (Riga local times).
func shiftCreate(e *core.RequestEvent) error {
	ev := findEvent(e)
	if ev == nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	form := ShiftForm{Role: f.Get("role"), Starts: f.Get("starts_at"), Ends: f.Get("ends_at"), Notes: strings.TrimSpace(f.Get("notes")), Errors: map[string]string{}}
	if !contains(domain.Skills, form.Role) {
		form.Errors["role"] = "shifts.error.role"
	}
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("needed")))
	form.Needed = n
	if err != nil || n < 1 || n > 1000 {
		form.Errors["needed"] = "shifts.error.needed"
	}
	starts, okS := fromLocal(form.Starts)
	ends, okE := fromLocal(form.Ends)
	switch {
	case !okS || !okE:
		form.Errors["time"] = "shifts.error.time"
	case !ends.After(starts):
		form.Errors["time"] = "shifts.error.order"
	}
	if len([]rune(form.Notes)) > 1000 {
		form.Errors["notes"] = "shifts.error.notes"
	}
	if len(form.Errors) > 0 {
		if form.Role == "" {
			form.Role = domain.SkillDoor // keeps showShifts from resetting the typed values
		}
		return showShifts(e, http.StatusBadRequest, ev, ShiftsData{Form: form})
	}
	col, err := e.App.FindCachedCollectionByNameOrId(domain.Shifts)
	if err != nil {
		return err
	}
	s := core.NewRecord(col)
	s.Set("event", ev.Id)
	s.Set("role", form.Role)
	s.Set("needed", n)
	s.Set("starts_at", domain.DateTime(starts))
	s.Set("ends_at", domain.DateTime(ends))
	s.Set("notes", form.Notes)
	if err := e.App.Save(s); err != nil {
		return fmt.Errorf("save shift: %w", err)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+ev.Id+"/shifts?created=1")
}

// shiftInvite invites to one shift: by match (languages and skills ticked;
// no skill ticked means the shift's role) or the volunteers picked.
func shiftInvite(e *core.RequestEvent) error {
	ev := findEvent(e)
	if ev == nil {
		return web.NotFound(e)
	}
	shift, err := e.App.FindRecordById(domain.Shifts, e.Request.PathValue("shift"))
	if err != nil || shift.GetString("event") != ev.Id {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	var ids []string
	var match *Match
	if f.Get("mode") == "pick" {
		ids = f["volunteers"]
		if len(ids) == 0 || len(ids) > maxInviteList {
			return redirectInvited(e, ev.Id, shift.Id, 0)
		}
	} else {
		match = &Match{}
		if match.Languages, err = pick(f["languages"], domain.Languages); err != nil {
			return e.BadRequestError("", nil)
		}
		if skills, err := pick(f["skills"], domain.Skills); err != nil {
			return e.BadRequestError("", nil)
		} else if len(skills) > 0 {
			match.Skills = skills
		}
	}
	n, err := Invite(e.App, shift.Id, ids, match, time.Now())
	if errors.Is(err, ErrShiftClosed) {
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+ev.Id+"/shifts?error=closed")
	}
	if errors.Is(err, ErrNotApproved) { // paused since the page was shown
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+ev.Id+"/shifts?error=not_approved")
	}
	if err != nil && !isValidation(err) {
		return err
	}
	return redirectInvited(e, ev.Id, shift.Id, n)
}

func isValidation(err error) bool {
	var verrs validation.Errors
	return errors.As(err, &verrs)
}

func redirectInvited(e *core.RequestEvent, eventID, shiftID string, n int) error {
	q := url.Values{"invited": {strconv.Itoa(n)}, "shift": {shiftID}}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+eventID+"/shifts?"+q.Encode()+"#shift-"+shiftID)
}

// InviteInterpreters invites the interpreting volunteers whose languages
// match what the event's registrations asked for, to an interpreting shift
// over the event's time (made if the event has none yet, with a place per
// language asked for). It returns the shift's id and how many were newly
// invited; without any wish for interpretation it does nothing.
func InviteInterpreters(app core.App, eventID string, now time.Time) (string, int, error) {
	needs, err := InterpretationNeeds(app, eventID)
	if err != nil || len(needs) == 0 {
		return "", 0, err
	}
	langs := make([]string, len(needs))
	for i, n := range needs {
		langs[i] = n.Lang
	}
	var shiftID string
	err = app.RunInTransaction(func(tx core.App) error {
		ev, err := tx.FindRecordById(domain.Events, eventID)
		if err != nil {
			return ErrShiftNotFound
		}
		if !domain.ShiftOpen(ev, ev.GetDateTime("starts_at").Time(), now) {
			return ErrShiftClosed
		}
		s, err := tx.FindFirstRecordByFilter(domain.Shifts, "event = {:e} && role = {:role} && starts_at = {:s} && ends_at = {:en}",
			dbx.Params{"e": ev.Id, "role": domain.SkillInterpreting, "s": ev.GetDateTime("starts_at").String(), "en": ev.GetDateTime("ends_at").String()})
		if err == nil {
			shiftID = s.Id
			return nil
		}
		col, err := tx.FindCachedCollectionByNameOrId(domain.Shifts)
		if err != nil {
			return err
		}
		s = core.NewRecord(col)
		s.Set("event", ev.Id)
		s.Set("role", domain.SkillInterpreting)
		s.Set("needed", len(langs))
		s.Set("starts_at", ev.GetDateTime("starts_at"))
		s.Set("ends_at", ev.GetDateTime("ends_at"))
		if err := tx.Save(s); err != nil {
			return fmt.Errorf("save interpreting shift: %w", err)
		}
		shiftID = s.Id
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	n, err := Invite(app, shiftID, nil, &Match{Languages: langs, Skills: []string{domain.SkillInterpreting}}, now)
	return shiftID, n, err
}

func inviteInterpreters(e *core.RequestEvent) error {
	ev := findEvent(e)
	if ev == nil {
		return web.NotFound(e)
	}
	shiftID, n, err := InviteInterpreters(e.App, ev.Id, time.Now())
	if errors.Is(err, ErrShiftClosed) {
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+ev.Id+"/shifts?error=closed")
	}
	if err != nil {
		return err
	}
	return redirectInvited(e, ev.Id, shiftID, n)
}

// MoveShifts moves every shift of the event by d, keeping each shift's
// time relative to the event's start when the event moves by d. The
// volunteers who accepted a moved shift will be reminded again before its
// new time. Call it in the transaction that moves the event: the
// volunteers' change notice, written when it is sent, then shows the new
// times.
func MoveShifts(tx core.App, eventID string, d time.Duration) (int, error) {
	if d == 0 {
		return 0, nil
	}
	shifts, err := tx.FindAllRecords(domain.Shifts, dbx.HashExp{"event": eventID})
	if err != nil {
		return 0, fmt.Errorf("shifts of event %s: %w", eventID, err)
	}
	for _, s := range shifts {
		s.Set("starts_at", domain.DateTime(s.GetDateTime("starts_at").Time().Add(d)))
		s.Set("ends_at", domain.DateTime(s.GetDateTime("ends_at").Time().Add(d)))
		if err := tx.Save(s); err != nil {
			return 0, fmt.Errorf("move shift %s: %w", s.Id, err)
		}
		reminded, err := tx.FindAllRecords(domain.Assignments, dbx.HashExp{"shift": s.Id, "status": domain.AssignmentAccepted}, dbx.NewExp("reminded_at != ''"))
		if err != nil {
			return 0, fmt.Errorf("assignments of shift %s: %w", s.Id, err)
		}
		for _, a := range reminded {
			a.Set("reminded_at", "")
			if err := tx.Save(a); err != nil {
				return 0, fmt.Errorf("remind again %s: %w", a.Id, err)
			}
		}
	}
	return len(shifts), nil
}
