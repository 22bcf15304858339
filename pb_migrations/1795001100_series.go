package migrations

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Weekly series: a conversation club is one series of weekly sessions, and
// a regular registers once for all of them.
//
//   - series hold what their sessions share (kind, texts in six languages,
//     venue, capacity, waiting list) and how the console makes them: the
//     weekday (1 Monday … 7 Sunday), the start time and the first date in
//     Riga, the length in minutes, the number of weeks and the dates to
//     skip (a JSON list of YYYY-MM-DD);
//   - events gain series, the series a session belongs to;
//   - standing places are one person's place in every session of a series,
//     with one ticket of the same shape as a registration's; each session's
//     seat is a registration linked to it (registrations.standing);
//   - registrations gain skipped_at: the seat was given up for that week
//     through its standing place (its status is cancelled, as any freed
//     seat's);
//   - kopa_settings gains series_missed_limit: sessions in a row missed
//     without skipping before a standing place pauses (0 = never).
//
// The public sees a series whose sessions are published, never a standing
// place.

// Values frozen as this migration wrote them.
var (
	seriesKinds      = []string{"discussion", "club", "culture"}
	standingStatuses = []string{"active", "paused", "ended"}
	seriesTextLangs  = []string{"lv", "en", "ru", "uk", "ar", "fa"}
)

const (
	seriesMaxWeeks       = 104.0
	seriesMaxLength      = 12 * 60.0
	seriesDefaultMissed  = 2
	seriesMaxMissedLimit = 52.0
	// A date (YYYY-MM-DD) and a time of day (HH:MM), both in Riga.
	seriesDatePattern = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`
	seriesTimePattern = `^([01][0-9]|2[0-3]):[0-5][0-9]$`
)

func init() {
	m.Register(func(app core.App) error {
		events, err := app.FindCollectionByNameOrId("events")
		if err != nil {
			return err
		}

		series := core.NewBaseCollection("series")
		organiserOnly(series)
		series.Fields.Add(&core.SelectField{Name: "kind", Required: true, Values: seriesKinds, MaxSelect: 1})
		for _, l := range seriesTextLangs {
			series.Fields.Add(&core.TextField{Name: "title_" + l, Required: l == "lv", Max: 200})
		}
		for _, l := range seriesTextLangs {
			series.Fields.Add(&core.TextField{Name: "summary_" + l, Max: 5000})
		}
		series.Fields.Add(&core.TextField{Name: "venue", Max: 300})
		series.Fields.Add(&core.NumberField{Name: "capacity", OnlyInt: true, Min: types.Pointer(0.0)})
		series.Fields.Add(&core.BoolField{Name: "waitlist"})
		series.Fields.Add(&core.NumberField{Name: "weekday", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(7.0)})
		series.Fields.Add(&core.TextField{Name: "start_time", Required: true, Pattern: seriesTimePattern})
		series.Fields.Add(&core.NumberField{Name: "length_minutes", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(seriesMaxLength)})
		series.Fields.Add(&core.TextField{Name: "first_date", Required: true, Pattern: seriesDatePattern})
		series.Fields.Add(&core.NumberField{Name: "weeks", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(seriesMaxWeeks)})
		series.Fields.Add(&core.JSONField{Name: "skip_dates", MaxSize: 10000})
		timestamps(series)
		if err := app.Save(series); err != nil {
			return fmt.Errorf("series: %w", err)
		}

		events.Fields.Add(&core.RelationField{Name: "series", CollectionId: series.Id, MaxSelect: 1})
		events.AddIndex("idx_events_series", false, "series, starts_at", "series != ''")
		if err := app.Save(events); err != nil {
			return fmt.Errorf("events: series: %w", err)
		}
		// The public may read a series with a published session: the rule
		// needs events.series, so it is set once that exists.
		publicRead := "events_via_series.status ?= 'published' || " + isOrganiser
		series.ListRule = types.Pointer(publicRead)
		series.ViewRule = types.Pointer(publicRead)
		if err := app.Save(series); err != nil {
			return fmt.Errorf("series rules: %w", err)
		}

		standing := core.NewBaseCollection("standing")
		organiserOnly(standing)
		standing.Fields.Add(&core.RelationField{Name: "series", Required: true, CollectionId: series.Id, MaxSelect: 1, CascadeDelete: true})
		// Not required: retention erases them and keeps the row.
		standing.Fields.Add(&core.TextField{Name: "name", Max: 200})
		standing.Fields.Add(&core.EmailField{Name: "email"})
		standing.Fields.Add(&core.SelectField{Name: "locale", Values: sixLocales, MaxSelect: 1})
		standing.Fields.Add(&core.TextField{Name: "ticket", Required: true, Min: 24, Max: 64, Pattern: "^[A-Za-z0-9]+$", AutogeneratePattern: ticketPattern})
		standing.Fields.Add(&core.SelectField{Name: "status", Required: true, Values: standingStatuses, MaxSelect: 1})
		standing.Fields.Add(&core.BoolField{Name: "photo_consent"})
		standing.Fields.Add(&core.SelectField{Name: "interpretation", Values: languages, MaxSelect: len(languages)})
		standing.Fields.Add(&core.NumberField{Name: "missed", OnlyInt: true, Min: types.Pointer(0.0)})
		standing.Fields.Add(&core.DateField{Name: "paused_at"})
		standing.Fields.Add(&core.DateField{Name: "ended_at"})
		standing.Fields.Add(&core.DateField{Name: "erased_at"})
		timestamps(standing)
		standing.AddIndex("idx_standing_ticket", true, "ticket", "")
		// One standing place per address and series while it lasts.
		standing.AddIndex("idx_standing_series_email", true, "series, email", "email != '' AND status != 'ended'")
		standing.AddIndex("idx_standing_series_status", false, "series, status", "")
		if err := app.Save(standing); err != nil {
			return fmt.Errorf("standing: %w", err)
		}

		regs, err := app.FindCollectionByNameOrId("registrations")
		if err != nil {
			return err
		}
		regs.Fields.Add(&core.RelationField{Name: "standing", CollectionId: standing.Id, MaxSelect: 1})
		regs.Fields.Add(&core.DateField{Name: "skipped_at"})
		regs.AddIndex("idx_registrations_standing", false, "standing, event", "standing != ''")
		if err := app.Save(regs); err != nil {
			return fmt.Errorf("registrations: standing: %w", err)
		}

		s, err := app.FindCollectionByNameOrId("kopa_settings")
		if err != nil {
			return err
		}
		s.Fields.Add(&core.NumberField{Name: "series_missed_limit", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(seriesMaxMissedLimit)})
		if err := app.Save(s); err != nil {
			return fmt.Errorf("kopa_settings: series_missed_limit: %w", err)
		}
		// 0 is a value of its own (never pause): the rows there get the
		// default here.
		if _, err := app.DB().Update("kopa_settings", dbx.Params{"series_missed_limit": seriesDefaultMissed}, nil).Execute(); err != nil {
			return fmt.Errorf("kopa_settings: series_missed_limit: %w", err)
		}
		return nil
	}, func(app core.App) error {
		for _, c := range []struct {
			name    string
			fields  []string
			indexes []string
		}{
			{"kopa_settings", []string{"series_missed_limit"}, nil},
			{"registrations", []string{"standing", "skipped_at"}, []string{"idx_registrations_standing"}},
			{"events", []string{"series"}, []string{"idx_events_series"}},
		} {
			col, err := app.FindCollectionByNameOrId(c.name)
			if err != nil {
				return err
			}
			for _, idx := range c.indexes {
				col.RemoveIndex(idx)
			}
			for _, f := range c.fields {
				col.Fields.RemoveByName(f)
			}
			if err := app.Save(col); err != nil {
				return fmt.Errorf("%s: remove %v: %w", c.name, c.fields, err)
			}
		}
		for _, name := range []string{"standing", "series"} {
			col, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				continue
			}
			if err := app.Delete(col); err != nil {
				return fmt.Errorf("delete %s: %w", name, err)
			}
		}
		return nil
	})
}
