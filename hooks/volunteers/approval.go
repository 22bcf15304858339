package volunteers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Volunteer statuses, as this package's callers and tests name them (the
// vocabulary is domain's).
const (
	VolunteerPending  = string(domain.VolunteerPending)
	VolunteerApproved = string(domain.VolunteerApproved)
	VolunteerPaused   = string(domain.VolunteerPaused)
)

// ErrNotApproved: the volunteer is pending or paused, so they may not be
// invited to, accept or work a shift.
var ErrNotApproved = errors.New("the volunteer is not approved")

// Mails about a volunteer's status; ref: the volunteer.
const (
	mailApproved = "volunteer_approved"
	mailPaused   = "volunteer_paused"
)

// IsApproved reports whether volunteer v may be invited and work shifts.
func IsApproved(v *core.Record) bool { return domain.IsApproved(v) }

// registerApproval guards the status and the organisers' note of a
// volunteer wherever a record is written or read, and mails the volunteer
// when an organiser approves or pauses them, however they did it (the
// console or PocketBase's record API).
func registerApproval(app core.App) {
	app.OnRecordCreate(domain.Volunteers).BindFunc(pendingByDefault)
	app.OnRecordUpdate(domain.Volunteers).BindFunc(mailStatusChange)
	app.OnRecordCreateRequest(domain.Volunteers).BindFunc(organisersWriteNotes)
	app.OnRecordUpdateRequest(domain.Volunteers).BindFunc(onlyOrganisersChangeStatus)
	app.OnRecordUpdateRequest(domain.Volunteers).BindFunc(organisersWriteNotes)
	app.OnRecordEnrich(domain.Volunteers).BindFunc(organisersReadNotes)
	outbox.Handle(mailApproved, renderStatusMail(VolunteerApproved, approvedMail))
	outbox.Handle(mailPaused, renderStatusMail(VolunteerPaused, pausedMail))
}

// pendingByDefault: a volunteer created without a status (a sign-up, an
// organiser's record API create) waits for approval.
func pendingByDefault(e *core.RecordEvent) error {
	if e.Record.GetString("status") == "" {
		e.Record.Set("status", VolunteerPending)
	}
	return e.Next()
}

// onlyOrganisersChangeStatus refuses a volunteer's own change of their
// status through the record API (the update rule lets them edit the rest
// of their record). It runs after PocketBase loaded the request's body into
// the record and before it saves it.
func onlyOrganisersChangeStatus(e *core.RecordRequestEvent) error {
	if !domain.IsStaff(e.Auth) && e.Record.GetString("status") != e.Record.Original().GetString("status") {
		return web.CodeError(http.StatusForbidden, "status_organisers_only", "Only organisers change a volunteer's status.")
	}
	return e.Next()
}

// organisersWriteNotes gives organisers what superusers have for the hidden
// notes field: PocketBase drops hidden fields from anyone else's request
// body before the record sees it, so the note is read from the body again.
func organisersWriteNotes(e *core.RecordRequestEvent) error {
	if !domain.IsStaff(e.Auth) || e.Auth.IsSuperuser() {
		return e.Next() // superusers' bodies keep hidden fields already
	}
	body := map[string]any{}
	if err := e.BindBody(&body); err != nil {
		return e.BadRequestError("Failed to read the submitted data.", err)
	}
	if v, ok := body["notes"]; ok {
		s, isString := v.(string)
		if !isString && v != nil {
			return e.BadRequestError("Please check the highlighted fields.", validation.Errors{
				"notes": validation.NewError("validation_invalid_type", "Must be text."),
			})
		}
		e.Record.Set("notes", s)
	}
	return e.Next()
}

// organisersReadNotes shows the hidden notes field to organisers, wherever
// PocketBase serialises a volunteer for them (record API, expands,
// realtime). Volunteers never see it, not even their own, and cannot filter
// or sort on it: it stays hidden for them.
func organisersReadNotes(e *core.RecordEnrichEvent) error {
	if e.RequestInfo != nil && domain.IsStaff(e.RequestInfo.Auth) {
		e.Record.Unhide("notes")
	}
	return e.Next()
}

// mailStatusChange queues the volunteer's mail when their status becomes
// approved or paused, in the transaction that saves the change. A volunteer
// whose address is not confirmed is not written to: the address may not be
// theirs.
func mailStatusChange(e *core.RecordEvent) error {
	to := e.Record.GetString("status")
	template := ""
	switch to {
	case VolunteerApproved:
		template = mailApproved
	case VolunteerPaused:
		template = mailPaused
	}
	if template == "" || !e.Record.Verified() {
		return e.Next()
	}
	// The stored status, not the record's Original(): a record object saved
	// twice remembers the values it was loaded or created with.
	var from string
	err := e.App.DB().Select("status").From(domain.Volunteers).Where(dbx.HashExp{"id": e.Record.Id}).Row(&from)
	if err != nil {
		return fmt.Errorf("volunteer's status: %w", err)
	}
	if from == to {
		return e.Next()
	}
	save := func(tx core.App) error {
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		return queueMail(tx, e.Record, template, e.Record.Id)
	}
	if e.App.IsTransactional() {
		return save(e.App)
	}
	app := e.App
	defer func() { e.App = app }()
	return app.RunInTransaction(save)
}

// statusMail writes a mail about volunteer v's status.
type statusMail func(app core.App, v *core.Record) (outbox.Message, error)

// renderStatusMail writes a status mail when it is sent, unless the
// volunteer's status changed again meanwhile or the account is gone.
func renderStatusMail(status string, write statusMail) outbox.Renderer {
	return func(app core.App, ref string) (outbox.Message, error) {
		v, err := app.FindRecordById(domain.Volunteers, ref)
		if err != nil {
			return outbox.Message{}, gone(err)
		}
		if v.GetString("status") != status {
			return outbox.Message{}, outbox.ErrObsolete
		}
		return write(app, v)
	}
}

// approvedMail tells a volunteer that an organiser approved them.
func approvedMail(app core.App, v *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	d.Title = l.T("vmail.approved.subject")
	d.Paras = []string{l.T("vmail.approved.lead"), l.T("vmail.approved.next")}
	d.Buttons = []Link{{l.T("vmail.status.portal"), pageURL(app, "/volunteer/me", url.Values{}, l.Lang)}}
	return message(v, mailApproved, v.Id, d)
}

// pausedMail tells a volunteer that an organiser paused their volunteering.
func pausedMail(app core.App, v *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	d.Title = l.T("vmail.paused.subject")
	d.Paras = []string{l.T("vmail.paused.lead"), l.T("vmail.paused.contact")}
	d.Buttons = []Link{{l.T("vmail.status.portal"), pageURL(app, "/volunteer/me", url.Values{}, l.Lang)}}
	return message(v, mailPaused, v.Id, d)
}
