// Package events serves the public pages (the list of upcoming events and one
// event with its registration form) and keeps event records consistent.
package events

import (
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Register binds the public pages and the record checks.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/{$}", homePage)
		se.Router.GET("/events/{id}", eventPage)
		return se.Next()
	})
	app.OnRecordValidate(domain.Events, domain.Shifts).BindFunc(validateWindow)
	app.OnRecordValidate(domain.Registrations).BindFunc(validateRegistration)
}

// validateWindow keeps ends_at after starts_at, for every write (the record
// API and our own code alike).
func validateWindow(e *core.RecordEvent) error {
	s, en := e.Record.GetDateTime("starts_at"), e.Record.GetDateTime("ends_at")
	if !s.IsZero() && !en.IsZero() && !en.Time().After(s.Time()) {
		return validation.Errors{"ends_at": validation.NewError("validation_ends_before_starts", "Must be after the start.")}
	}
	return e.Next()
}

// validateRegistration requires a name that is not only spaces, except on a
// registration whose personal data retention has erased.
func validateRegistration(e *core.RecordEvent) error {
	if e.Record.GetDateTime("erased_at").IsZero() {
		name := strings.TrimSpace(e.Record.GetString("name"))
		if name == "" {
			return validation.Errors{"name": validation.NewError("validation_required", "Cannot be blank.")}
		}
		e.Record.Set("name", name)
	}
	return e.Next()
}

// Group is one kind of event on the home page.
type Group struct {
	Kind   string
	Events []domain.EventView
}

func homePage(e *core.RequestEvent) error {
	lang := web.Lang(e)
	recs, err := e.App.FindRecordsByFilter(domain.Events, "status = {:published} && ends_at >= {:now}", "starts_at", 300, 0,
		dbx.Params{"now": domain.DateTime(time.Now()).String(), "published": domain.EventPublished})
	if err != nil {
		return err
	}
	byKind := map[string][]domain.EventView{}
	for _, r := range recs {
		st, err := attendance.ForEvent(e.App, r.Id)
		if err != nil {
			return err
		}
		byKind[r.GetString("kind")] = append(byKind[r.GetString("kind")], domain.NewEventView(r, lang, st))
	}
	var groups []Group
	for _, k := range domain.Kinds {
		if len(byKind[k]) > 0 {
			groups = append(groups, Group{Kind: k, Events: byKind[k]})
		}
	}
	return web.Show(e, "home", "home.heading", map[string]any{"Groups": groups})
}

// Form is the registration form's state when it is shown again with errors.
type Form struct {
	Name, Email  string
	PhotoConsent bool
	// Interpretation lists the languages asked for.
	Interpretation []string
	// Errors maps a field ("name", "email", or "form") to a message id.
	Errors map[string]string
}

// Wants reports whether the form asked for interpretation into lang.
func (f Form) Wants(lang string) bool {
	for _, l := range f.Interpretation {
		if l == lang {
			return true
		}
	}
	return false
}

// EventPageData is what templates/pages/event.html receives.
type EventPageData struct {
	Event domain.EventView
	Form  Form
	// Languages are those the form offers interpretation into.
	Languages []string
}

// FindPublished returns the published (or cancelled, so its page can say
// so) event with that id; drafts and unknown ids give nil.
func FindPublished(app core.App, id string) *core.Record {
	rec, err := app.FindRecordById(domain.Events, id)
	if err != nil || domain.EventStatusOf(rec) == domain.EventDraft {
		return nil
	}
	return rec
}

func eventPage(e *core.RequestEvent) error {
	rec := FindPublished(e.App, e.Request.PathValue("id"))
	if rec == nil {
		return web.NotFound(e)
	}
	return ShowEvent(e, http.StatusOK, rec, Form{})
}

// ShowEvent renders an event page with the registration form in the given
// state (the registration handler uses it to show errors).
func ShowEvent(e *core.RequestEvent, status int, rec *core.Record, form Form) error {
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
