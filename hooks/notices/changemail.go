package notices

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/volunteers"
	"kopa/internal/domain"
	"kopa/internal/ticketfile"
)

// renderChanged writes the change notice of the registration of to at the
// change's event: what changed since they last heard, their place, the
// ticket link and the calendar file that updates their entry (same UID,
// higher SEQUENCE).
func renderChanged(app core.App, ref, to string) (outbox.Message, error) {
	c, err := app.FindRecordById(domain.EventChanges, ref)
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	r := &core.Record{}
	err = app.RecordQuery(domain.Registrations).
		AndWhere(dbx.HashExp{"event": c.GetString("event"), "email": to}).
		AndWhere(dbx.In("status", domain.RegistrationConfirmed, domain.RegistrationWaitlisted)).
		Limit(1).One(r)
	if err != nil {
		return outbox.Message{}, gone(err) // cancelled or forgotten meanwhile
	}
	n, err := newsFor(app, ref, r.GetDateTime("created"))
	if err != nil {
		return outbox.Message{}, err
	}
	d, l := newMail(app, r.GetString("locale"))
	lines := n.changes(d)
	if len(lines) == 0 {
		return outbox.Message{}, outbox.ErrObsolete // changed in another language only
	}
	ev := n.ev
	title := localizedRecord(ev, "title", l.Lang)
	d.Title = l.T("notice.changed.subject", "Title", title)
	d.Greeting = l.T("mail.greeting", "Name", r.GetString("name"))
	d.Paras = []string{l.T("notice.changed.lead", "Title", title)}
	d.Changes = lines
	status := l.T("status." + r.GetString("status"))
	if domain.RegistrationStatusOf(r) == domain.RegistrationWaitlisted {
		pos, err := registration.Position(app, r)
		if err != nil {
			return outbox.Message{}, err
		}
		status += " (" + l.T("ticket.position", "Position", pos) + ")"
	}
	d.Facts = []Fact{{l.T("ticket.status"), status}}
	d.Buttons = []Link{{l.T("mail.open_ticket"), registration.TicketURL(app, r.GetString("ticket"))}}
	d.Notes = []string{l.T("notice.changed.calendar"), l.T("mail.cancel_hint")}
	d.Footer = l.T("mail.footer")
	cal := registration.CalendarFor(app, ev, r, l.Lang)
	return d.message(MailChanged, r.Id, outbox.Attachment{Name: "event.ics", ContentType: cal.ContentType(), Data: ticketfile.ICS(cal, time.Now())})
}

// renderChangedVolunteer writes the change notice of the volunteer of to:
// what changed, their shifts at the event as they are now (they move with
// the event when the organiser said so), and the calendar file of an
// accepted shift.
func renderChangedVolunteer(app core.App, ref, to string) (outbox.Message, error) {
	c, err := app.FindRecordById(domain.EventChanges, ref)
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	v, err := app.FindAuthRecordByEmail(domain.Volunteers, to)
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	places, err := placesAt(app, c.GetString("event"), v.Id)
	if err != nil {
		return outbox.Message{}, err
	}
	if len(places) == 0 {
		return outbox.Message{}, outbox.ErrObsolete // declined or withdrawn meanwhile
	}
	joined := places[0].a.GetDateTime("created")
	for _, p := range places[1:] {
		if t := p.a.GetDateTime("created"); t.Before(joined) {
			joined = t
		}
	}
	n, err := newsFor(app, ref, joined)
	if err != nil {
		return outbox.Message{}, err
	}
	d, l := newMail(app, v.GetString("locale"))
	lines := n.changes(d)
	if len(lines) == 0 {
		return outbox.Message{}, outbox.ErrObsolete
	}
	ev := n.ev
	title := localizedRecord(ev, "title", l.Lang)
	d.Title = l.T("notice.changed.subject", "Title", title)
	d.Greeting = l.T("mail.greeting", "Name", v.GetString("name"))
	d.Paras = []string{l.T("notice.changed.lead_volunteer", "Title", title)}
	d.Changes = lines
	var atts []outbox.Attachment
	for _, p := range places {
		span := l.Span(p.shift.GetDateTime("starts_at").Time(), p.shift.GetDateTime("ends_at").Time())
		d.Facts = append(d.Facts, Fact{l.T("notice.shift." + p.a.GetString("status")), l.T("skill."+p.shift.GetString("role")) + ", " + span})
		if domain.AssignmentStatusOf(p.a) == domain.AssignmentAccepted && atts == nil {
			cal := volunteers.ShiftCalendar(app, ev, p.shift, p.a, l.Lang)
			atts = append(atts, outbox.Attachment{Name: "shift.ics", ContentType: cal.ContentType(), Data: ticketfile.ICS(cal, time.Now())})
			d.Notes = append(d.Notes, l.T("notice.changed.calendar"), l.T("vmail.reminder.cannot", "URL", volunteers.InviteURL(app, p.a.GetString("token"), "", l.Lang)))
		}
	}
	d.Buttons = []Link{{l.T("vmail.reminder.portal"), pageURL(app, "/volunteer/me", l.Lang)}}
	d.Footer = l.T("vmail.footer")
	return d.message(MailChangedVolunteer, v.Id, atts...)
}

// place is a volunteer's invitation to or place on a shift.
type place struct{ a, shift *core.Record }

// placesAt lists the volunteer's open invitations and accepted places on
// the event's shifts, soonest first.
func placesAt(app core.App, eventID, volunteerID string) ([]place, error) {
	shifts, err := app.FindRecordsByFilter(domain.Shifts, "event = {:e}", "starts_at", 0, 0, dbx.Params{"e": eventID})
	if err != nil {
		return nil, fmt.Errorf("shifts of event %s: %w", eventID, err)
	}
	var out []place
	for _, s := range shifts {
		a, err := app.FindFirstRecordByFilter(domain.Assignments, "shift = {:s} && volunteer = {:v} && (status = {:invited} || status = {:accepted})",
			dbx.Params{"s": s.Id, "v": volunteerID, "invited": string(domain.AssignmentInvited), "accepted": string(domain.AssignmentAccepted)})
		if errors.Is(err, sql.ErrNoRows) {
			continue // none on this shift
		}
		if err != nil {
			return nil, fmt.Errorf("places on shift %s: %w", s.Id, err)
		}
		out = append(out, place{a: a, shift: s})
	}
	return out, nil
}

// pageURL is an absolute address of a page on this site, opened in lang.
func pageURL(app core.App, path, lang string) string {
	return baseURL(app) + path + "?" + url.Values{"lang": {lang}}.Encode()
}
