package registration

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Form is the registration form's state when it is shown again with errors.
type Form struct {
	Name, Email  string
	PhotoConsent bool
	// Bulletins: the box to receive the bulletins is ticked.
	Bulletins bool
	// Interpretation lists the languages asked for.
	Interpretation []string
	// Party is how many are coming, Childcare how many children among
	// them need minding (as chosen; the form starts with 1 and 0).
	Party, Childcare int
	// Errors maps a field ("name", "email", or "form") to a message id.
	Errors map[string]string
}

// Wants reports whether the form asked for interpretation into lang.
func (f Form) Wants(lang string) bool {
	return contains(f.Interpretation, lang)
}

// EventPageData is what templates/pages/event.html receives.
type EventPageData struct {
	Event domain.EventView
	Form  Form
	// Languages are those the form offers interpretation into.
	Languages []string
}

// findPublished returns the published (or cancelled, so its page can say
// so) event with that id; drafts and unknown ids give nil.
func findPublished(app core.App, id string) *core.Record {
	rec, err := app.FindRecordById(domain.Events, id)
	if err != nil || domain.EventStatusOf(rec) == domain.EventDraft {
		return nil
	}
	return rec
}

// eventPage is an event's public page, with its registration form while
// registration is open.
func eventPage(e *core.RequestEvent) error {
	rec := findPublished(e.App, e.Request.PathValue("id"))
	if rec == nil {
		return web.NotFound(e)
	}
	return showEvent(e, http.StatusOK, rec, Form{})
}

// showEvent renders an event's page with the registration form in the
// given state (formRegister shows errors with it).
func showEvent(e *core.RequestEvent, status int, rec *core.Record, form Form) error {
	st, err := attendance.ForEvent(e.App, rec.Id)
	if err != nil {
		return err
	}
	view := domain.NewEventView(rec, web.Lang(e), st)
	p := web.NewPage(e, "", EventPageData{Event: view, Form: form, Languages: domain.Languages})
	p.Title = view.Title
	p.Path = "/events/" + rec.Id // the language switch shows the event, also after a POST
	return web.Render(e, status, "event", p)
}
