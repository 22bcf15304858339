package registration

import (
	"errors"
	"net/http"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/ticketfile"
)

// TicketData is what the ticket pages receive.
type TicketData struct {
	Code     string
	Name     string
	Status   string
	Position int
	Event    domain.EventView
	// Done is set right after the person cancelled.
	Done bool
	// Party is how many people the ticket holds, Childcare how many
	// children among them are to be minded.
	Party, Childcare int
	// Fewer are the smaller parties the ticket may become by giving seats
	// back ("one of us can't come"): 1 to Party-1, while the ticket is
	// live and the event ahead; empty otherwise.
	Fewer []int
	// GivenBack is set right after seats were given back.
	GivenBack bool
	// PassedOver: the ticket waits because its party is bigger than the
	// Free seats there are (a smaller party behind it may take them; it
	// keeps its place).
	PassedOver bool
	Free       int
	// NoEmail: the ticket was never mailed and cannot be sent again; the
	// page offers to keep it (calendar, share, print).
	NoEmail bool
}

// OtherTickets answer the ticket routes (/t/{code}…) for a code that is not
// a registration's: a standing place's (package series). A nil handler
// leaves the answer "not found".
type OtherTickets struct {
	Page, CancelPage, Cancel, QR, ICS func(*core.RequestEvent) error
}

const otherTicketsKey = "kopa.registration.otherTickets"

// HandleOtherTickets sets the handlers of the codes that are not a
// registration's.
func HandleOtherTickets(app core.App, o OtherTickets) { app.Store().Set(otherTicketsKey, o) }

// other returns the handler pick chooses for a code that is not a
// registration's, or nil.
func other(e *core.RequestEvent, pick func(OtherTickets) func(*core.RequestEvent) error) func(*core.RequestEvent) error {
	o, ok := e.App.Store().Get(otherTicketsKey).(OtherTickets)
	if !ok {
		return nil
	}
	return pick(o)
}

// loadTicket finds the ticket of the request's code and its event. The
// ticket's pages and files are then in the registration's language,
// unless the visitor chose another (a mail's link opens in the language
// of the mail, also in a browser set to another).
func loadTicket(e *core.RequestEvent) (*core.Record, *core.Record, bool) {
	r, err := FindByTicket(e.App, e.Request.PathValue("code"))
	if err != nil {
		return nil, nil, false
	}
	ev, err := e.App.FindRecordById(domain.Events, r.GetString("event"))
	if err != nil {
		return nil, nil, false
	}
	web.PreferLang(e, r.GetString("locale"))
	return r, ev, true
}

func ticketData(e *core.RequestEvent, r, ev *core.Record) (TicketData, error) {
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return TicketData{}, err
	}
	pos, err := Position(e.App, r)
	if err != nil {
		return TicketData{}, err
	}
	d := TicketData{
		Code: r.GetString("ticket"), Name: r.GetString("name"), Status: r.GetString("status"), Position: pos,
		Event: domain.NewEventView(ev, web.Lang(e), st),
		Party: domain.Party(r), Childcare: r.GetInt("childcare"), NoEmail: r.GetString("email") == "",
	}
	live := domain.RegistrationStatusOf(r) != domain.RegistrationCancelled
	if live && !d.Event.Cancelled() && !d.Event.Started() && d.Party > 1 {
		d.Fewer = upTo(1, d.Party-1)
	}
	if domain.RegistrationStatusOf(r) == domain.RegistrationWaitlisted && d.Event.SeatsLeft > 0 && d.Event.SeatsLeft < d.Party {
		d.PassedOver, d.Free = true, d.Event.SeatsLeft
	}
	return d, nil
}

func ticketPage(e *core.RequestEvent) error {
	r, ev, ok := loadTicket(e)
	if !ok {
		if h := other(e, func(o OtherTickets) func(*core.RequestEvent) error { return o.Page }); h != nil {
			return h(e)
		}
		return web.NotFound(e)
	}
	data, err := ticketData(e, r, ev)
	if err != nil {
		return err
	}
	data.Done = e.Request.URL.Query().Get("cancelled") == "1"
	data.GivenBack = e.Request.URL.Query().Get("given") == "1"
	p := web.NewPage(e, "ticket.title", data)
	if data.NoEmail {
		p.Scripts = []string{"js/ticket.js"}
	}
	return web.Render(e, http.StatusOK, "ticket", p)
}

// ticketPrint is the ticket as it prints: the event, the name, the party
// and the QR code, without the page's navigation (the print style sheet
// leaves that out of every page). It is for whoever has no e-mail to keep
// the ticket in, and for anyone who wants it on paper.
func ticketPrint(e *core.RequestEvent) error {
	r, ev, ok := loadTicket(e)
	if !ok {
		return web.NotFound(e)
	}
	data, err := ticketData(e, r, ev)
	if err != nil {
		return err
	}
	p := web.NewPage(e, "ticket.title", data)
	p.Scripts = []string{"js/ticket.js"}
	return web.Render(e, http.StatusOK, "ticket_print", p)
}

// giveBackSubmit lowers the ticket's party to the form's "party" ("one of
// us can't come") and sends the visitor back to the ticket, where it says
// so; the freed seats go to the waiting list at once (GiveBack). Like the
// cancellation, it needs no CSRF token: the ticket's code in the path is
// the secret that allows it, and no cookie is involved. A JSON client
// (Accept or Content-Type application/json, body {"party": n}) gets JSON.
func giveBackSubmit(e *core.RequestEvent) error {
	wantsJSON := strings.Contains(e.Request.Header.Get("Accept"), "application/json") ||
		strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json")
	party := -1
	if strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json") {
		data, err := web.ReadBody(e)
		if err != nil {
			return err
		}
		obj, err := web.ParseJSONObject(data)
		if err != nil {
			return e.BadRequestError("Please check the highlighted fields.", err)
		}
		obj.Field("party", &party, "Must be a whole number.")
		if err := obj.Check(func() error { return nil }); err != nil {
			return e.BadRequestError("Please check the highlighted fields.", err)
		}
	} else {
		f, err := web.ParseForm(e)
		if err != nil {
			return err
		}
		party = formNumber(f.Get("party"), -1)
	}
	r, _, err := GiveBack(e.App, e.Request.PathValue("code"), party, time.Now())
	var verrs validation.Errors
	switch {
	case errors.Is(err, ErrNotFound):
		if wantsJSON {
			return e.NotFoundError("No such ticket.", nil)
		}
		return web.NotFound(e)
	case errors.Is(err, ErrNotLive):
		return web.CodeError(http.StatusConflict, "cancelled", "The ticket was cancelled.")
	case errors.As(err, &verrs):
		return e.BadRequestError("Please check the highlighted fields.", verrs)
	case err != nil:
		return err
	}
	if wantsJSON {
		return e.JSON(http.StatusOK, map[string]any{"status": r.GetString("status"), "party": domain.Party(r)})
	}
	return e.Redirect(http.StatusSeeOther, "/t/"+r.GetString("ticket")+"?given=1")
}

func ticketQR(e *core.RequestEvent) error {
	r, _, ok := loadTicket(e)
	if !ok {
		if h := other(e, func(o OtherTickets) func(*core.RequestEvent) error { return o.QR }); h != nil {
			return h(e)
		}
	}
	if !ok || domain.RegistrationStatusOf(r) == domain.RegistrationCancelled {
		return e.NotFoundError("", nil)
	}
	png, err := QRCode(TicketURL(e.App, r.GetString("ticket")))
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "private, no-store")
	return e.Blob(http.StatusOK, "image/png", png)
}

func ticketICS(e *core.RequestEvent) error {
	r, ev, ok := loadTicket(e)
	if !ok {
		if h := other(e, func(o OtherTickets) func(*core.RequestEvent) error { return o.ICS }); h != nil {
			return h(e)
		}
		return e.NotFoundError("", nil)
	}
	lang := web.Lang(e)
	e.Response.Header().Set("Content-Disposition", `attachment; filename="kopa-event.ics"`)
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8", ticketfile.ICS(CalendarFor(e.App, ev, r, lang), time.Now()))
}

// cancelPage is the confirmation step before cancelling; it works without
// JavaScript.
func cancelPage(e *core.RequestEvent) error {
	r, ev, ok := loadTicket(e)
	if !ok {
		if h := other(e, func(o OtherTickets) func(*core.RequestEvent) error { return o.CancelPage }); h != nil {
			return h(e)
		}
		return web.NotFound(e)
	}
	if domain.RegistrationStatusOf(r) == domain.RegistrationCancelled {
		return e.Redirect(http.StatusSeeOther, "/t/"+r.GetString("ticket"))
	}
	data, err := ticketData(e, r, ev)
	if err != nil {
		return err
	}
	return web.Render(e, http.StatusOK, "ticket_cancel", web.NewPage(e, "ticket.cancel_title", data))
}

// cancelSubmit cancels; twice is harmless. A JSON client gets JSON.
func cancelSubmit(e *core.RequestEvent) error {
	r, _, err := Cancel(e.App, e.Request.PathValue("code"), time.Now())
	wantsJSON := strings.Contains(e.Request.Header.Get("Accept"), "application/json") ||
		strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json")
	if errors.Is(err, ErrNotFound) {
		if h := other(e, func(o OtherTickets) func(*core.RequestEvent) error { return o.Cancel }); h != nil {
			return h(e)
		}
		if wantsJSON {
			return e.NotFoundError("No such ticket.", nil)
		}
		return web.NotFound(e)
	}
	if err != nil {
		return err
	}
	if wantsJSON {
		return e.JSON(http.StatusOK, map[string]any{"status": domain.RegistrationCancelled})
	}
	return e.Redirect(http.StatusSeeOther, "/t/"+r.GetString("ticket")+"?cancelled=1")
}
