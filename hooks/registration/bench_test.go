package registration_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/registration"
	"kopa/internal/kopatest"
)

// BenchmarkRegister compares a public registration (validation, the seat
// decision in a transaction, the ticket mail queued in the same
// transaction) with PocketBase's own create of a record with the same two
// fields, over HTTP with 16 concurrent clients. Read the ns/op ratio:
//
//	go test -run '^$' -bench 'Register|RecordCreate' -benchtime 2000x ./hooks/registration/
func BenchmarkRegister(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	ev := kopatest.Event(b, app, kopatest.EventOpts{Capacity: 0})
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/events/"+ev.Id+"/register", "", func(i int64) any {
		return map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("guest%d@example.com", i), "locale": "en"}
	}, 201)
}

// BenchmarkRecordCreate is the baseline: PocketBase's record API creating a
// record of a public collection with a name and an e-mail.
func BenchmarkRecordCreate(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	c := core.NewBaseCollection("bench_plain")
	c.CreateRule = new(string)
	c.Fields.Add(&core.TextField{Name: "name", Required: true, Max: 200}, &core.EmailField{Name: "email"})
	if err := app.Save(c); err != nil {
		b.Fatal(err)
	}
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/collections/bench_plain/records", "", func(i int64) any {
		return map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("guest%d@example.com", i)}
	}, 200)
}

// BenchmarkQRCached is a ticket's QR code served from the cache.
func BenchmarkQRCached(b *testing.B) {
	url := "https://kopa.example.org/t/AbCdEfGhIjKlMnOpQrStUvWx"
	if _, err := registration.QRCode(url); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := registration.QRCode(url); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegisterParties is public registration of parties of one to
// four people for an event with a seat limit it never reaches, so that
// every batch counts the people in their seats, beside
// BenchmarkRecordCreateAsOrganiser, the baseline the hot paths are read
// against:
//
//	go test -run '^$' -bench 'RegisterParties|RecordCreateAsOrganiser' -benchtime 4000x ./hooks/registration/
func BenchmarkRegisterParties(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	ev := kopatest.Event(b, app, kopatest.EventOpts{Capacity: 4*b.N + 4, Waitlist: true})
	ev.Set("max_party", 4)
	if err := app.Save(ev); err != nil {
		b.Fatal(err)
	}
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/events/"+ev.Id+"/register", "", func(i int64) any {
		return map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("guest%d@example.com", i), "locale": "en", "party": 1 + i%4}
	}, 201)
}

// BenchmarkRecordCreateAsOrganiser is kopatest's baseline: an organiser's
// create of a plain record through PocketBase's record API.
func BenchmarkRecordCreateAsOrganiser(b *testing.B) {
	kopatest.BenchRecordCreateAsOrganiser(b, kopatest.NewApp(b, hooks.Default))
}
