package volunteers

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/ticketfile"
)

// Templates of the mails about a shift's people that Kopā sends when
// plans change.
const (
	// mailShort tells an organiser that a shift is short of volunteers.
	// ref: the shift; to: the organiser. Every organiser gets it (events
	// have no owner: the NGO's organisers share them).
	mailShort = "volunteer_shift_short"
	// mailEventCancelled tells an invited or accepted volunteer that the
	// shift's event is cancelled. ref: the assignment.
	mailEventCancelled = "volunteer_event_cancelled"
)

// watchDropOuts binds the hooks that tell the organisers when a volunteer
// drops out of a shift: an accepted volunteer who declines after all (on
// the invitation's page, in the portal, through the record API) or whose
// account is deleted, and the last open invitation declined while places
// are still free. Either way the organisers hear only while the shift is
// ahead, its event not cancelled, and the shift short.
func watchDropOuts(app core.App) {
	app.OnRecordUpdateExecute(domain.Assignments).Bind(&hook.Handler[*core.RecordEvent]{
		Id:   "kopaVolunteerDropOut",
		Func: func(e *core.RecordEvent) error { return dropOut(e, false) },
	})
	app.OnRecordDeleteExecute(domain.Assignments).Bind(&hook.Handler[*core.RecordEvent]{
		Id:   "kopaVolunteerDropOutDeleted",
		Func: func(e *core.RecordEvent) error { return dropOut(e, true) },
	})
}

// dropOut reads the assignment's stored status in the save's (or the
// delete's) transaction, lets the change happen, and queues the organisers'
// mail with it when it left the shift short.
func dropOut(e *core.RecordEvent, deleted bool) error {
	original := e.App
	defer func() { e.App = original }()
	return e.App.RunInTransaction(func(tx core.App) error {
		var was domain.AssignmentStatus
		err := tx.DB().Select("status").From(domain.Assignments).Where(dbx.HashExp{"id": e.Record.Id}).Row(&was)
		if err != nil {
			return fmt.Errorf("status of assignment %s: %w", e.Record.Id, err)
		}
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		shiftID := e.Record.GetString("shift")
		switch now := domain.AssignmentStatusOf(e.Record); {
		case deleted:
			if was != domain.AssignmentAccepted {
				return nil
			}
		case now != domain.AssignmentDeclined || was == domain.AssignmentDeclined:
			return nil
		case was == domain.AssignmentInvited:
			// One invitee of several saying no is the usual answer; the
			// last one leaves the organisers to find someone.
			open, err := tx.CountRecords(domain.Assignments, dbx.HashExp{"shift": shiftID, "status": domain.AssignmentInvited})
			if err != nil || open > 0 {
				return err
			}
		case was != domain.AssignmentAccepted:
			return nil
		}
		return tellShort(tx, shiftID, time.Now())
	})
}

// tellShort queues the "shift is short" mail to every organiser who is not
// waiting for one about the shift already (it says how many are missing
// when it is sent), while the shift is ahead and short.
func tellShort(tx core.App, shiftID string, now time.Time) error {
	shift, err := tx.FindRecordById(domain.Shifts, shiftID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the shift itself is being deleted
	}
	if err != nil {
		return fmt.Errorf("shift %s: %w", shiftID, err)
	}
	ev, err := tx.FindRecordById(domain.Events, shift.GetString("event"))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("event of shift %s: %w", shiftID, err)
	}
	if missing, err := missingOn(tx, ev, shift, now); err != nil || missing == 0 {
		return err
	}
	waiting, err := outbox.Pending(tx, mailShort, shift.Id)
	if err != nil {
		return err
	}
	organisers, err := tx.FindAllRecords(domain.Organisers)
	if err != nil {
		return fmt.Errorf("organisers: %w", err)
	}
	for _, o := range organisers {
		if o.Email() == "" || slices.Contains(waiting, o.Email()) {
			continue
		}
		if err := outbox.Defer(tx, outbox.Deferred{To: o.Email(), Template: mailShort, Ref: shift.Id}); err != nil {
			return err
		}
	}
	return nil
}

// missingOn is how many places of a shift are not taken while the shift
// is ahead and its event on; 0 otherwise.
func missingOn(app core.App, ev, shift *core.Record, now time.Time) (int, error) {
	if domain.EventStatusOf(ev) == domain.EventCancelled || !now.Before(shift.GetDateTime("starts_at").Time()) {
		return 0, nil
	}
	taken, err := acceptedCount(app, shift.Id)
	if err != nil {
		return 0, err
	}
	return max(0, shift.GetInt("needed")-taken), nil
}

// renderShort writes the "shift is short" mail to an organiser, in
// Latvian (organisers have no language of their own; the console is
// theirs in any), from the shift as it is when the mail is sent: a shift
// filled meanwhile, started, deleted or of a cancelled event makes it
// obsolete.
func renderShort(app core.App, ref string) (outbox.Message, error) {
	shift, err := app.FindRecordById(domain.Shifts, ref)
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	ev, err := app.FindRecordById(domain.Events, shift.GetString("event"))
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	missing, err := missingOn(app, ev, shift, time.Now())
	if err != nil {
		return outbox.Message{}, err
	}
	if missing == 0 {
		return outbox.Message{}, outbox.ErrObsolete
	}
	l := web.Catalog().For(i18n.Default)
	title := domain.Localized(ev, "title", l.Lang)
	role := l.T("skill." + shift.GetString("role"))
	span := l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
	d := MailData{L: l, PrivacyURL: baseURL(app) + "/privacy", Footer: l.T("vmail.short.footer")}
	d.Title = l.T("vmail.short.subject", "Role", role, "Title", title)
	d.Paras = []string{l.T("vmail.short.lead"), l.N("vmail.short.missing", missing, "Needed", shift.GetInt("needed"))}
	d.Facts = shiftFacts(l, span, title, role, ev.GetString("venue"))
	d.Buttons = []Link{{l.T("vmail.short.button"), baseURL(app) + "/manage/events/" + ev.Id + "/shifts"}}
	html, text, err := d.render()
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{Subject: d.Title, HTML: html, Text: text, Kind: mailShort, Ref: shift.Id}, nil
}

// QueueEventCancelled tells every volunteer invited to or accepted on a
// shift of the cancelled event, in the cancellation's transaction, unless
// their mail from an earlier cancellation still waits.
func QueueEventCancelled(tx core.App, ev *core.Record) error {
	var rows []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	err := tx.DB().Select("a.id", "v.email").From(domain.Assignments+" a").
		InnerJoin(domain.Shifts+" s", dbx.NewExp("s.id = a.shift")).
		InnerJoin(domain.Volunteers+" v", dbx.NewExp("v.id = a.volunteer")).
		Where(dbx.HashExp{"s.event": ev.Id}).
		AndWhere(dbx.In("a.status", domain.AssignmentInvited, domain.AssignmentAccepted)).
		AndWhere(dbx.NewExp("v.email != ''")).
		All(&rows)
	if err != nil {
		return fmt.Errorf("volunteers of cancelled event %s: %w", ev.Id, err)
	}
	for _, r := range rows {
		waiting, err := outbox.Pending(tx, mailEventCancelled, r.ID)
		if err != nil {
			return err
		}
		if len(waiting) > 0 {
			continue
		}
		if err := outbox.Defer(tx, outbox.Deferred{To: r.Email, Template: mailEventCancelled, Ref: r.ID}); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		tx.Logger().Info("event cancelled, volunteers told", "event", ev.Id, "mails", len(rows))
	}
	return nil
}

// eventCancelledMail tells volunteer v that the event of their shift is
// cancelled; an accepted place gets the calendar file that removes it.
func eventCancelledMail(app core.App, ev, shift, v, a *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	title := domain.Localized(ev, "title", l.Lang)
	role := l.T("skill." + shift.GetString("role"))
	span := l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
	d.Title = l.T("vmail.cancelled.subject", "Title", title)
	lead := "vmail.cancelled.lead_invited"
	if domain.AssignmentStatusOf(a) == domain.AssignmentAccepted {
		lead = "vmail.cancelled.lead_accepted"
	}
	d.Paras = []string{l.T(lead)}
	d.Facts = shiftFacts(l, span, title, role, ev.GetString("venue"))
	d.Notes = []string{l.T("vmail.withdrawn.thanks")}
	msg, err := message(v, mailEventCancelled, a.Id, d)
	if err != nil || domain.AssignmentStatusOf(a) != domain.AssignmentAccepted {
		return msg, err
	}
	cal := ShiftCalendar(app, ev, shift, a, l.Lang)
	d.Notes = append([]string{l.T("mail.calendar_cancel")}, d.Notes...)
	if msg, err = message(v, mailEventCancelled, a.Id, d); err != nil {
		return msg, err
	}
	msg.Attachments = []outbox.Attachment{{Name: "shift.ics", ContentType: cal.ContentType(), Data: ticketfile.ICS(cal, time.Now())}}
	return msg, nil
}
