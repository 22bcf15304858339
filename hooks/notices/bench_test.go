package notices_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/notices"
	"kopa/internal/kopatest"
)

// BenchmarkChangeNotice is the organiser's request that moves an event of
// 1,000 registrations and 20 volunteers by an hour through the record API:
// the save, the change recorded and 1,020 notices queued (the mails are
// written when they are sent). Each request moves the event again, so each
// queues a full set and finds the set before waiting. Beside it in the
// same run, PocketBase's own record create by an organiser:
//
//	go test -run '^$' -bench 'ChangeNotice|RecordCreate' -benchtime 30x ./hooks/notices/
func BenchmarkChangeNotice(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	ev := kopatest.Event(b, app, kopatest.EventOpts{Title: "Liela diskusija", Starts: time.Now().Add(7 * 24 * time.Hour)})
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range 1000 {
			kopatest.Registration(b, tx, ev, fmt.Sprintf("Guest %d", i), fmt.Sprintf("g%d@example.com", i), "confirmed")
		}
		starts := ev.GetDateTime("starts_at").Time()
		shift := kopatest.Shift(b, tx, ev, "door", starts, starts.Add(time.Hour))
		for i := range 20 {
			v := kopatest.Volunteer(b, tx, fmt.Sprintf("v%d@example.com", i), nil, []string{"door"})
			kopatest.Assignment(b, tx, shift, v, "accepted")
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	token := kopatest.Token(b, kopatest.Organiser(b, app, "org@example.com"))
	srv := kopatest.Serve(b, app)
	client := &http.Client{}
	starts := ev.GetDateTime("starts_at").Time()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		shift := time.Duration(i%2+1) * time.Hour
		body, _ := json.Marshal(map[string]any{"starts_at": starts.Add(shift).UTC().Format(time.RFC3339), "ends_at": starts.Add(shift + 2*time.Hour).UTC().Format(time.RFC3339)})
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/collections/events/records/"+ev.Id, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", token)
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		lat = append(lat, time.Since(t0))
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, "p99-ms")
	var queued int
	if err := app.DB().Select("count(*)").From("mail_outbox").Where(dbx.HashExp{"template": notices.MailChanged}).Row(&queued); err != nil || queued != 1000*b.N {
		b.Fatalf("%d notices queued (%v), want %d", queued, err, 1000*b.N)
	}
}

// BenchmarkRecordCreateAsOrganiser is the baseline: an organiser creating
// a record with PocketBase's record API, 16 clients at a time.
func BenchmarkRecordCreateAsOrganiser(b *testing.B) {
	kopatest.BenchRecordCreateAsOrganiser(b, kopatest.NewApp(b, hooks.Default))
}
