package live_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/live"
	"kopa/internal/kopatest"
)

// The benchmarks below measure the hub with real sockets on loopback:
//
//	go test ./hooks/live -run '^$' -bench . -benchtime 200x
//
// BenchmarkBroadcast1000 watches one event with 1,000 dashboards, run in a
// child process (this test binary again, see TestSwarm) so that the
// server's memory per connection is measured alone. Each iteration makes
// one check-in through PocketBase's record API and waits until the last
// of the 1,000 has it. Metrics:
//
//	p50-ms, p99-ms, max-ms   from sending the API request to the last receipt
//	p99-after-answer-ms      from the API's answer to the last receipt
//	B/idle-conn              server heap and stacks per idle connection
//
// BenchmarkRecordCreate is the same API call on plain PocketBase (no Kopā
// hooks, nobody watching), and BenchmarkCheckinUnwatched the call with the
// hub registered but nobody watching, for the ratio.

const swarmSize = 1000

// BenchmarkBroadcast1000 measures one check-in reaching 1,000 dashboards.
func BenchmarkBroadcast1000(b *testing.B) {
	raiseFileLimit(b, 3*swarmSize+1024)
	// The swarm signs in with one organiser's token.
	f := setupWith(b, live.Timeouts{MaxPerAccount: swarmSize})
	ev := kopatest.Event(b, f.app, kopatest.EventOpts{Title: "Bench"})
	pool := newPool(b, f.app)

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	s := startSwarm(b, f.url(ev.Id), f.orgToken, swarmSize)
	waitFor(b, "the swarm joined", func() bool { return live.Clients(f.app, ev.Id) == swarmSize })

	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	perConn := (float64(after.HeapAlloc+after.StackInuse) - float64(before.HeapAlloc+before.StackInuse)) / swarmSize

	post := poster(b, f.srv.URL, f.orgToken)
	var total, afterAnswer []time.Duration
	n := 0
	for b.Loop() {
		reg := pool.next(b)
		start := time.Now()
		post(reg.Id, ev.Id)
		answered := time.Now()
		n++
		k, last := s.receipt(b)
		if k != n {
			b.Fatalf("swarm reported check-in %d, want %d", k, n)
		}
		total = append(total, last.Sub(start))
		afterAnswer = append(afterAnswer, max(0, last.Sub(answered)))
	}
	b.StopTimer()
	if got := live.Clients(f.app, ev.Id); got != swarmSize {
		b.Fatalf("%d clients left of %d: the hub dropped some", got, swarmSize)
	}
	b.ReportMetric(ms(percentile(total, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(total, 99)), "p99-ms")
	b.ReportMetric(ms(percentile(total, 100)), "max-ms")
	b.ReportMetric(ms(percentile(afterAnswer, 99)), "p99-after-answer-ms")
	b.ReportMetric(perConn, "B/idle-conn")
}

// BenchmarkRecordCreate is the baseline: the same check-in create through
// PocketBase's record API on an app with Kopā's schema and no hooks.
func BenchmarkRecordCreate(b *testing.B) {
	app := kopatest.NewApp(b)
	srv := kopatest.Serve(b, app)
	org := kopatest.Organiser(b, app, "org@example.org")
	ev := kopatest.Event(b, app, kopatest.EventOpts{Title: "Bench"})
	pool := newPool(b, app)
	post := poster(b, srv.URL, kopatest.Token(b, org))
	for b.Loop() {
		post(pool.next(b).Id, ev.Id)
	}
}

// BenchmarkCheckinUnwatched is the same call with all of Kopā registered
// (the hub included) and nobody watching the event.
func BenchmarkCheckinUnwatched(b *testing.B) {
	f := setup(b)
	ev := kopatest.Event(b, f.app, kopatest.EventOpts{Title: "Bench"})
	pool := newPool(b, f.app)
	post := poster(b, f.srv.URL, f.orgToken)
	for b.Loop() {
		post(pool.next(b).Id, ev.Id)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

// poster returns a function that creates a check-in through the record
// API as an organiser and fails the benchmark on anything but 200.
func poster(b *testing.B, base, token string) func(regID, eventID string) {
	client := &http.Client{Timeout: guard}
	return func(regID, eventID string) {
		body, _ := json.Marshal(map[string]any{
			"registration": regID, "event": eventID, "method": "qr", "at": types.NowDateTime().String(),
		})
		req, _ := http.NewRequest(http.MethodPost, base+"/api/collections/checkins/records", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("create check-in: %d %s", resp.StatusCode, raw)
		}
	}
}

// pool hands out registrations to check in. They belong to a side event
// nobody watches, so creating them (a thousand at a time, outside the
// timer) sends nothing to the swarm; the check-ins name the watched event.
type pool struct {
	app  core.App
	side *core.Record
	regs []*core.Record
	made int
}

func newPool(b *testing.B, app core.App) *pool {
	return &pool{app: app, side: kopatest.Event(b, app, kopatest.EventOpts{Title: "Pool"})}
}

func (p *pool) next(b *testing.B) *core.Record {
	if len(p.regs) == 0 {
		b.StopTimer()
		c, err := p.app.FindCachedCollectionByNameOrId("registrations")
		if err != nil {
			b.Fatal(err)
		}
		err = p.app.RunInTransaction(func(tx core.App) error {
			for i := 0; i < 1000; i++ {
				p.made++
				r := core.NewRecord(c)
				r.Load(map[string]any{
					"event": p.side.Id, "name": fmt.Sprintf("Guest %d", p.made),
					"email": fmt.Sprintf("guest%d@example.org", p.made), "status": "confirmed", "locale": "lv",
				})
				if err := tx.Save(r); err != nil {
					return err
				}
				p.regs = append(p.regs, r)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	r := p.regs[0]
	p.regs = p.regs[1:]
	return r
}

// raiseFileLimit lifts the soft limit on open files (both ends of 1,000
// sockets live on this machine) up to the hard limit.
func raiseFileLimit(tb testing.TB, want uint64) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Fatal(err)
	}
	if l.Cur >= want {
		return
	}
	if l.Max < want {
		tb.Skipf("open file limit %d is below the %d needed", l.Max, want)
	}
	l.Cur = want
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		tb.Fatal(err)
	}
}

// swarm is the child process holding the dashboards.
type swarm struct {
	lines chan string
}

// startSwarm runs TestSwarm in a child process with n clients on url and
// waits until all of them have their snapshot.
func startSwarm(b *testing.B, url, token string, n int) *swarm {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSwarm$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KOPA_SWARM_URL="+url, "KOPA_SWARM_TOKEN="+token, "KOPA_SWARM_SIZE="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // closed by the cleanup: the child exits
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(guard):
			_ = cmd.Process.Kill()
		}
	})
	s := &swarm{lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "swarm "); ok {
				s.lines <- line
			}
		}
		close(s.lines)
	}()
	select {
	case line, ok := <-s.lines:
		if !ok || line != "ready" {
			b.Fatalf("swarm: %q", line)
		}
	case <-time.After(2 * time.Minute):
		b.Fatal("the swarm did not connect")
	}
	return s
}

// receipt waits for the swarm's report that all clients have check-in k,
// and returns k with the time the last one got it.
func (s *swarm) receipt(b *testing.B) (int, time.Time) {
	select {
	case line, ok := <-s.lines:
		if !ok {
			b.Fatal("the swarm ended")
		}
		var k int
		var nanos int64
		if _, err := fmt.Sscanf(line, "got %d %d", &k, &nanos); err != nil {
			b.Fatalf("swarm: %q", line)
		}
		return k, time.Unix(0, nanos)
	case <-time.After(guard):
		b.Fatal("the swarm did not receive the check-in")
	}
	return 0, time.Time{}
}

// TestSwarm is the benchmark's child process, not a test: it connects
// KOPA_SWARM_SIZE dashboards to KOPA_SWARM_URL, prints "swarm ready", then
// for every check-in that all of them got "swarm got <checked_in>
// <unix nanos of the last receipt>", until its stdin closes.
func TestSwarm(t *testing.T) {
	url := os.Getenv("KOPA_SWARM_URL")
	if url == "" {
		t.Skip("the child process of BenchmarkBroadcast1000")
	}
	n, _ := strconv.Atoi(os.Getenv("KOPA_SWARM_SIZE"))
	raiseFileLimit(t, uint64(n)+1024)
	auth, _ := json.Marshal(map[string]string{"type": "auth", "token": os.Getenv("KOPA_SWARM_TOKEN")})

	type receipt struct {
		k  int
		at int64
	}
	receipts := make(chan receipt, n)
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	var failed error
	var failMu sync.Mutex
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conn, _, err := websocket.DefaultDialer.Dial(url, nil)
			if err == nil {
				err = conn.WriteMessage(websocket.TextMessage, auth)
			}
			if err == nil {
				_, _, err = conn.ReadMessage() // the snapshot
			}
			if err != nil {
				failMu.Lock()
				failed = err
				failMu.Unlock()
				return
			}
			conns[i] = conn
		}()
	}
	wg.Wait()
	if failed != nil {
		t.Fatalf("swarm: %v", failed)
	}
	for _, conn := range conns {
		go func() {
			var m struct {
				Type  string `json:"type"`
				Stats struct {
					CheckedIn int `json:"checked_in"`
				} `json:"stats"`
			}
			for {
				_, raw, err := conn.ReadMessage()
				if err != nil {
					return
				}
				at := time.Now().UnixNano()
				if json.Unmarshal(raw, &m) == nil && m.Type == "checkin" {
					receipts <- receipt{m.Stats.CheckedIn, at}
				}
			}
		}()
	}
	go func() {
		count := map[int]int{}
		last := map[int]int64{}
		for r := range receipts {
			count[r.k]++
			last[r.k] = max(last[r.k], r.at)
			if count[r.k] == n {
				fmt.Printf("swarm got %d %d\n", r.k, last[r.k])
				delete(count, r.k)
				delete(last, r.k)
			}
		}
	}()
	fmt.Println("swarm ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark ends
	for _, conn := range conns {
		conn.Close()
	}
}
