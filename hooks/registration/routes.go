package registration

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Register binds the registration API, an event's page with its form and
// the form's handler, availability and the ticket pages, the check of
// registration records, the waiting list's move when an event's capacity
// is raised, and the reminders' cron job.
func Register(app core.App) {
	app.Store().Set(appKey, app)
	registerMail()
	registerReminders(app)
	app.OnRecordValidate(domain.Registrations).BindFunc(validateRecord)
	app.OnRecordUpdateExecute(domain.Events).BindFunc(moveOnRaise)
	app.OnRecordCreateRequest(domain.Registrations).BindFunc(web.CheckRecordName)
	app.OnRecordUpdateRequest(domain.Registrations).BindFunc(web.CheckRecordName)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/api/events/{id}/register", apiRegister)
		se.Router.GET("/api/events/{id}/availability", apiAvailability)
		se.Router.GET("/events/{id}", eventPage)
		se.Router.POST("/events/{id}/register", formRegister)
		se.Router.GET("/t/{code}", ticketPage)
		se.Router.GET("/t/{code}/qr.png", ticketQR)
		se.Router.GET("/t/{code}/event.ics", ticketICS)
		se.Router.GET("/t/{code}/cancel", cancelPage)
		se.Router.POST("/t/{code}/cancel", cancelSubmit)
		se.Router.POST("/t/{code}/party", giveBackSubmit)
		se.Router.GET("/t/{code}/print", ticketPrint)
		return se.Next()
	})
}

// DecodeInput reads the JSON registration body field by field, so a value of
// the wrong type is reported on its own field, then normalizes it. A
// missing locale is defaultLocale; unknown fields are ignored.
func DecodeInput(data []byte, defaultLocale string) (Input, error) {
	in := Input{Locale: defaultLocale}
	obj, err := web.ParseJSONObject(data)
	if err != nil {
		return in, err
	}
	obj.Field("name", &in.Name, "Must be a string.")
	obj.Field("email", &in.Email, "Must be a string.")
	obj.Field("locale", &in.Locale, "Must be a string.")
	obj.Field("photo_consent", &in.PhotoConsent, "Must be true or false.")
	obj.Field("interpretation", &in.Interpretation, "Must be a list of language codes.")
	obj.Field("bulletins", &in.Bulletins, "Must be true or false.")
	// A party sent as 0 is refused, not read as 1 (which is what a Go
	// caller leaving Party out gets).
	party := -1
	obj.Field("party", &party, "Must be a whole number.")
	if party != -1 {
		in.Party = partyOrInvalid(party)
	}
	obj.Field("childcare", &in.Childcare, "Must be a whole number.")
	err = obj.Check(in.Normalize)
	return in, err
}

// partyOrInvalid is a party a person sent: 0 (read as 1 by Normalize)
// becomes -1, so that it is refused as below 1.
func partyOrInvalid(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func apiRegister(e *core.RequestEvent) error {
	in, err := web.DecodeJSON(e, DecodeInput)
	if err != nil {
		return err
	}
	res, err := Create(e.App, e.Request.PathValue("id"), in, time.Now())
	var verrs validation.Errors
	switch {
	case errors.As(err, &verrs):
		return e.BadRequestError("Please check the highlighted fields.", verrs)
	case errors.Is(err, ErrNotFound):
		return e.NotFoundError("No such event.", nil)
	case errors.Is(err, ErrFull):
		return web.CodeError(http.StatusConflict, "full", "The event is full and keeps no waiting list.")
	case errors.Is(err, ErrClosed):
		return web.CodeError(http.StatusConflict, "closed", "Registration for this event is closed.")
	case err != nil:
		return err
	}
	code := res.Registration.GetString("ticket")
	party := domain.Party(res.Registration)
	switch res.Status {
	case StatusExists:
		// Same work as a new registration (the ticket is mailed again), and
		// nothing in the answer that only the address's owner should see.
		return e.JSON(http.StatusOK, map[string]any{"status": StatusExists})
	case string(domain.RegistrationWaitlisted):
		return e.JSON(http.StatusCreated, map[string]any{"status": res.Status, "position": res.Position, "party": party, "ticket": code, "ticket_url": "/t/" + code})
	default:
		return e.JSON(http.StatusCreated, map[string]any{"status": res.Status, "party": party, "ticket": code, "ticket_url": "/t/" + code})
	}
}

// formRegister is the registration form's handler: the same decision as the
// API, then a redirect to the ticket page, or the form again with errors in
// the visitor's language and their values kept. It needs no JavaScript.
func formRegister(e *core.RequestEvent) error {
	ev := findPublished(e.App, e.Request.PathValue("id"))
	if ev == nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	form := Form{Name: f.Get("name"), Email: f.Get("email"), PhotoConsent: f.Get("photo_consent") != "", Interpretation: f["interpretation"], Bulletins: f.Get("bulletins") != "",
		Party: formNumber(f.Get("party"), 1), Childcare: formNumber(f.Get("childcare"), 0)}
	// A filled honeypot is a bot: it sees the same "check your e-mail" page
	// a person sees, and nothing is stored or sent.
	if f.Get("website") != "" {
		return web.Render(e, http.StatusOK, "thanks", web.NewPage(e, "thanks.title", nil))
	}
	locale := f.Get("locale")
	if locale == "" {
		locale = web.Lang(e)
	}
	in := Input{Name: form.Name, Email: form.Email, Locale: locale, PhotoConsent: form.PhotoConsent, Interpretation: form.Interpretation, Bulletins: form.Bulletins,
		Party: partyOrInvalid(form.Party), Childcare: form.Childcare}
	if err := in.Normalize(); err != nil {
		form.Errors = fieldMessages(err)
		return showEvent(e, http.StatusBadRequest, ev, form)
	}
	res, err := Create(e.App, ev.Id, in, time.Now())
	var verrs validation.Errors
	switch {
	case errors.As(err, &verrs):
		form.Errors = fieldMessages(err)
		return showEvent(e, http.StatusBadRequest, ev, form)
	case errors.Is(err, ErrNotFound):
		return web.NotFound(e)
	case errors.Is(err, ErrFull):
		form.Errors = map[string]string{"form": "form.error.full"}
		if in.Party > 1 {
			form.Errors["form"] = "form.error.full_party" // a smaller party may still fit
		}
		return showEvent(e, http.StatusConflict, ev, form)
	case errors.Is(err, ErrClosed):
		form.Errors = map[string]string{"form": "form.error.closed"}
		return showEvent(e, http.StatusConflict, ev, form)
	case err != nil:
		return err
	}
	if res.Status == StatusExists {
		// The ticket went to the address again; showing it here would let
		// anyone who knows an address see that person's ticket.
		return web.Render(e, http.StatusOK, "thanks", web.NewPage(e, "thanks.title", nil))
	}
	return e.Redirect(http.StatusSeeOther, "/t/"+res.Registration.GetString("ticket"))
}

// FieldMessages maps validation errors of an Input to the registration
// form's message ids (a series' form uses them too).
func FieldMessages(err error) map[string]string { return fieldMessages(err) }

// FormNumber reads a whole number from a form field as the event's form
// does (a series' form reads its party and children so too): empty is
// otherwise, anything that is not a number -1.
func FormNumber(s string, otherwise int) int { return formNumber(s, otherwise) }

// PartyOrInvalid is the party of a form's field as Input takes it (0, a
// value no form offers, is refused).
func PartyOrInvalid(n int) int { return partyOrInvalid(n) }

// formNumber reads a whole number from a form field; empty is otherwise,
// and anything that is not a number is -1 (refused by Normalize).
func formNumber(s string, otherwise int) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return otherwise
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 1000 {
		return -1
	}
	return n
}

// fieldMessages maps validation errors to the form's message ids.
func fieldMessages(err error) map[string]string {
	out := map[string]string{}
	var verrs validation.Errors
	if !errors.As(err, &verrs) {
		out["form"] = "error.server.text"
		return out
	}
	for field, fe := range verrs {
		switch {
		case field == "name":
			out["name"] = web.NameMessage(fe)
		case field == "email":
			out["email"] = "form.error.email_invalid"
		case field == "party":
			out["party"] = "form.error.party"
		case field == "childcare":
			out["childcare"] = "form.error.childcare"
		default:
			out["form"] = "form.error.invalid"
		}
	}
	return out
}

func apiAvailability(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil || domain.EventStatusOf(ev) != domain.EventPublished {
		return e.NotFoundError("No such event.", nil)
	}
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return err
	}
	var left any = st.SeatsLeft()
	if st.Capacity == 0 {
		left = nil // no limit
	}
	return e.JSON(http.StatusOK, map[string]any{"capacity": st.Capacity, "seats_left": left, "waitlisted": st.Waitlisted})
}
