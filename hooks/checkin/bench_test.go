package checkin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

func benchPost(b *testing.B, url, token string, body func(i int64) any) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			data, _ := json.Marshal(body(n.Add(1) - 1))
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", token)
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkCheckin checks b.N different tickets in at one event from 16
// concurrent door devices, beside PocketBase's own record create
// (BenchmarkRecordCreateAsOrganiser) in the same run:
//
//	go test -run '^$' -bench 'Checkin|RecordCreate' -benchtime 3000x ./hooks/checkin/
func BenchmarkCheckin(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	ev := kopatest.Event(b, app, kopatest.EventOpts{})
	codes := make([]string, b.N)
	for i := range codes {
		codes[i] = kopatest.Registration(b, app, ev, fmt.Sprintf("Guest %d", i), fmt.Sprintf("g%d@example.com", i), "confirmed").GetString("ticket")
	}
	token := kopatest.Token(b, kopatest.Organiser(b, app, "org@example.com"))
	srv := kopatest.Serve(b, app)
	benchPost(b, srv.URL+"/api/checkin", token, func(i int64) any {
		return map[string]any{"event": ev.Id, "code": srv.URL + "/t/" + codes[i]}
	})
}

// BenchmarkRecordCreateAsOrganiser is the baseline: an organiser creating
// a record with PocketBase's record API.
func BenchmarkRecordCreateAsOrganiser(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	c := core.NewBaseCollection("bench_plain")
	rule := "@request.auth.collectionName = 'organisers'"
	c.CreateRule = &rule
	c.Fields.Add(&core.TextField{Name: "name", Required: true, Max: 200}, &core.EmailField{Name: "email"})
	if err := app.Save(c); err != nil {
		b.Fatal(err)
	}
	token := kopatest.Token(b, kopatest.Organiser(b, app, "org@example.com"))
	srv := kopatest.Serve(b, app)
	benchPost(b, srv.URL+"/api/collections/bench_plain/records", token, func(i int64) any {
		return map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("g%d@example.com", i)}
	})
}
