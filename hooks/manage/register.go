package manage

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/registration"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// RegisterForm is the console's form to register someone who called or
// came to the desk: name, e-mail (optional here, at every event), the
// party, the children to mind and the interpretation wish, the language
// of their ticket and whether they may be photographed.
type RegisterForm struct {
	Name, Email, Locale string
	Party, Childcare    int
	Interpretation      []string
	PhotoConsent        bool
	// Errors maps a field ("name", "email", "party", "childcare",
	// "interpretation", "locale", or "form") to a message id.
	Errors map[string]string
}

// Wants reports whether the form asks for interpretation into lang.
func (f RegisterForm) Wants(lang string) bool {
	for _, l := range f.Interpretation {
		if l == lang {
			return true
		}
	}
	return false
}

// RegisterData is what the console's registration page shows.
type RegisterData struct {
	Event domain.EventView
	Form  RegisterForm
	// PartySizes are 1 to the event's max_party; Children 0 to it, where
	// the event offers child minding (else none).
	PartySizes, Children []int
	Languages, Locales   []string
}

// ConsoleTicket is the page after a registration from the console: the
// ticket to show on the screen at the desk, or to print.
type ConsoleTicket struct {
	Event                   domain.EventView
	Name, Email, Status     string
	Party, Childcare        int
	Interpretation          []string
	Ticket, Locale, Outcome string
}

// registerPage is GET /manage/events/{id}/register.
func registerPage(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	return showRegister(e, http.StatusOK, ev, RegisterForm{Party: 1, Locale: i18n.Default})
}

func showRegister(e *core.RequestEvent, status int, ev *core.Record, f RegisterForm) error {
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return err
	}
	d := RegisterData{Event: domain.NewEventView(ev, web.Lang(e), st), Form: f, Languages: domain.Languages, Locales: i18n.Supported}
	for n := 1; n <= domain.MaxParty(ev); n++ {
		d.PartySizes = append(d.PartySizes, n)
	}
	if domain.OffersChildcare(ev) {
		for n := 0; n <= domain.MaxParty(ev); n++ {
			d.Children = append(d.Children, n)
		}
	}
	return web.Render(e, status, "manage/register", web.NewConsolePage(e, "manage.register.title", d))
}

// registerSubmit registers someone from the console through the same
// decision as a registration from the public form (registration.Create:
// the seats, the waiting list, the party, in one transaction), with the
// e-mail optional. With an address the ticket is mailed as usual.
func registerSubmit(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	f := RegisterForm{Name: v.Get("name"), Email: strings.TrimSpace(v.Get("email")), Locale: v.Get("locale"),
		Interpretation: v["interpretation"], PhotoConsent: v.Get("photo_consent") != "", Errors: map[string]string{}}
	// The form always says how many: 0 is a mistake here, not "one".
	if f.Party, err = strconv.Atoi(strings.TrimSpace(v.Get("party"))); err != nil || f.Party < 1 {
		f.Errors["party"] = "manage.register.error.party"
	}
	if c := strings.TrimSpace(v.Get("childcare")); c != "" {
		if f.Childcare, err = strconv.Atoi(c); err != nil {
			f.Errors["childcare"] = "manage.register.error.childcare"
		}
	}
	if len(f.Errors) > 0 {
		return showRegister(e, http.StatusBadRequest, ev, f)
	}
	in := registration.Input{Name: f.Name, Email: f.Email, Locale: f.Locale, PhotoConsent: f.PhotoConsent,
		Interpretation: f.Interpretation, Party: f.Party, Childcare: f.Childcare, NoEmailAnywhere: true}
	err = in.Normalize()
	var res registration.Result
	if err == nil {
		res, err = registration.Create(e.App, ev.Id, in, time.Now())
	}
	var verrs validation.Errors
	switch {
	case errors.As(err, &verrs):
		for field := range verrs {
			f.Errors[field] = "manage.register.error." + field
			if _, known := registerFields[field]; !known {
				f.Errors["form"] = "form.error.invalid"
			}
		}
		return showRegister(e, http.StatusBadRequest, ev, f)
	case errors.Is(err, registration.ErrFull):
		f.Errors["form"] = "form.error.full"
		return showRegister(e, http.StatusConflict, ev, f)
	case errors.Is(err, registration.ErrClosed), errors.Is(err, registration.ErrNotFound):
		f.Errors["form"] = "form.error.closed"
		return showRegister(e, http.StatusConflict, ev, f)
	case err != nil:
		return err
	}
	outcome := res.Status
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+ev.Id+"/registrations/"+res.Registration.Id+"/ticket?outcome="+outcome)
}

// registerFields are the form's fields with a message of their own.
var registerFields = map[string]bool{"name": true, "email": true, "party": true, "childcare": true, "interpretation": true, "locale": true}

// consoleTicket is GET /manage/events/{id}/registrations/{rid}/ticket:
// the ticket of a registration, to show at the desk or to print.
func consoleTicket(e *core.RequestEvent) error {
	r, err := findRegistration(e)
	if err != nil || !r.GetDateTime("erased_at").IsZero() {
		return web.NotFound(e)
	}
	ev, err := e.App.FindRecordById(domain.Events, r.GetString("event"))
	if err != nil {
		return web.NotFound(e)
	}
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return err
	}
	d := ConsoleTicket{Event: domain.NewEventView(ev, web.Lang(e), st), Name: r.GetString("name"), Email: r.GetString("email"),
		Status: r.GetString("status"), Party: domain.Party(r), Childcare: r.GetInt("childcare"),
		Interpretation: r.GetStringSlice("interpretation"), Ticket: r.GetString("ticket"), Locale: r.GetString("locale")}
	if o := e.Request.URL.Query().Get("outcome"); o == registration.StatusExists {
		d.Outcome = o
	}
	return web.Render(e, http.StatusOK, "manage/ticket", web.NewConsolePage(e, "manage.register.ticket_title", d))
}
