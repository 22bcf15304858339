package migrations_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/kopatest"
)

// TestSeriesMigrationReverts: the series migration gives the organisation's
// row two missed sessions before a standing place pauses; reverting it
// removes the collections and fields it added, and applying again brings
// them back.
func TestSeriesMigrationReverts(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	check := func(when string, want bool) {
		t.Helper()
		_, errS := app.FindCollectionByNameOrId("series")
		_, errT := app.FindCollectionByNameOrId("standing")
		evs, _ := app.FindCollectionByNameOrId("events")
		regs, _ := app.FindCollectionByNameOrId("registrations")
		set, _ := app.FindCollectionByNameOrId("kopa_settings")
		got := []bool{errS == nil, errT == nil, evs.Fields.GetByName("series") != nil, regs.Fields.GetByName("standing") != nil,
			regs.Fields.GetByName("skipped_at") != nil, set.Fields.GetByName("series_missed_limit") != nil}
		for i, g := range got {
			if g != want {
				t.Fatalf("%s: part %d of the series schema present %v, want %v", when, i, g, want)
			}
		}
	}
	check("applied", true)
	var limit int
	if err := app.DB().NewQuery("SELECT series_missed_limit FROM kopa_settings").Row(&limit); err != nil || limit != 2 {
		t.Errorf("series_missed_limit %d (%v), want 2", limit, err)
	}
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(migrationsSince(t, "1795001100")); err != nil {
		t.Fatal(err)
	}
	check("reverted", false)
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	check("applied again", true)
}

// TestSeriesRateLimits: a series' registration, API and form, is limited
// per address as an event's is.
func TestSeriesRateLimits(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	labels := map[string]bool{}
	for _, r := range app.Settings().RateLimits.Rules {
		labels[r.Label] = true
	}
	for _, l := range []string{"POST /api/series/", "POST /series/"} {
		if !labels[l] {
			t.Errorf("no rate limit %q", l)
		}
	}
}
