package migrations

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Kopā speaks Ukrainian, Arabic and Persian too: registrations, volunteers
// and bulletin subscribers may keep any of six locales, and events gain
// optional titles and summaries in the three new languages (a missing one
// falls back to English, then Latvian).

// Values frozen as this migration wrote them.
var (
	sixLocales = []string{"lv", "en", "ru", "uk", "ar", "fa"}
	newLocales = []string{"uk", "ar", "fa"}
)

// localeFields are the select fields that hold a person's locale.
var localeFields = []struct{ collection, field string }{
	{"registrations", "locale"},
	{"volunteers", "locale"},
	{"subscribers", "locale"},
}

func init() {
	m.Register(func(app core.App) error {
		for _, f := range localeFields {
			if err := setSelectValues(app, f.collection, f.field, sixLocales); err != nil {
				return err
			}
		}
		events, err := app.FindCollectionByNameOrId("events")
		if err != nil {
			return err
		}
		for _, l := range newLocales {
			events.Fields.Add(&core.TextField{Name: "title_" + l, Max: 200})
			events.Fields.Add(&core.TextField{Name: "summary_" + l, Max: 5000})
		}
		if err := app.Save(events); err != nil {
			return fmt.Errorf("events: titles in uk, ar, fa: %w", err)
		}
		return nil
	}, func(app core.App) error {
		events, err := app.FindCollectionByNameOrId("events")
		if err != nil {
			return err
		}
		for _, l := range newLocales {
			events.Fields.RemoveByName("title_" + l)
			events.Fields.RemoveByName("summary_" + l)
		}
		if err := app.Save(events); err != nil {
			return fmt.Errorf("events: remove titles in uk, ar, fa: %w", err)
		}
		// People who chose a new language hear English, as before.
		for _, f := range localeFields {
			if _, err := app.DB().Update(f.collection, dbx.Params{f.field: "en"}, dbx.In(f.field, "uk", "ar", "fa")).Execute(); err != nil {
				return fmt.Errorf("%s.%s: back to en: %w", f.collection, f.field, err)
			}
			if err := setSelectValues(app, f.collection, f.field, []string{"lv", "en", "ru"}); err != nil {
				return err
			}
		}
		return nil
	})
}

// setSelectValues sets the values of the select field collection.field.
func setSelectValues(app core.App, collection, field string, values []string) error {
	c, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		return err
	}
	f, ok := c.Fields.GetByName(field).(*core.SelectField)
	if !ok {
		return fmt.Errorf("%s.%s is not a select field", collection, field)
	}
	f.Values = values
	if err := app.Save(c); err != nil {
		return fmt.Errorf("%s.%s: %w", collection, field, err)
	}
	return nil
}
