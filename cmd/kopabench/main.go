// Command kopabench measures Kopā the way people use it: it builds the
// binary, starts it on loopback with a real SMTP sink (mailpit), and drives
// registration, check-in, the public event page and the live broadcast with
// concurrent clients, next to PocketBase's own plain record create, then
// prints a table of throughput, p50/p99 and the ratios.
//
//	go run ./cmd/kopabench            (what `make bench` runs)
//	go run ./cmd/kopabench -h         (flags)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"kopa/internal/domain"
)

var (
	flagBin        = flag.String("bin", "", "kopa binary to measure (default: build one from this module)")
	flagClients    = flag.Int("clients", 16, "concurrent clients")
	flagDuration   = flag.Duration("duration", 8*time.Second, "how long each HTTP scenario runs")
	flagDashboards = flag.Int("dashboards", 1000, "WebSocket dashboards connected for the broadcast scenario")
	flagBroadcasts = flag.Int("broadcasts", 50, "check-ins sent to the connected dashboards")
	flagStored     = flag.Int("stored", 10000, "registrations stored before the memory reading")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kopabench:", err)
		os.Exit(1)
	}
}

// result is one scenario's figures.
type result struct {
	name     string
	requests int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), r.lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p)
	return s[i]
}

type bench struct {
	base      string
	client    *http.Client
	superTok  string
	orgTok    string
	serverPID int
}

func run() error {
	raiseFileLimit() // before the server starts, so it inherits the limit too
	tmp, err := os.MkdirTemp("", "kopabench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := *flagBin
	if bin == "" {
		bin = filepath.Join(tmp, "kopa")
		fmt.Fprintln(os.Stderr, "building the binary…")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}

	smtpPort, stopMail, err := startMailpit(tmp)
	if err != nil {
		return err
	}
	defer stopMail()

	dataDir := filepath.Join(tmp, "data")
	if out, err := exec.Command(bin, "superuser", "upsert", "bench@example.org", "bench-password-123", "--dir", dataDir).CombinedOutput(); err != nil {
		return fmt.Errorf("superuser: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv := exec.Command(bin, "serve", "--http", addr, "--dir", dataDir)
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Kill(); _, _ = srv.Process.Wait() }()

	b := &bench{base: "http://" + addr, serverPID: srv.Process.Pid, client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, MaxConnsPerHost: 0},
	}}
	if err := b.waitHealthy(); err != nil {
		return err
	}
	if err := b.setup(smtpPort); err != nil {
		return err
	}

	event, err := b.createEvent(0)
	if err != nil {
		return err
	}
	var results []result

	var n atomic.Int64
	results = append(results, b.load(basePublic, func() (int, error) {
		i := n.Add(1)
		return b.post("/api/collections/bench_plain/records", "", map[string]any{"name": fmt.Sprintf("Plain %d", i), "email": fmt.Sprintf("plain%d@example.org", i)})
	}))
	// The same create by an organiser: the token is checked and the
	// organiser read, as for a check-in, which is read against it.
	results = append(results, b.load(baseOrganiser, func() (int, error) {
		i := n.Add(1)
		return b.post("/api/collections/bench_org/records", b.orgTok, map[string]any{"name": fmt.Sprintf("Plain %d", i), "email": fmt.Sprintf("plain%d@example.org", i)})
	}))

	var tickets sync.Map
	var ticketCount atomic.Int64
	results = append(results, b.load("registration", func() (int, error) {
		i := n.Add(1)
		status, body, err := b.postBody("/api/events/"+event+"/register", "", map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("guest%d@example.org", i), "locale": "en"})
		if status == 201 {
			var r struct{ Ticket string }
			if json.Unmarshal(body, &r) == nil && r.Ticket != "" {
				tickets.Store(ticketCount.Add(1)-1, r.Ticket)
			}
		}
		return status, err
	}))

	// Each scenario starts on a quiet server: the ticket mails of the
	// registrations are sent first, and how long that took is reported.
	mail, err := b.drainMail(time.Now(), results[len(results)-1])
	if err != nil {
		return err
	}

	var next atomic.Int64
	results = append(results, b.load("check-in", func() (int, error) {
		i := next.Add(1) - 1
		code, ok := tickets.Load(i)
		if !ok {
			return 0, errors.New("out of tickets")
		}
		return b.post("/api/checkin", b.orgTok, map[string]any{"event": event, "code": code})
	}))

	results = append(results, b.load("event page", func() (int, error) {
		return b.get("/events/" + event)
	}))

	// Store registrations up to the target before reading memory.
	if err := b.fill(event, *flagStored); err != nil {
		return err
	}
	bc, rss, perConn, err := b.broadcast(event)
	if err != nil {
		return err
	}
	results = append(results, bc)

	printTable(results, rss, perConn)
	fmt.Println(mail)
	return nil
}

// drainMail waits until the outbox has nothing pending and describes the
// delivery of the mails queued by the scenario r, which ended at end.
func (b *bench) drainMail(end time.Time, r result) (string, error) {
	fmt.Fprintln(os.Stderr, "waiting for the ticket mails…")
	deadline := end.Add(10 * time.Minute)
	for {
		st, body, err := b.do(http.MethodGet, "/api/collections/"+domain.MailOutbox+"/records?perPage=1&skipTotal=0&filter="+
			"status%3D%27pending%27", b.orgTok, nil)
		if err != nil || st != 200 {
			return "", fmt.Errorf("count pending mail: %d %v %s", st, err, body)
		}
		var page struct{ TotalItems int }
		if err := json.Unmarshal(body, &page); err != nil {
			return "", err
		}
		if page.TotalItems == 0 {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%d mails still pending", page.TotalItems)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(end)
	total := r.elapsed + took
	return fmt.Sprintf("Ticket mails of the %s scenario: %d sent to mailpit while it ran and %.1f s after it ended (%.0f mails/s over the %.1f s).",
		r.name, r.requests, took.Seconds(), float64(r.requests)/total.Seconds(), total.Seconds()), nil
}

func (b *bench) waitHealthy() error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := b.get("/api/health"); err == nil && st == 200 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the server did not become healthy")
}

func (b *bench) setup(smtpPort int) error {
	_, body, err := b.postBody("/api/collections/_superusers/auth-with-password", "", map[string]any{"identity": "bench@example.org", "password": "bench-password-123"})
	if err != nil {
		return err
	}
	var auth struct{ Token string }
	if err := json.Unmarshal(body, &auth); err != nil || auth.Token == "" {
		return fmt.Errorf("superuser auth: %s", body)
	}
	b.superTok = auth.Token

	settings := map[string]any{
		"meta":       map[string]any{"appURL": b.base, "senderAddress": "kopa@example.org", "senderName": "Kopā"},
		"smtp":       map[string]any{"enabled": true, "host": "127.0.0.1", "port": smtpPort},
		"rateLimits": map[string]any{"enabled": false},
	}
	if st, body, err := b.do(http.MethodPatch, "/api/settings", b.superTok, settings); err != nil || st != 200 {
		return fmt.Errorf("settings: %d %v %s", st, err, body)
	}
	// A plain public collection with the same two fields a registration
	// stores: the baseline every ratio is read against.
	coll := map[string]any{"name": "bench_plain", "type": "base", "createRule": "", "fields": []map[string]any{
		{"name": "name", "type": "text", "required": true, "max": 200}, {"name": "email", "type": "email"},
	}}
	if st, body, err := b.postBody("/api/collections", b.superTok, coll); err != nil || st != 200 {
		return fmt.Errorf("bench collection: %d %v %s", st, err, body)
	}
	coll["name"], coll["createRule"] = "bench_org", "@request.auth.collectionName = '"+domain.Organisers+"'"
	if st, body, err := b.postBody("/api/collections", b.superTok, coll); err != nil || st != 200 {
		return fmt.Errorf("bench collection: %d %v %s", st, err, body)
	}
	org := map[string]any{"email": "org@example.org", "name": "Bench organiser", "password": "bench-password-123", "passwordConfirm": "bench-password-123", "verified": true}
	if st, body, err := b.postBody("/api/collections/"+domain.Organisers+"/records", b.superTok, org); err != nil || st != 200 {
		return fmt.Errorf("organiser: %d %v %s", st, err, body)
	}
	_, body, err = b.postBody("/api/collections/"+domain.Organisers+"/auth-with-password", "", map[string]any{"identity": "org@example.org", "password": "bench-password-123"})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, &auth); err != nil || auth.Token == "" {
		return fmt.Errorf("organiser auth: %s", body)
	}
	b.orgTok = auth.Token
	return nil
}

func (b *bench) createEvent(capacity int) (string, error) {
	start := time.Now().Add(2 * time.Hour).UTC()
	ev := map[string]any{"kind": domain.KindDiscussion, "title_lv": "Bēgļu nodarbinātība", "title_en": "Refugee employment", "status": domain.EventPublished,
		"venue": "Rīga", "capacity": capacity, "waitlist": true,
		"starts_at": start.Format("2006-01-02 15:04:05.000Z"), "ends_at": start.Add(2 * time.Hour).Format("2006-01-02 15:04:05.000Z")}
	st, body, err := b.postBody("/api/collections/"+domain.Events+"/records", b.orgTok, ev)
	if err != nil || st != 200 {
		return "", fmt.Errorf("event: %d %v %s", st, err, body)
	}
	var r struct{ ID string }
	return r.ID, json.Unmarshal(body, &r)
}

// load runs op from *flagClients goroutines for *flagDuration.
func (b *bench) load(name string, op func() (int, error)) result {
	fmt.Fprintf(os.Stderr, "%s…\n", name)
	var mu sync.Mutex
	res := result{name: name}
	stop := time.Now().Add(*flagDuration)
	var wg sync.WaitGroup
	begin := time.Now()
	for c := 0; c < *flagClients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var reqs, errs int
			for time.Now().Before(stop) {
				t0 := time.Now()
				st, err := op()
				d := time.Since(t0)
				if err != nil && err.Error() == "out of tickets" {
					break
				}
				reqs++
				if err != nil || st >= 300 {
					errs++
				}
				lat = append(lat, d)
			}
			mu.Lock()
			res.requests += reqs
			res.errors += errs
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(begin)
	return res
}

func (b *bench) fill(event string, target int) error {
	for {
		st, body, err := b.do(http.MethodGet, "/api/collections/"+domain.Registrations+"/records?perPage=1&skipTotal=0", b.orgTok, nil)
		if err != nil || st != 200 {
			return fmt.Errorf("count registrations: %d %v", st, err)
		}
		var r struct{ TotalItems int }
		_ = json.Unmarshal(body, &r)
		stored := r.TotalItems
		if stored >= target {
			return nil
		}
		fmt.Fprintf(os.Stderr, "storing registrations: %d/%d\n", stored, target)
		var wg sync.WaitGroup
		var i atomic.Int64
		i.Store(int64(stored))
		for c := 0; c < *flagClients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := i.Add(1)
					if k > int64(target) {
						return
					}
					_, _ = b.post("/api/events/"+event+"/register", "", map[string]any{"name": fmt.Sprintf("Fill %d", k), "email": fmt.Sprintf("fill%d@example.org", k), "locale": "lv"})
				}
			}()
		}
		wg.Wait()
	}
}

// broadcast connects the dashboards, then sends check-ins one at a time and
// measures from the API's answer to the last dashboard's receipt.
func (b *bench) broadcast(event string) (result, int64, int64, error) {
	fmt.Fprintf(os.Stderr, "connecting %d dashboards…\n", *flagDashboards)
	rssBefore := rss(b.serverPID)
	u := strings.Replace(b.base, "http://", "ws://", 1) + "/api/live?event=" + event
	type dash struct {
		conn *websocket.Conn
		got  chan time.Time
	}
	dashes := make([]*dash, 0, *flagDashboards)
	defer func() {
		for _, d := range dashes {
			_ = d.conn.Close()
		}
	}()
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	for i := 0; i < *flagDashboards; i++ {
		c, _, err := dialer.Dial(u, http.Header{"Origin": {b.base}})
		if err != nil {
			return result{}, 0, 0, fmt.Errorf("dashboard %d: %w", i, err)
		}
		if err := c.WriteJSON(map[string]string{"type": "auth", "token": b.orgTok}); err != nil {
			return result{}, 0, 0, err
		}
		var snap map[string]any
		if err := c.ReadJSON(&snap); err != nil || snap["type"] != "snapshot" {
			return result{}, 0, 0, fmt.Errorf("dashboard %d snapshot: %v %v", i, snap, err)
		}
		d := &dash{conn: c, got: make(chan time.Time, 1024)}
		go func() {
			for {
				var m map[string]any
				if err := d.conn.ReadJSON(&m); err != nil {
					return
				}
				if m["type"] == "checkin" {
					d.got <- time.Now()
				}
			}
		}()
		dashes = append(dashes, d)
	}
	time.Sleep(time.Second)
	rssAfter := rss(b.serverPID)
	perConn := int64(0)
	if len(dashes) > 0 && rssAfter > rssBefore {
		perConn = (rssAfter - rssBefore) / int64(len(dashes))
	}

	fmt.Fprintf(os.Stderr, "broadcasting %d check-ins…\n", *flagBroadcasts)
	res := result{name: fmt.Sprintf("check-in → %d dashboards", len(dashes))}
	begin := time.Now()
	for i := 0; i < *flagBroadcasts; i++ {
		_, body, err := b.postBody("/api/events/"+event+"/register", "", map[string]any{"name": fmt.Sprintf("Live %d", i), "email": fmt.Sprintf("live%d@example.org", i)})
		if err != nil {
			return res, 0, 0, err
		}
		var r struct{ Ticket string }
		_ = json.Unmarshal(body, &r)
		// drain the registration broadcast
		time.Sleep(50 * time.Millisecond)
		st, err := b.post("/api/checkin", b.orgTok, map[string]any{"event": event, "code": r.Ticket})
		answered := time.Now()
		if err != nil || st != 200 {
			res.errors++
			continue
		}
		var last time.Time
		timeout := time.After(10 * time.Second)
		missing := 0
		for _, d := range dashes {
			select {
			case t := <-d.got:
				if t.After(last) {
					last = t
				}
			case <-timeout:
				missing++
			}
		}
		res.requests++
		if missing > 0 {
			res.errors++
			continue
		}
		lat := last.Sub(answered)
		if lat < 0 {
			lat = 0
		}
		res.lat = append(res.lat, lat)
	}
	res.elapsed = time.Since(begin)
	return res, rss(b.serverPID), perConn, nil
}

// The two baselines: PocketBase's own record create of a public
// collection, and of a collection only organisers may create in.
const (
	basePublic    = "PocketBase record create (public)"
	baseOrganiser = "PocketBase record create (organiser)"
)

func printTable(rs []result, rssBytes, perConn int64) {
	base := map[string]float64{}
	for _, r := range rs {
		base[r.name] = r.rps()
	}
	fmt.Printf("\nKopā benchmark — %d clients, %s per scenario, %s/%s, %d CPUs, %s\n\n",
		*flagClients, *flagDuration, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Println("| scenario | requests | errors | req/s | p50 | p99 | ratio to record create |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		ratio := "—"
		switch {
		case r.name == basePublic || r.name == baseOrganiser:
			ratio = "1.00×"
		case r.name == "check-in":
			ratio = fmt.Sprintf("%.2f× organiser's, %.2f× public", r.rps()/base[baseOrganiser], r.rps()/base[basePublic])
		case !strings.HasPrefix(r.name, "check-in →"):
			ratio = fmt.Sprintf("%.2f× public", r.rps()/base[basePublic])
		}
		rps := fmt.Sprintf("%.0f", r.rps())
		if strings.HasPrefix(r.name, "check-in →") {
			rps = "—"
		}
		fmt.Printf("| %s | %d | %d | %s | %s | %s | %s |\n", r.name, r.requests, r.errors, rps, ms(r.pct(0.5)), ms(r.pct(0.99)), ratio)
	}
	fmt.Printf("\nServer memory (RSS) with the dashboards connected and ≥%d registrations stored: %.1f MB; per idle dashboard: %.1f KB\n",
		*flagStored, float64(rssBytes)/1e6, float64(perConn)/1e3)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.Index(line, ":"); i >= 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return "unknown CPU"
}

// rss reads a process's resident memory from /proc (0 where unavailable).
func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

func (b *bench) get(path string) (int, error) {
	st, _, err := b.do(http.MethodGet, path, "", nil)
	return st, err
}

func (b *bench) post(path, token string, body any) (int, error) {
	st, _, err := b.do(http.MethodPost, path, token, body)
	return st, err
}

func (b *bench) postBody(path, token string, body any) (int, []byte, error) {
	return b.do(http.MethodPost, path, token, body)
}

func (b *bench) do(method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startMailpit(tmp string) (int, func(), error) {
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "mailpit")
		if _, err := os.Stat(bin); err != nil {
			return 0, nil, errors.New("mailpit not found: run `make deps`")
		}
	}
	smtpPort, err := freePort()
	if err != nil {
		return 0, nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return 0, nil, err
	}
	cmd := exec.Command(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(tmp, "mailpit.db"), "--max", "100000", "--quiet")
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", smtpPort)); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return smtpPort, func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }, nil
}
