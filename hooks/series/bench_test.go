package series_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// BenchmarkStandingRegister is a standing place taken in a series of 12
// upcoming sessions (the place, a seat in each session decided as a single
// registration is, and the welcome mail queued, in one transaction), over
// HTTP with 16 concurrent clients; its p99 should stay under 20 ms. Read
// it beside the baseline, PocketBase's own record create:
//
//	go test -run '^$' -bench 'StandingRegister|RecordCreateAsOrganiser' -benchtime 500x ./hooks/series/
func BenchmarkStandingRegister(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	s, _ := kopatest.Series(b, app, kopatest.SeriesOpts{Weeks: 12})
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/series/"+s.Id+"/register", "", func(i int64) any {
		return map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("guest%d@example.com", i), "locale": "lv"}
	}, 201)
}

// BenchmarkRecordCreateAsOrganiser is the baseline of the benchmarks here.
func BenchmarkRecordCreateAsOrganiser(b *testing.B) {
	kopatest.BenchRecordCreateAsOrganiser(b, kopatest.NewApp(b, hooks.Default))
}

// BenchmarkPublishSession publishes one more session of a series with 500
// active standing places: the save of the event and a seat for each place
// in it; it should stay under 1 s an operation.
//
//	go test -run '^$' -bench PublishSession -benchtime 5x ./hooks/series/
func BenchmarkPublishSession(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	s, _ := kopatest.Series(b, app, kopatest.SeriesOpts{Weeks: 1, Capacity: 600})
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range 500 {
			kopatest.Standing(b, tx, s, fmt.Sprintf("Guest %d", i), fmt.Sprintf("guest%d@example.com", i))
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	events, err := app.FindCachedCollectionByNameOrId(domain.Events)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	b.ResetTimer()
	for i := range b.N {
		ev := core.NewRecord(events)
		ev.Load(map[string]any{
			"kind": domain.KindClub, "title_lv": "Klubs", "status": domain.EventPublished, "series": s.Id, "capacity": 600,
			"starts_at": domain.DateTime(start.AddDate(0, 0, 7*i)), "ends_at": domain.DateTime(start.AddDate(0, 0, 7*i).Add(2 * time.Hour)),
		})
		if err := app.Save(ev); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n, _ := app.CountRecords(domain.Registrations, dbx.HashExp{"event": ev.Id}); n != 500 {
			b.Fatalf("%d seats in the new session", n)
		}
		b.StartTimer()
	}
}
