package volunteers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// Errors of Invite.
var (
	ErrShiftNotFound = errors.New("no such shift")
	// ErrShiftClosed: the shift has started or its event was cancelled.
	ErrShiftClosed = errors.New("the shift has started or its event was cancelled")
)

// maxInviteList is the most volunteers one invitation request may name.
const maxInviteList = 500

// Match chooses volunteers for a shift by language and skill. A volunteer
// matches when an organiser approved them, the address is confirmed, they
// agreed to be contacted, they speak ANY of Languages (when Languages is empty, language does not
// matter) and they have ALL of Skills. Skills nil means the shift's role;
// an empty, non-nil Skills means skills do not matter.
type Match struct {
	Languages []string
	Skills    []string
}

// Invite invites volunteers to a shift: those named in ids, or, when match
// is not nil, every volunteer it matches. Volunteers without a confirmed
// address or without consent to be contacted are skipped, and so is anyone
// already invited to the shift (whatever they answered), and anyone who
// holds a shift that overlaps it: inviting twice sends nothing new. Naming a volunteer who is not approved (pending or
// paused) invites nobody: ErrNotApproved; a match selects only approved
// volunteers. Each new invitee gets an assignment and one mail in
// their language with the links to answer, both queued in one transaction
// (the mail is written when it is sent). It returns how many were newly
// invited.
func Invite(app core.App, shiftID string, ids []string, match *Match, now time.Time) (int, error) {
	invited := 0
	err := app.RunInTransaction(func(tx core.App) error {
		shift, err := tx.FindRecordById(domain.Shifts, shiftID)
		if err != nil {
			return ErrShiftNotFound
		}
		ev, err := tx.FindRecordById(domain.Events, shift.GetString("event"))
		if err != nil {
			return ErrShiftNotFound
		}
		if !domain.ShiftOpen(ev, shift.GetDateTime("starts_at").Time(), now) {
			return ErrShiftClosed
		}
		var targets []*core.Record
		if match != nil {
			targets, err = matching(tx, shift, *match)
		} else {
			targets, err = listed(tx, ids)
		}
		if err != nil {
			return err
		}
		have, err := assignedTo(tx, shift.Id)
		if err != nil {
			return err
		}
		col, err := tx.FindCachedCollectionByNameOrId(domain.Assignments)
		if err != nil {
			return err
		}
		for _, v := range targets {
			if have[v.Id] {
				continue
			}
			// Someone who holds a shift at the same time cannot take this one.
			if clash, err := shiftOverlaps(tx, v.Id, shift); err != nil {
				return err
			} else if clash {
				continue
			}
			a := core.NewRecord(col)
			a.Set("shift", shift.Id)
			a.Set("volunteer", v.Id)
			a.Set("status", domain.AssignmentInvited)
			if err := tx.Save(a); err != nil {
				return fmt.Errorf("save assignment: %w", err)
			}
			if err := queueMail(tx, v, mailInvite, a.Id); err != nil {
				return err
			}
			have[v.Id] = true
			invited++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return invited, nil
}

// reachable is the condition for a volunteer Kopā may write to.
var reachable = dbx.NewExp("[[volunteers.verified]] = TRUE AND [[volunteers.contact_consent]] = TRUE")

// invitable is the condition for a volunteer Kopā may invite to a shift:
// reachable and approved by an organiser.
var invitable = dbx.And(reachable, dbx.HashExp{"volunteers.status": VolunteerApproved})

// matching finds the volunteers a match selects for a shift.
func matching(tx core.App, shift *core.Record, m Match) ([]*core.Record, error) {
	skills := m.Skills
	if skills == nil {
		skills = []string{shift.GetString("role")}
	}
	q := tx.RecordQuery(domain.Volunteers).AndWhere(invitable)
	if len(m.Languages) > 0 {
		params := dbx.Params{}
		names := make([]string, len(m.Languages))
		for i, l := range m.Languages {
			k := "lang" + strconv.Itoa(i)
			params[k] = l
			names[i] = "{:" + k + "}"
		}
		q.AndWhere(dbx.NewExp("EXISTS (SELECT 1 FROM json_each([[volunteers.languages]]) WHERE value IN ("+strings.Join(names, ",")+"))", params))
	}
	for i, s := range skills {
		k := "skill" + strconv.Itoa(i)
		q.AndWhere(dbx.NewExp("EXISTS (SELECT 1 FROM json_each([[volunteers.skills]]) WHERE value = {:"+k+"})", dbx.Params{k: s}))
	}
	var out []*core.Record
	if err := q.OrderBy("created ASC").All(&out); err != nil {
		return nil, fmt.Errorf("match volunteers: %w", err)
	}
	return out, nil
}

// listed finds the named volunteers that may be written to; an id that
// names no volunteer is an error, and so is one that names a volunteer
// who is not approved (ErrNotApproved).
func listed(tx core.App, ids []string) ([]*core.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := tx.FindRecordsByIds(domain.Volunteers, ids)
	if err != nil {
		return nil, err
	}
	if len(recs) != len(ids) {
		return nil, validation.Errors{"volunteers": validation.NewError("validation_unknown_volunteer", "Every id must name a volunteer.")}
	}
	out := recs[:0]
	for _, v := range recs {
		if !IsApproved(v) {
			return nil, ErrNotApproved
		}
		if v.Verified() && v.GetBool("contact_consent") {
			out = append(out, v)
		}
	}
	return out, nil
}

// assignedTo is the set of volunteers already on a shift, whatever their answer.
func assignedTo(tx core.App, shiftID string) (map[string]bool, error) {
	var ids []string
	err := tx.DB().Select("volunteer").From(domain.Assignments).Where(dbx.HashExp{"shift": shiftID}).Column(&ids)
	if err != nil {
		return nil, fmt.Errorf("assignments of shift: %w", err)
	}
	have := make(map[string]bool, len(ids))
	for _, id := range ids {
		have[id] = true
	}
	return have, nil
}

// shiftFacts are the lines that describe a shift in a mail.
func shiftFacts(l interface{ T(string, ...any) string }, span, title, role, venue string) []Fact {
	facts := []Fact{{l.T("vmail.event"), title}, {l.T("vmail.role"), role}, {l.T("event.when"), span}}
	if venue != "" {
		facts = append(facts, Fact{l.T("event.where"), venue})
	}
	return facts
}

// InviteURL is the absolute address of an invitation's page, in lang;
// answer ("accept" or "decline") preselects a button there.
func InviteURL(app core.App, token, answer, lang string) string {
	q := url.Values{}
	if answer != "" {
		q.Set("a", answer)
	}
	return pageURL(app, "/i/"+token, q, lang)
}

// inviteMail asks volunteer v to take a shift.
func inviteMail(app core.App, ev, shift, v, a *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	title := domain.Localized(ev, "title", l.Lang)
	role := l.T("skill." + shift.GetString("role"))
	span := l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
	token := a.GetString("token")
	d.Title = l.T("vmail.invite.subject", "Role", role, "Title", title)
	d.Paras = []string{l.T("vmail.invite.lead")}
	need, err := neededOf(app, ev, shift, v, l)
	if err != nil {
		return outbox.Message{}, err
	}
	if need != "" {
		d.Paras = append(d.Paras, need)
	}
	d.Facts = shiftFacts(l, span, title, role, ev.GetString("venue"))
	d.Buttons = []Link{
		{l.T("vmail.invite.accept"), InviteURL(app, token, "accept", l.Lang)},
		{l.T("vmail.invite.decline"), InviteURL(app, token, "decline", l.Lang)},
	}
	d.Notes = []string{l.T("vmail.invite.expires"), l.T("vmail.invite.calendar"), l.T("vmail.invite.portal", "URL", baseURL(app)+"/volunteer/me")}
	msg, err := message(v, mailInvite, a.Id, d)
	if err != nil {
		return msg, err
	}
	msg.Attachments = []outbox.Attachment{shiftAttachment(app, ev, shift, a, l.Lang)}
	return msg, nil
}

// neededOf says what the people coming asked of an interpreting or child
// minding shift, as the invitation is sent: the languages asked for that
// the volunteer speaks ("interpretation into Persian"), or how many
// children need minding. "" for other shifts, and when nobody asked.
func neededOf(app core.App, ev, shift, v *core.Record, l *i18n.Localizer) (string, error) {
	switch shift.GetString("role") {
	case domain.SkillInterpreting:
		needs, err := InterpretationNeeds(app, ev.Id)
		if err != nil {
			return "", err
		}
		speaks := v.GetStringSlice("languages")
		var names []string
		for _, n := range needs {
			if contains(speaks, n.Lang) {
				names = append(names, l.T("lang."+n.Lang))
			}
		}
		if len(names) == 0 {
			return "", nil
		}
		return l.T("vmail.invite.need_interpreting", "Languages", strings.Join(names, ", ")), nil
	case domain.SkillChildcare:
		children, err := ChildrenToMind(app, ev.Id)
		if err != nil || children == 0 {
			return "", err
		}
		return l.N("vmail.invite.need_childcare", children), nil
	}
	return "", nil
}

// withdrawnMail tells volunteer v that the organisers withdrew their
// invitation to (or place on) a shift.
func withdrawnMail(app core.App, ev, shift, v, a *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	title := domain.Localized(ev, "title", l.Lang)
	role := l.T("skill." + shift.GetString("role"))
	span := l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
	d.Title = l.T("vmail.withdrawn.subject", "Role", role, "Title", title)
	d.Paras = []string{l.T("vmail.withdrawn.lead"), l.T("vmail.withdrawn.thanks")}
	d.Facts = shiftFacts(l, span, title, role, ev.GetString("venue"))
	d.Notes = []string{l.T("vmail.invite.portal", "URL", baseURL(app)+"/volunteer/me")}
	return message(v, mailWithdrawn, a.Id, d)
}

// InviteRequest is the body of POST /api/shifts/{id}/invite.
type InviteRequest struct {
	Volunteers []string
	Match      *Match
}

// DecodeInviteRequest reads and validates an invitation request: exactly
// one of "volunteers" (ids) and "match" ({"languages","skills"}).
func DecodeInviteRequest(data []byte) (InviteRequest, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return InviteRequest{}, validation.Errors{"body": validation.NewError("validation_invalid_json", "Must be a JSON object.")}
	}
	var req InviteRequest
	var err error
	errs := validation.Errors{}
	list, hasList := raw["volunteers"]
	m, hasMatch := raw["match"]
	hasList = hasList && string(list) != "null"
	hasMatch = hasMatch && string(m) != "null"
	switch {
	case hasList == hasMatch:
		errs["body"] = validation.NewError("validation_one_of", `Give either "volunteers" or "match".`)
	case hasList:
		if err := json.Unmarshal(list, &req.Volunteers); err != nil {
			errs["volunteers"] = validation.NewError("validation_invalid_type", "Must be a list of volunteer ids.")
			break
		}
		if len(req.Volunteers) == 0 || len(req.Volunteers) > maxInviteList {
			errs["volunteers"] = validation.NewError("validation_length_out_of_range", fmt.Sprintf("Must name 1 to %d volunteers.", maxInviteList))
			break
		}
		seen := map[string]bool{}
		ids := req.Volunteers[:0]
		for _, id := range req.Volunteers {
			if id == "" || len(id) > 64 {
				errs["volunteers"] = validation.NewError("validation_unknown_volunteer", "Every id must name a volunteer.")
				break
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		req.Volunteers = ids
	default:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(m, &fields); err != nil {
			errs["match"] = validation.NewError("validation_invalid_type", `Must be an object {"languages":[…],"skills":[…]}.`)
			break
		}
		req.Match = &Match{}
		sub := validation.Errors{}
		if v, ok := fields["languages"]; ok && string(v) != "null" {
			var langs []string
			if json.Unmarshal(v, &langs) != nil {
				sub["languages"] = validation.NewError("validation_invalid_type", "Must be a list of language codes.")
			} else if req.Match.Languages, err = pick(langs, domain.Languages); err != nil {
				sub["languages"] = err
			}
		}
		if v, ok := fields["skills"]; ok && string(v) != "null" {
			var skills []string
			if json.Unmarshal(v, &skills) != nil {
				sub["skills"] = validation.NewError("validation_invalid_type", "Must be a list of skills.")
			} else if req.Match.Skills, err = pick(skills, domain.Skills); err != nil {
				sub["skills"] = err
			}
		}
		if len(sub) > 0 {
			errs["match"] = sub
		}
	}
	if len(errs) > 0 {
		return req, errs
	}
	return req, nil
}

// apiInvite is POST /api/shifts/{id}/invite, for organisers.
func apiInvite(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Log in as an organiser.", nil)
	}
	if !domain.IsStaff(e.Auth) {
		return e.ForbiddenError("Only organisers invite volunteers.", nil)
	}
	data, err := web.ReadBody(e)
	if err != nil {
		return err
	}
	req, err := DecodeInviteRequest(data)
	if err != nil {
		return e.BadRequestError("Please check the highlighted fields.", err)
	}
	n, err := Invite(e.App, e.Request.PathValue("id"), req.Volunteers, req.Match, time.Now())
	var verrs validation.Errors
	switch {
	case errors.Is(err, ErrShiftNotFound):
		return e.NotFoundError("No such shift.", nil)
	case errors.Is(err, ErrNotApproved):
		return web.CodeError(http.StatusConflict, "not_approved", "Only approved volunteers can be invited; nobody was invited.")
	case errors.Is(err, ErrShiftClosed):
		return web.CodeError(http.StatusConflict, "closed", "The shift has started or its event was cancelled.")
	case errors.As(err, &verrs):
		return e.BadRequestError("Please check the highlighted fields.", verrs)
	case err != nil:
		return err
	}
	return e.JSON(http.StatusAccepted, map[string]int{"invited": n})
}
