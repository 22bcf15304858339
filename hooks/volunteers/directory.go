package volunteers

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/web"
	"kopa/internal/domain"
)

// maxDirectoryRows bounds one page of the directory.
const maxDirectoryRows = 1000

// maxNoteLength bounds the organisers' note on a volunteer.
const maxNoteLength = 5000

// DirectoryRow is one volunteer in the organisers' directory.
type DirectoryRow struct {
	ID, Name, Email, Status string
	Languages, Skills       []string
	Verified                bool
	Created                 time.Time
}

// Directory is what /manage/volunteers shows: the volunteers that pass
// the filters, and the filters.
type Directory struct {
	Rows []DirectoryRow
	// Q searches names and addresses; Lang, Skill and Status filter.
	Q, Lang, Skill, Status string
	// Total is how many volunteers there are, before filtering.
	Total int
	// Notice is a message id after an action (an erasure).
	Notice                            string
	AllLanguages, AllSkills, Statuses []string
}

// directoryPage is GET /manage/volunteers: every volunteer, filtered by
// language, skill and status, and searched by name or address.
func directoryPage(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	d := Directory{Q: strings.TrimSpace(q.Get("q")), AllLanguages: domain.Languages, AllSkills: domain.Skills}
	for _, s := range domain.VolunteerStatuses {
		d.Statuses = append(d.Statuses, string(s))
	}
	if contains(domain.Languages, q.Get("language")) {
		d.Lang = q.Get("language")
	}
	if contains(domain.Skills, q.Get("skill")) {
		d.Skill = q.Get("skill")
	}
	if contains(d.Statuses, q.Get("status")) {
		d.Status = q.Get("status")
	}
	if q.Get("notice") == "erased" {
		d.Notice = "vdir.erased"
	}
	total, err := e.App.CountRecords(domain.Volunteers)
	if err != nil {
		return fmt.Errorf("count volunteers: %w", err)
	}
	d.Total = int(total)
	query := e.App.RecordQuery(domain.Volunteers)
	if d.Lang != "" {
		query.AndWhere(dbx.NewExp("EXISTS (SELECT 1 FROM json_each([[volunteers.languages]]) WHERE value = {:lang})", dbx.Params{"lang": d.Lang}))
	}
	if d.Skill != "" {
		query.AndWhere(dbx.NewExp("EXISTS (SELECT 1 FROM json_each([[volunteers.skills]]) WHERE value = {:skill})", dbx.Params{"skill": d.Skill}))
	}
	if d.Status != "" {
		query.AndWhere(dbx.HashExp{"volunteers.status": d.Status})
	}
	if d.Q != "" {
		if len(d.Q) > 200 {
			d.Q = d.Q[:200]
		}
		query.AndWhere(dbx.Or(dbx.Like("volunteers.name", d.Q), dbx.Like("volunteers.email", d.Q)))
	}
	var recs []*core.Record
	if err := query.OrderBy("name ASC", "created ASC").Limit(maxDirectoryRows).All(&recs); err != nil {
		return fmt.Errorf("list volunteers: %w", err)
	}
	for _, v := range recs {
		d.Rows = append(d.Rows, DirectoryRow{
			ID: v.Id, Name: v.GetString("name"), Email: v.Email(), Status: v.GetString("status"),
			Languages: v.GetStringSlice("languages"), Skills: v.GetStringSlice("skills"),
			Verified: v.Verified(), Created: v.GetDateTime("created").Time(),
		})
	}
	return renderConsole(e, http.StatusOK, "vdir.title", "manage/volunteers", d)
}

// renderConsole renders a console page of this package.
func renderConsole(e *core.RequestEvent, status int, title, name string, data any) error {
	return web.Render(e, status, name, web.NewConsolePage(e, title, data, "css/volunteers.css"))
}

// VolunteerShift is one of a volunteer's shifts on their console page.
type VolunteerShift struct {
	ShiftView
	Status domain.AssignmentStatus
	// Arrived is when the volunteer checked in on the shift (zero if they
	// did not); Hours what the shift counts, as the hours report counts it.
	Arrived time.Time
	Hours   float64
}

// VolunteerPage is what /manage/volunteers/{id} shows.
type VolunteerPage struct {
	DirectoryRow
	Phone, Locale, Notes string
	ContactConsent       bool
	Shifts               []VolunteerShift
	// Hours is the sum of their shifts' hours.
	Hours float64
	// Invitable are the shifts an organiser may invite them to: open
	// shifts of their skills they hold no invitation to (approved and
	// reachable volunteers only).
	Invitable []ShiftView
	// Reachable: the address is confirmed and they agreed to be contacted.
	Reachable bool
	// Notice is a message id after an action; Error one after a refusal.
	Notice, Error string
}

// findVolunteer is the volunteer of the path's {id}, or nil.
func findVolunteer(e *core.RequestEvent) *core.Record {
	v, err := e.App.FindRecordById(domain.Volunteers, e.Request.PathValue("id"))
	if err != nil {
		return nil
	}
	return v
}

// volunteerShifts lists every shift volunteer v was invited to or took,
// newest first.
func volunteerShifts(app core.App, volunteerID, lang string) ([]VolunteerShift, error) {
	recs, err := app.FindAllRecords(domain.Assignments, dbx.HashExp{"volunteer": volunteerID})
	if err != nil {
		return nil, fmt.Errorf("assignments of volunteer: %w", err)
	}
	out := make([]VolunteerShift, 0, len(recs))
	for _, a := range recs {
		shift, err := app.FindRecordById(domain.Shifts, a.GetString("shift"))
		if err != nil {
			continue
		}
		ev, err := app.FindRecordById(domain.Events, shift.GetString("event"))
		if err != nil {
			continue
		}
		view, err := newShiftView(app, shift, ev, lang)
		if err != nil {
			return nil, err
		}
		arrived := a.GetDateTime("arrived_at").Time()
		out = append(out, VolunteerShift{
			ShiftView: view, Status: domain.AssignmentStatusOf(a), Arrived: arrived,
			Hours: domain.ShiftHours(view.StartsAt, view.EndsAt, arrived),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartsAt.After(out[j].StartsAt) })
	return out, nil
}

// showVolunteer renders one volunteer's console page.
func showVolunteer(e *core.RequestEvent, status int, v *core.Record, d VolunteerPage) error {
	d.DirectoryRow = DirectoryRow{
		ID: v.Id, Name: v.GetString("name"), Email: v.Email(), Status: v.GetString("status"),
		Languages: v.GetStringSlice("languages"), Skills: v.GetStringSlice("skills"),
		Verified: v.Verified(), Created: v.GetDateTime("created").Time(),
	}
	d.Phone, d.Locale, d.ContactConsent = v.GetString("phone"), localeOf(v), v.GetBool("contact_consent")
	if d.Error == "" {
		d.Notes = v.GetString("notes")
	}
	var err error
	if d.Shifts, err = volunteerShifts(e.App, v.Id, web.Lang(e)); err != nil {
		return err
	}
	for _, s := range d.Shifts {
		d.Hours += s.Hours
	}
	d.Reachable = v.Verified() && v.GetBool("contact_consent")
	if d.Reachable {
		open, err := OpenShifts(e.App, v, web.Lang(e), time.Now())
		if err != nil {
			return err
		}
		held := map[string]bool{}
		for _, s := range d.Shifts {
			held[s.ID] = true
		}
		for _, s := range open {
			if !held[s.ID] {
				d.Invitable = append(d.Invitable, s)
			}
		}
	}
	return renderConsole(e, status, "vdir.volunteer_title", "manage/volunteer", d)
}

// volunteerNotices are the notices a volunteer's page shows after a redirect.
var volunteerNotices = map[string]string{
	"approved": "vdir.notice.approved",
	"paused":   "vdir.notice.paused",
	"pending":  "vdir.notice.pending",
	"notes":    "vdir.notice.notes",
	"invited":  "vdir.notice.invited",
}

// volunteerPage is GET /manage/volunteers/{id}.
func volunteerPage(e *core.RequestEvent) error {
	v := findVolunteer(e)
	if v == nil {
		return web.NotFound(e)
	}
	return showVolunteer(e, http.StatusOK, v, VolunteerPage{Notice: volunteerNotices[e.Request.URL.Query().Get("notice")]})
}

// volunteerStatus is POST /manage/volunteers/{id}/status: approve or
// pause a volunteer (status = approved or paused). The volunteer is mailed
// by the hook that watches every change of status.
func volunteerStatus(e *core.RequestEvent) error {
	v := findVolunteer(e)
	if v == nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	to := f.Get("status")
	if to != VolunteerApproved && to != VolunteerPaused {
		return showVolunteer(e, http.StatusBadRequest, v, VolunteerPage{Error: "vdir.error.status"})
	}
	if v.GetString("status") != to {
		v.Set("status", to)
		if err := e.App.Save(v); err != nil {
			return fmt.Errorf("save volunteer's status: %w", err)
		}
	}
	return e.Redirect(http.StatusSeeOther, "/manage/volunteers/"+v.Id+"?notice="+to)
}

// volunteerNotes is POST /manage/volunteers/{id}/notes: the organisers'
// note on a volunteer, which the volunteer never sees.
func volunteerNotes(e *core.RequestEvent) error {
	v := findVolunteer(e)
	if v == nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	notes := strings.TrimSpace(strings.ReplaceAll(f.Get("notes"), "\r\n", "\n"))
	if len([]rune(notes)) > maxNoteLength {
		return showVolunteer(e, http.StatusBadRequest, v, VolunteerPage{Error: "vdir.error.notes", Notes: notes})
	}
	v.Set("notes", notes)
	if err := e.App.Save(v); err != nil {
		return fmt.Errorf("save volunteer's notes: %w", err)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/volunteers/"+v.Id+"?notice=notes")
}

// volunteerEraseConfirm is GET /manage/volunteers/{id}/erase: what erasing
// removes, and the button that does it.
func volunteerEraseConfirm(e *core.RequestEvent) error {
	v := findVolunteer(e)
	if v == nil {
		return web.NotFound(e)
	}
	d := VolunteerPage{DirectoryRow: DirectoryRow{ID: v.Id, Name: v.GetString("name"), Email: v.Email(), Status: v.GetString("status")}}
	return renderConsole(e, http.StatusOK, "vdir.erase_title", "manage/volunteer_erase", d)
}

// volunteerErase is POST /manage/volunteers/{id}/erase: the account is
// deleted with its assignments (the schema cascades); organisers of a shift
// that is now short are told as when a volunteer leaves by themselves.
func volunteerErase(e *core.RequestEvent) error {
	v := findVolunteer(e)
	if v == nil {
		return web.NotFound(e)
	}
	if err := e.App.Delete(v); err != nil {
		return fmt.Errorf("erase volunteer: %w", err)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/volunteers?notice=erased")
}

// volunteerInvite is POST /manage/volunteers/{id}/invite: invite the
// volunteer to one shift (shift = its id), with the mail Invite sends.
func volunteerInvite(e *core.RequestEvent) error {
	v := findVolunteer(e)
	if v == nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	shiftID := f.Get("shift")
	if shiftID == "" || len(shiftID) > 64 {
		return showVolunteer(e, http.StatusBadRequest, v, VolunteerPage{Error: "vdir.error.shift"})
	}
	n, err := Invite(e.App, shiftID, []string{v.Id}, nil, time.Now())
	switch {
	case errors.Is(err, ErrShiftNotFound):
		return showVolunteer(e, http.StatusBadRequest, v, VolunteerPage{Error: "vdir.error.shift"})
	case errors.Is(err, ErrNotApproved):
		return showVolunteer(e, http.StatusConflict, v, VolunteerPage{Error: "shifts.error.not_approved"})
	case errors.Is(err, ErrShiftClosed):
		return showVolunteer(e, http.StatusConflict, v, VolunteerPage{Error: "shifts.error.closed"})
	case err != nil:
		return err
	case n == 0:
		return showVolunteer(e, http.StatusConflict, v, VolunteerPage{Error: "vdir.error.not_invited"})
	}
	return e.Redirect(http.StatusSeeOther, "/manage/volunteers/"+v.Id+"?notice=invited")
}
