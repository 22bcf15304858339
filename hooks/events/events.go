// Package events serves the home page (the upcoming events by kind) and
// keeps event records consistent. One event's page, with its registration
// form, is registration's.
package events

import (
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Register binds the home page and the check of event records.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/{$}", homePage)
		return se.Next()
	})
	app.OnRecordValidate(domain.Events).BindFunc(validateWindow)
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
