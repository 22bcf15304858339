package missed_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/missed"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// BenchmarkMissedCheck is one run of the missed-sessions job an hour after
// a session of a series with 500 standing places, each with a seat in its
// 12 sessions (half of them over) and checked in at each: every place's
// run is counted and nothing changes, the job's cost on most of its runs.
//
//	go test -run '^$' -bench MissedCheck -benchtime 50x ./hooks/missed/
func BenchmarkMissedCheck(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	s, ss := kopatest.Series(b, app, kopatest.SeriesOpts{First: time.Now().Add(-6*7*24*time.Hour + time.Hour), Weeks: 12})
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range 500 {
			st := kopatest.Standing(b, tx, s, fmt.Sprintf("Guest %d", i), fmt.Sprintf("guest%d@example.com", i))
			for _, ev := range ss {
				kopatest.Seat(b, tx, ev, st, domain.RegistrationConfirmed)
			}
		}
		// Everyone came to every session that is over.
		_, err := tx.DB().NewQuery(`INSERT INTO checkins (id, registration, event, at, method, created, updated)
			SELECT lower(hex(randomblob(8))), r.id, r.event, e.starts_at, 'qr', e.starts_at, e.starts_at
			FROM registrations r JOIN events e ON e.id = r.event WHERE e.ends_at < {:now}`).
			Bind(dbx.Params{"now": domain.DateTime(time.Now()).String()}).Execute()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	now := ss[5].GetDateTime("ends_at").Time().Add(time.Hour)
	b.ResetTimer()
	for range b.N {
		if n, err := missed.Check(app, now); err != nil || n != 0 {
			b.Fatalf("paused %d (%v)", n, err)
		}
	}
}
