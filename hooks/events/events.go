// Package events serves the home page (the upcoming events by kind) and
// keeps event records consistent. One event's page, with its registration
// form, is registration's.
package events

import (
	"strings"
	"time"
	"unicode"

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
	app.OnRecordValidate(domain.Events).BindFunc(validateEvent)
}

// validateEvent keeps an event record sound, for every write (the record
// API, the console and our own code alike): ends_at after starts_at, and
// texts that a calendar file or a mail header can carry. A title or the
// venue is one line: no line breaks or other control characters (a CR/LF
// in a title once made every ticket mail of its event fail). A summary may
// have line breaks and tabs, no other control character. Only a new or
// changed text is checked, so an event stored before this check can still
// be cancelled or moved; what it holds is folded where it is written (the
// calendar file, the mail subject).
func validateEvent(e *core.RecordEvent) error {
	errs := validation.Errors{}
	s, en := e.Record.GetDateTime("starts_at"), e.Record.GetDateTime("ends_at")
	if !s.IsZero() && !en.IsZero() && !en.Time().After(s.Time()) {
		errs["ends_at"] = validation.NewError("validation_ends_before_starts", "Must be after the start.")
	}
	for _, f := range e.Record.Collection().Fields {
		name := f.GetName()
		oneLine := name == "venue" || strings.HasPrefix(name, "title_")
		if !oneLine && !strings.HasPrefix(name, "summary_") {
			continue
		}
		v := e.Record.GetString(name)
		if !e.Record.IsNew() && v == e.Record.Original().GetString(name) {
			continue
		}
		switch {
		case oneLine && strings.ContainsFunc(v, breaksLine):
			errs[name] = validation.NewError("validation_invalid_value", "Must be one line, without control characters.")
		case !oneLine && strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
			errs[name] = validation.NewError("validation_invalid_value", "Must not contain control characters other than line breaks.")
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return e.Next()
}

// breaksLine reports whether r may not stand inside one line of text: a
// control character, or a Unicode line or paragraph separator.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
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
