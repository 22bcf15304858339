package checkin_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/web"
	"kopa/internal/kopatest"
)

// BenchmarkCheckin checks b.N different tickets in at one event from 16
// concurrent door devices, beside PocketBase's own record create
// (BenchmarkRecordCreateAsOrganiser) in the same run:
//
//	go test -run '^$' -bench 'Checkin|RecordCreate' -benchtime 3000x ./hooks/checkin/
//
// BenchmarkCheckinSession is the same with a session's token.
func BenchmarkCheckin(b *testing.B) {
	benchCheckin(b, func(_ core.App, org *core.Record) string { return kopatest.Token(b, org) })
}

// BenchmarkCheckinSession is BenchmarkCheckin with the token a door
// device's scanner page is given: it names the page's session, which every
// request checks is still on (not logged out).
func BenchmarkCheckinSession(b *testing.B) {
	benchCheckin(b, func(app core.App, org *core.Record) string {
		token, err := web.StartSession(app, org)
		if err != nil {
			b.Fatal(err)
		}
		return token
	})
}

func benchCheckin(b *testing.B, tokenOf func(app core.App, org *core.Record) string) {
	app := kopatest.NewApp(b, hooks.Default)
	ev := kopatest.Event(b, app, kopatest.EventOpts{})
	codes := make([]string, b.N)
	for i := range codes {
		codes[i] = kopatest.Registration(b, app, ev, fmt.Sprintf("Guest %d", i), fmt.Sprintf("g%d@example.com", i), "confirmed").GetString("ticket")
	}
	token := tokenOf(app, kopatest.Organiser(b, app, "org@example.com"))
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/checkin", token, func(i int64) any {
		return map[string]any{"event": ev.Id, "code": srv.URL + "/t/" + codes[i]}
	}, 200)
}

// BenchmarkRecordCreateAsOrganiser is the baseline: an organiser creating
// a record with PocketBase's record API.
func BenchmarkRecordCreateAsOrganiser(b *testing.B) {
	kopatest.BenchRecordCreateAsOrganiser(b, kopatest.NewApp(b, hooks.Default))
}
