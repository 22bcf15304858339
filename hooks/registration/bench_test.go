package registration_test

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
	"kopa/hooks/registration"
	"kopa/internal/kopatest"
)

// latencies collects request durations from parallel clients.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) report(b *testing.B) {
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	if n := len(l.d); n > 0 {
		b.ReportMetric(float64(l.d[n*50/100].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(l.d[(n-1)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// benchPost runs POST requests from 16 concurrent clients (on this
// machine's cores) for b.N requests in all.
func benchPost(b *testing.B, url string, token string, body func(i int64) any, want int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	var lat latencies
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			data, _ := json.Marshal(body(n.Add(1)))
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", token)
			}
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			lat.add(time.Since(t0))
			if res.StatusCode != want {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	lat.report(b)
}

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
	benchPost(b, srv.URL+"/api/events/"+ev.Id+"/register", "", func(i int64) any {
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
	benchPost(b, srv.URL+"/api/collections/bench_plain/records", "", func(i int64) any {
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
