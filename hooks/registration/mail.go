package registration

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/ticketfile"
)

// Kinds of ticket mail.
const (
	MailConfirmed  = "confirmed"  // a seat is yours
	MailWaitlisted = "waitlisted" // you are on the waiting list
	MailPromoted   = "promoted"   // a seat came free and is yours
	MailAgain      = "again"      // you asked for your ticket again
	MailCancelled  = "event_cancelled"
	MailReminder   = "reminder" // the event is near; a link to free the seat
)

// MailData is what the ticket mail templates receive.
type MailData struct {
	L        *i18n.Localizer
	Kind     string
	Name     string
	Event    domain.EventView
	Status   string
	Position int
	// TicketURL is the ticket page's absolute address; PrivacyURL the privacy page's.
	TicketURL, PrivacyURL string
	// CancelURL is the address of the page that frees the seat (its
	// GET only asks; see cancelPage).
	CancelURL string
	// SkipURL, for a seat of a standing place, is the address of the page
	// that gives up this session's seat and keeps the place (its GET only
	// asks); a reminder offers it instead of CancelURL. The TicketURL of
	// such a seat is the standing place's ticket, the one that works at
	// every session.
	SkipURL string
	// Party is how many people the ticket holds, Childcare how many
	// children among them are to be minded.
	Party, Childcare int
}

// TicketURL is the absolute address of a ticket page, from the public
// address saved in PocketBase's settings.
func TicketURL(app core.App, code string) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/") + "/t/" + code
}

// CalendarFor is the calendar entry of a registration's event.
func CalendarFor(app core.App, ev, r *core.Record, lang string) ticketfile.Event {
	return ticketfile.Event{
		UID:   r.Id + "@kopa",
		Title: domain.Localized(ev, "title", lang), Location: ev.GetString("venue"),
		Description: TicketURL(app, r.GetString("ticket")), URL: TicketURL(app, r.GetString("ticket")),
		Start: ev.GetDateTime("starts_at").Time(), End: ev.GetDateTime("ends_at").Time(),
		Cancelled: domain.EventStatusOf(ev) == domain.EventCancelled || domain.RegistrationStatusOf(r) == domain.RegistrationCancelled,
		Tentative: domain.RegistrationStatusOf(r) == domain.RegistrationWaitlisted,
		Sequence:  ev.GetInt("sequence"),
	}
}

// QueueTicketMail queues the ticket mail of r with tx, so it commits with
// the change it announces. The mail is written when it is sent (see
// renderTicket).
func QueueTicketMail(tx core.App, r *core.Record, kind string) error {
	return outbox.Defer(tx, ticketMail(r, kind))
}

// ticketMail is the outbox entry of a ticket mail of kind about r.
func ticketMail(r *core.Record, kind string) outbox.Deferred {
	return outbox.Deferred{To: r.GetString("email"), Template: "ticket_" + kind, Ref: r.Id, Kind: "ticket_" + kind}
}

// registerMail gives the outbox the writer of each kind of ticket mail.
func registerMail() {
	for _, kind := range []string{MailConfirmed, MailWaitlisted, MailPromoted, MailAgain, MailCancelled, MailReminder} {
		outbox.Handle("ticket_"+kind, renderTicket(kind))
	}
}

// renderTicket writes a ticket mail when it is sent, from the registration
// and its event as they are then. A mail about the ticket (confirmed,
// waiting list, promoted, again) says what is true at that moment: the
// waiting-list mail of someone promoted meanwhile says they have a seat,
// and one whose registration was cancelled first is not sent at all.
func renderTicket(kind string) outbox.Renderer {
	return func(app core.App, ref string) (outbox.Message, error) {
		kind := kind
		r, err := app.FindRecordById(domain.Registrations, ref)
		if err != nil {
			return outbox.Message{}, err
		}
		ev, err := app.FindRecordById(domain.Events, r.GetString("event"))
		if err != nil {
			return outbox.Message{}, err
		}
		// No mail to someone who cancelled (or was forgotten) meanwhile,
		// nor about a cancellation once the event is back on.
		switch status := domain.RegistrationStatusOf(r); {
		case status == domain.RegistrationCancelled || r.GetString("email") == "":
			return outbox.Message{}, outbox.ErrObsolete
		case kind == MailCancelled:
			if domain.EventStatusOf(ev) != domain.EventCancelled {
				return outbox.Message{}, outbox.ErrObsolete
			}
		case kind == MailReminder:
			// A reminder is for a seat at an event still ahead.
			if status != domain.RegistrationConfirmed || domain.EventStatusOf(ev) != domain.EventPublished || !time.Now().Before(ev.GetDateTime("starts_at").Time()) {
				return outbox.Message{}, outbox.ErrObsolete
			}
		case status == domain.RegistrationWaitlisted && kind != MailAgain:
			kind = MailWaitlisted
		case status == domain.RegistrationConfirmed && kind == MailWaitlisted:
			kind = MailConfirmed
		}
		return TicketMail(app, ev, r, kind)
	}
}

// TicketMail writes a ticket mail in the registrant's language: the ticket
// link, the QR code inline and the calendar entry attached. The outbox
// calls it (through renderTicket) when it sends the mail.
func TicketMail(app core.App, ev, r *core.Record, kind string) (outbox.Message, error) {
	lang := r.GetString("locale")
	if !i18n.IsSupported(lang) {
		lang = i18n.Default
	}
	l := web.Catalog().For(lang)
	pos, err := Position(app, r)
	if err != nil {
		return outbox.Message{}, err
	}
	url := TicketURL(app, r.GetString("ticket"))
	data := MailData{
		L: l, Kind: kind, Name: r.GetString("name"), Status: r.GetString("status"), Position: pos,
		Event:     domain.NewEventView(ev, lang, domain.Stats{}),
		TicketURL: url, PrivacyURL: strings.TrimRight(app.Settings().Meta.AppURL, "/") + "/privacy",
		CancelURL: url + "/cancel",
		Party:     domain.Party(r), Childcare: r.GetInt("childcare"),
	}
	if code := standingTicket(app, r); code != "" {
		url = TicketURL(app, code)
		data.TicketURL, data.CancelURL, data.SkipURL = url, "", url+"/skip/"+ev.Id
	}
	html, text, err := web.RenderMail("ticket", data)
	if err != nil {
		return outbox.Message{}, err
	}
	cal := CalendarFor(app, ev, r, lang)
	atts := []outbox.Attachment{{Name: "event.ics", ContentType: cal.ContentType(), Data: ticketfile.ICS(cal, time.Now())}}
	// No QR code for a ticket or an event that was cancelled; the calendar
	// file stays, marked cancelled, so calendars can drop the entry.
	if domain.RegistrationStatusOf(r) != domain.RegistrationCancelled && kind != MailCancelled {
		// Drawn here, when the worker sends the mail: a ticket's QR code
		// costs more to draw than the rest of a registration, and this
		// keeps it off the request's path and out of its transaction. Not
		// from the pages' cache: a burst of mails would only churn it.
		qr, err := ticketfile.QR(url)
		if err != nil {
			return outbox.Message{}, fmt.Errorf("draw the ticket's QR code: %w", err)
		}
		atts = append([]outbox.Attachment{{Name: "ticket-qr.png", ContentType: "image/png", Data: qr, Inline: true}}, atts...)
	}
	return outbox.Message{
		To:      r.GetString("email"),
		Subject: l.T("mail.subject."+kind, "Title", data.Event.Title),
		Text:    text, HTML: html, Attachments: atts,
		Kind: "ticket_" + kind, Ref: r.Id,
	}, nil
}

// standingTicket is the ticket code of the standing place r is a seat of,
// or "" for a registration of its own (or a place that is gone).
func standingTicket(app core.App, r *core.Record) string {
	id := domain.StandingOf(r)
	if id == "" {
		return ""
	}
	st, err := app.FindRecordById(domain.Standing, id)
	if err != nil {
		return ""
	}
	return st.GetString("ticket")
}

// qrCache is shared by the mails and the ticket pages.
var qrCache = ticketfile.NewQRCache(2048)

// QRCode returns the (cached) QR PNG of a ticket address.
func QRCode(url string) ([]byte, error) { return qrCache.Get(url) }
