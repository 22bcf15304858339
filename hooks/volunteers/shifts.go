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
// interpretation into one language, and how many people they hold (a
// party asks for all of its people).
type Need struct {
	Lang   string `db:"lang"`
	Count  int    `db:"n"`
	People int    `db:"people"`
}

// InterpretationNeeds counts the event's registrations that are not
// cancelled by the language they asked interpretation into, most people
// first.
func InterpretationNeeds(app core.App, eventID string) ([]Need, error) {
	var needs []Need
	err := app.DB().NewQuery(
		"SELECT je.value AS lang, COUNT(*) AS n, SUM(MAX(r.party, 1)) AS people FROM {{registrations}} r, json_each(r.interpretation) je " +
			"WHERE r.event = {:event} AND r.status != {:cancelled} GROUP BY je.value ORDER BY people DESC, n DESC, lang",
	).Bind(dbx.Params{"event": eventID, "cancelled": domain.RegistrationCancelled}).All(&needs)
	if err != nil {
		return nil, fmt.Errorf("interpretation needs: %w", err)
	}
	return needs, nil
}

// ChildrenToMind is how many children the event's registrations that are
// not cancelled asked to have minded.
func ChildrenToMind(app core.App, eventID string) (int, error) {
	var row struct {
		N int `db:"n"`
	}
	err := app.DB().NewQuery("SELECT COALESCE(SUM(childcare), 0) AS n FROM {{registrations}} WHERE event = {:event} AND status != {:cancelled}").
		Bind(dbx.Params{"event": eventID, "cancelled": domain.RegistrationCancelled}).One(&row)
	if err != nil {
		return 0, fmt.Errorf("children to mind: %w", err)
	}
	return row.N, nil
}

// Wish is one thing an event's registrations asked for, against the
// volunteers who answer it: interpretation into Lang, or child minding
// (Lang ""). People is how many asked (for child minding, the children);
// Volunteers are the names of those who accepted a place on one of the
// event's shifts for it: an interpreting shift and speak Lang, or a child
// minding shift.
type Wish struct {
	Lang       string
	People     int
	Volunteers []string
}

// Covered reports whether someone answers the wish.
func (w Wish) Covered() bool { return len(w.Volunteers) > 0 }

// Names lists the volunteers who answer the wish, for the console.
func (w Wish) Names() string { return strings.Join(w.Volunteers, ", ") }

// Wishes lists the event's wishes with who answers them: a language per
// interpretation wish (most people first), then child minding when a
// child needs it.
func Wishes(app core.App, eventID string) ([]Wish, error) {
	needs, err := InterpretationNeeds(app, eventID)
	if err != nil {
		return nil, err
	}
	children, err := ChildrenToMind(app, eventID)
	if err != nil {
		return nil, err
	}
	var cover []struct {
		Role string `db:"role"`
		Name string `db:"name"`
		Lang string `db:"lang"`
	}
	err = app.DB().NewQuery(`SELECT DISTINCT s.role AS role, v.name AS name, COALESCE(je.value, '') AS lang
		FROM {{assignments}} a JOIN {{shifts}} s ON s.id = a.shift JOIN {{volunteers}} v ON v.id = a.volunteer
		LEFT JOIN json_each(v.languages) je ON s.role = {:interpreting}
		WHERE s.event = {:event} AND a.status = {:accepted} AND s.role IN ({:interpreting}, {:childcare})
		ORDER BY v.name`).Bind(dbx.Params{"event": eventID, "accepted": domain.AssignmentAccepted,
		"interpreting": domain.SkillInterpreting, "childcare": domain.SkillChildcare}).All(&cover)
	if err != nil {
		return nil, fmt.Errorf("who answers the wishes: %w", err)
	}
	who := func(role, lang string) []string {
		var names []string
		for _, c := range cover {
			if c.Role == role && c.Lang == lang && !contains(names, c.Name) {
				names = append(names, c.Name)
			}
		}
		return names
	}
	wishes := make([]Wish, 0, len(needs)+1)
	for _, n := range needs {
		wishes = append(wishes, Wish{Lang: n.Lang, People: n.People, Volunteers: who(domain.SkillInterpreting, n.Lang)})
	}
	if children > 0 {
		wishes = append(wishes, Wish{People: children, Volunteers: who(domain.SkillChildcare, "")})
	}
	return wishes, nil
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
	Event  domain.EventView
	Shifts []ShiftRow
	Needs  []Need
	// Wishes are the interpretation and child minding asked for, with
	// who answers them.
	Wishes                  []Wish
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
	if d.Wishes, err = Wishes(e.App, ev.Id); err != nil {
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
	return web.Render(e, status, "manage/shifts", web.NewConsolePage(e, "shifts.title", d, "css/volunteers.css"))
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
	return InviteFor(app, eventID, "", now)
}

// childrenPerMinder is how many children one child minder looks after,
// for the places of a child minding shift made for an event's wishes.
const childrenPerMinder = 4

// InviteFor invites the approved volunteers who answer one of an event's
// wishes to a shift over the event's time: the interpreters who speak
// lang (any language asked, when lang is ""), or, for lang
// domain.SkillChildcare, the child minders. The shift is the event's
// interpreting or child minding shift over its time, made if there is
// none yet (with a place per language asked, or a minder per four
// children). The invitation names the language or the children (see
// inviteMail). It returns the shift's id and how many were newly invited;
// without such a wish it does nothing.
func InviteFor(app core.App, eventID, lang string, now time.Time) (string, int, error) {
	role, needed := domain.SkillInterpreting, 0
	var langs []string
	if lang == domain.SkillChildcare {
		children, err := ChildrenToMind(app, eventID)
		if err != nil || children == 0 {
			return "", 0, err
		}
		role, needed = domain.SkillChildcare, (children+childrenPerMinder-1)/childrenPerMinder
	} else {
		needs, err := InterpretationNeeds(app, eventID)
		if err != nil || len(needs) == 0 {
			return "", 0, err
		}
		for _, n := range needs {
			if lang == "" || n.Lang == lang {
				langs = append(langs, n.Lang)
			}
		}
		if len(langs) == 0 {
			return "", 0, nil
		}
		needed = len(needs)
	}
	var shiftID string
	err := app.RunInTransaction(func(tx core.App) error {
		ev, err := tx.FindRecordById(domain.Events, eventID)
		if err != nil {
			return ErrShiftNotFound
		}
		if !domain.ShiftOpen(ev, ev.GetDateTime("starts_at").Time(), now) {
			return ErrShiftClosed
		}
		s, err := tx.FindFirstRecordByFilter(domain.Shifts, "event = {:e} && role = {:role} && starts_at = {:s} && ends_at = {:en}",
			dbx.Params{"e": ev.Id, "role": role, "s": ev.GetDateTime("starts_at").String(), "en": ev.GetDateTime("ends_at").String()})
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
		s.Set("role", role)
		s.Set("needed", needed)
		s.Set("starts_at", ev.GetDateTime("starts_at"))
		s.Set("ends_at", ev.GetDateTime("ends_at"))
		if err := tx.Save(s); err != nil {
			return fmt.Errorf("save %s shift: %w", role, err)
		}
		shiftID = s.Id
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	n, err := Invite(app, shiftID, nil, &Match{Languages: langs, Skills: []string{role}}, now)
	return shiftID, n, err
}

// inviteInterpreters is the console's one click: the interpreters of every
// language asked for, or of the form's lang only.
func inviteInterpreters(e *core.RequestEvent) error {
	return inviteForWish(e, func(f url.Values) (string, bool) {
		lang := f.Get("lang")
		return lang, lang == "" || contains(domain.Languages, lang)
	})
}

// inviteChildMinders is the console's one click for child minding.
func inviteChildMinders(e *core.RequestEvent) error {
	return inviteForWish(e, func(url.Values) (string, bool) { return domain.SkillChildcare, true })
}

func inviteForWish(e *core.RequestEvent, wish func(url.Values) (string, bool)) error {
	ev := findEvent(e)
	if ev == nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	lang, ok := wish(f)
	if !ok {
		return e.BadRequestError("", nil)
	}
	shiftID, n, err := InviteFor(e.App, ev.Id, lang, time.Now())
	if errors.Is(err, ErrShiftClosed) {
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+ev.Id+"/shifts?error=closed")
	}
	if err != nil {
		return err
	}
	if shiftID == "" { // nothing asked for (any more)
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+ev.Id+"/shifts")
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
