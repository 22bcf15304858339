package live_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks"
	"kopa/hooks/live"
	"kopa/internal/kopatest"
)

// TestHTTPErrors pins what the route answers before any upgrade: errors in
// PocketBase's JSON shape, and no hub at work.
func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	upgrade := map[string]string{
		"Connection": "Upgrade", "Upgrade": "websocket",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
	}
	withOrigin := func(origin string) map[string]string {
		h := map[string]string{"Origin": origin}
		for k, v := range upgrade {
			h[k] = v
		}
		return h
	}
	scenarios := []tests.ApiScenario{
		{
			Name: "no event", Method: http.MethodGet, URL: "/api/live", Headers: upgrade,
			ExpectedStatus: 400, ExpectedContent: []string{`"event":{"code":"validation_required"`},
			ExpectedEvents: map[string]int{"*": 0},
		},
		{
			Name: "not a websocket", Method: http.MethodGet, URL: "/api/live?event=abc",
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"websocket_required"`},
			ExpectedEvents: map[string]int{"*": 0},
		},
		{
			Name: "foreign origin", Method: http.MethodGet, URL: "/api/live?event=abc", Headers: withOrigin("https://evil.example"),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"origin"`},
			ExpectedEvents: map[string]int{"*": 0},
		},
		{
			Name: "opaque origin", Method: http.MethodGet, URL: "/api/live?event=abc", Headers: withOrigin("null"),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"origin"`},
			ExpectedEvents: map[string]int{"*": 0},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.Factory(hooks.Default)
		s.Test(t)
	}
}

// TestOrigins: no Origin, the request's own host and the app URL's host are
// let in; any other site is refused before the upgrade.
func TestOrigins(t *testing.T) {
	t.Parallel()
	f := setup(t)
	kopatest.ChangeSettings(t, f.app, func(s *core.Settings) {
		s.Meta.AppURL = "https://kopa.example.org"
	})
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"https://kopa.example.org", true},
		{"https://KOPA.example.org", true},
		{"https://evil.example", false},
		{"https://kopa.example.org.evil.example", false},
		{"http://localhost:1", false},
		{"null", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		conn, resp, err := websocket.DefaultDialer.Dial(f.url(f.event.Id), h)
		if tc.ok {
			if err != nil {
				t.Errorf("origin %q refused: %v", tc.origin, err)
				continue
			}
			sendAuth(t, conn, f.orgToken)
			if m, _ := next(t, conn); m.Type != live.TypeSnapshot {
				t.Errorf("origin %q: %+v", tc.origin, m)
			}
			conn.Close()
			continue
		}
		if err == nil {
			conn.Close()
			t.Errorf("origin %q let in", tc.origin)
		} else if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %v, want HTTP 403", tc.origin, err)
		}
	}
}

// TestAuthTimeout: a client that says nothing is closed with 4401.
func TestAuthTimeout(t *testing.T) {
	t.Parallel()
	f := setupWith(t, live.Timeouts{Auth: 200 * time.Millisecond})
	conn := f.dial(t, f.event.Id)
	if code := closeCode(t, conn); code != live.CloseUnauthorized {
		t.Fatalf("close code %d, want %d", code, live.CloseUnauthorized)
	}
	if n := live.Clients(f.app, f.event.Id); n != 0 {
		t.Fatalf("%d clients left in the hub", n)
	}
}

// TestAuthFailures: bad first messages and tokens get 4401, tokens without
// access to the event 4403, an unknown event 4404.
func TestAuthFailures(t *testing.T) {
	t.Parallel()
	f := setup(t)
	now := time.Now()
	other := kopatest.Event(t, f.app, kopatest.EventOpts{Title: "Cits"})

	idle := kopatest.Volunteer(t, f.app, "idle@example.org", []string{"lv"}, []string{"door"})
	wrongRole := kopatest.Volunteer(t, f.app, "host@example.org", []string{"lv"}, []string{"hosting"})
	kopatest.Assignment(t, f.app, kopatest.Shift(t, f.app, f.event, "hosting", now.Add(-time.Hour), now.Add(time.Hour)), wrongRole, "accepted")
	invited := kopatest.Volunteer(t, f.app, "invited@example.org", []string{"lv"}, []string{"door"})
	doorShift := kopatest.Shift(t, f.app, f.event, "door", now.Add(-time.Hour), now.Add(time.Hour))
	kopatest.Assignment(t, f.app, doorShift, invited, "invited")
	elsewhere := kopatest.Volunteer(t, f.app, "else@example.org", []string{"lv"}, []string{"door"})
	kopatest.Assignment(t, f.app, kopatest.Shift(t, f.app, other, "door", now.Add(-time.Hour), now.Add(time.Hour)), elsewhere, "accepted")

	orgTok := f.orgToken
	fileTok, err := f.org.NewFileToken()
	if err != nil {
		t.Fatal(err)
	}
	forged := orgTok[:len(orgTok)-2] + "xx"

	for _, tc := range []struct {
		name  string
		event string
		msg   string
		code  int
	}{
		{"not JSON", f.event.Id, `hello`, live.CloseUnauthorized},
		{"wrong type", f.event.Id, `{"type":"hello","token":"` + orgTok + `"}`, live.CloseUnauthorized},
		{"no token", f.event.Id, `{"type":"auth"}`, live.CloseUnauthorized},
		{"garbage token", f.event.Id, `{"type":"auth","token":"abc"}`, live.CloseUnauthorized},
		{"forged signature", f.event.Id, `{"type":"auth","token":"` + forged + `"}`, live.CloseUnauthorized},
		{"file token", f.event.Id, `{"type":"auth","token":"` + fileTok + `"}`, live.CloseUnauthorized},
		{"volunteer without shift", f.event.Id, authMsg(t, idle), live.CloseForbidden},
		{"volunteer on another role", f.event.Id, authMsg(t, wrongRole), live.CloseForbidden},
		{"volunteer only invited", f.event.Id, authMsg(t, invited), live.CloseForbidden},
		{"door volunteer of another event", f.event.Id, authMsg(t, elsewhere), live.CloseForbidden},
		{"volunteer, unknown event", "nosuchevent1234", authMsg(t, elsewhere), live.CloseForbidden},
		{"organiser, unknown event", "nosuchevent1234", authMsg(t, f.org), live.CloseNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := f.dial(t, tc.event)
			if err := conn.WriteMessage(websocket.TextMessage, []byte(tc.msg)); err != nil {
				t.Fatal(err)
			}
			if code := closeCode(t, conn); code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
		})
	}
	if n := live.Clients(f.app, f.event.Id); n != 0 {
		t.Fatalf("%d clients in the hub after failed auths", n)
	}
}

func authMsg(t testing.TB, rec *core.Record) string {
	return `{"type":"auth","token":"` + kopatest.Token(t, rec) + `"}`
}

// TestSnapshot: an organiser and a door volunteer on shift get the counts.
func TestSnapshot(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := kopatest.Registration(t, f.app, f.event, "Amina Haddad", "amina@example.org", "confirmed")
	kopatest.Registration(t, f.app, f.event, "Oleksandr Koval", "olek@example.org", "confirmed")
	kopatest.Registration(t, f.app, f.event, "Farid Rahimi", "farid@example.org", "waitlisted")
	kopatest.Registration(t, f.app, f.event, "Ilze Ozola", "ilze@example.org", "cancelled")
	checkin(t, f.app, a)

	door := kopatest.Volunteer(t, f.app, "door@example.org", []string{"lv"}, []string{"door"})
	now := time.Now()
	kopatest.Assignment(t, f.app, kopatest.Shift(t, f.app, f.event, "door", now.Add(30*time.Minute), now.Add(3*time.Hour)), door, "accepted")

	for name, token := range map[string]string{"organiser": f.orgToken, "door volunteer": kopatest.Token(t, door)} {
		t.Run(name, func(t *testing.T) {
			conn := f.dial(t, f.event.Id)
			sendAuth(t, conn, token)
			m, raw := next(t, conn)
			want := live.Message{Type: "snapshot", Event: f.event.Id}
			want.Stats.Capacity, want.Stats.Confirmed, want.Stats.Waitlisted, want.Stats.Cancelled, want.Stats.CheckedIn = 10, 2, 1, 1, 1
			if m.Type != want.Type || m.Event != want.Event || m.Stats != want.Stats {
				t.Fatalf("snapshot %s, want %+v", raw, want)
			}
			if len(m.Arrivals) != 1 {
				t.Fatalf("arrivals %v, want one time", m.Arrivals)
			}
			for _, key := range []string{`"capacity":10`, `"confirmed":2`, `"waitlisted":1`, `"cancelled":1`, `"checked_in":1`} {
				if !strings.Contains(string(raw), key) {
					t.Errorf("snapshot %s lacks %s", raw, key)
				}
			}
			if strings.Contains(string(raw), "Amina") {
				t.Errorf("snapshot %s holds a name", raw)
			}
			noPersonalData(t, raw, a)
		})
	}
}

// TestCheckinMessage: a check-in saved through the app reaches the socket
// with the name and the new counts, and nothing else personal.
func TestCheckinMessage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	reg := kopatest.Registration(t, f.app, f.event, "Amina Haddad", "amina@example.org", "confirmed")
	conn, snap := f.open(t, f.orgToken, f.event.Id)
	if snap.Stats.CheckedIn != 0 || snap.Stats.Confirmed != 1 {
		t.Fatalf("snapshot %+v", snap)
	}

	rec := checkin(t, f.app, reg)
	m, raw := next(t, conn)
	if m.Type != live.TypeCheckin || m.Event != f.event.Id || m.Name == nil || *m.Name != "Amina Haddad" {
		t.Fatalf("message %s", raw)
	}
	if m.Stats.CheckedIn != 1 || m.Stats.Confirmed != 1 || m.Stats.Capacity != 10 {
		t.Fatalf("stats %+v", m.Stats)
	}
	if m.At != rec.GetDateTime("at").String() {
		t.Fatalf("at %q, want the check-in time %q", m.At, rec.GetDateTime("at").String())
	}
	if _, err := types.ParseDateTime(m.At); err != nil || !strings.HasSuffix(m.At, "Z") || len(m.At) != len("2026-12-01 16:00:00.000Z") {
		t.Fatalf("at %q is not a PocketBase datetime", m.At)
	}
	noPersonalData(t, raw, reg)
}

// TestChangeMessages: registrations, cancellations, promotions from the
// waiting list and deletions each send one message; edits that change no
// count send none.
func TestChangeMessages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	conn, _ := f.open(t, f.orgToken, f.event.Id)

	expect := func(typ string, removed bool, stats string) {
		t.Helper()
		m, raw := next(t, conn)
		got := fmt.Sprintf("%d/%d/%d/%d", m.Stats.Confirmed, m.Stats.Waitlisted, m.Stats.Cancelled, m.Stats.CheckedIn)
		if m.Type != typ || m.Removed != removed || got != stats || m.Event != f.event.Id || m.At == "" {
			t.Fatalf("got %s, want %s removed=%v confirmed/waitlisted/cancelled/checked_in=%s", raw, typ, removed, stats)
		}
		if typ != live.TypeCheckin && m.Name != nil {
			t.Fatalf("%s carries a name: %s", typ, raw)
		}
		noPersonalData(t, raw)
	}

	a := kopatest.Registration(t, f.app, f.event, "Amina", "amina@example.org", "confirmed")
	expect(live.TypeRegistration, false, "1/0/0/0")
	b := kopatest.Registration(t, f.app, f.event, "Farid", "farid@example.org", "waitlisted")
	expect(live.TypeRegistration, false, "1/1/0/0")

	// A name edit (or retention's erasure) changes no count: no message.
	a.Set("name", "Amina H.")
	if err := f.app.Save(a); err != nil {
		t.Fatal(err)
	}
	a.Set("status", "cancelled")
	a.Set("cancelled_at", types.NowDateTime())
	if err := f.app.Save(a); err != nil {
		t.Fatal(err)
	}
	expect(live.TypeCancellation, false, "0/1/1/0")

	b.Set("status", "confirmed") // promoted from the waiting list
	if err := f.app.Save(b); err != nil {
		t.Fatal(err)
	}
	expect(live.TypeRegistration, false, "1/0/1/0")

	c := checkin(t, f.app, b)
	expect(live.TypeCheckin, false, "1/0/1/1")
	if err := f.app.Delete(c); err != nil {
		t.Fatal(err)
	}
	expect(live.TypeCheckin, true, "1/0/1/0")
	if err := f.app.Delete(b); err != nil {
		t.Fatal(err)
	}
	expect(live.TypeCancellation, true, "0/0/1/0")

	// Changes of another event reach nobody here.
	other := kopatest.Event(t, f.app, kopatest.EventOpts{Title: "Cits"})
	kopatest.Registration(t, f.app, other, "Ilze", "ilze@example.org", "confirmed")

	// A capacity change is an "event" message.
	f.event.Set("capacity", 12)
	if err := f.app.Save(f.event); err != nil {
		t.Fatal(err)
	}
	m, raw := next(t, conn)
	if m.Type != live.TypeEvent || m.Stats.Capacity != 12 {
		t.Fatalf("got %s, want an event message with capacity 12", raw)
	}

	// Deleting the event closes its sockets with 4404.
	if err := f.app.Delete(f.event); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, conn); code != live.CloseNotFound {
		t.Fatalf("close code %d, want %d", code, live.CloseNotFound)
	}
}

// TestOrdering: every client gets every change once, in the same order,
// and the counts it sees never go back, also under concurrent writers.
func TestOrdering(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ev := kopatest.Event(t, f.app, kopatest.EventOpts{Title: "Open"}) // no seat limit
	a, _ := f.open(t, f.orgToken, ev.Id)
	b, _ := f.open(t, f.orgToken, ev.Id)

	// Sequential check-ins: exactly 1, 2, 3… in order.
	const seq = 15
	regs := make([]*core.Record, seq)
	for i := range regs {
		regs[i] = kopatest.Registration(t, f.app, ev, fmt.Sprintf("Person %02d", i), fmt.Sprintf("p%d@example.org", i), "confirmed")
	}
	for _, conn := range []*websocket.Conn{a, b} {
		for i := 0; i < seq; i++ {
			if m, raw := next(t, conn); m.Type != live.TypeRegistration || m.Stats.Confirmed != i+1 {
				t.Fatalf("registration %d: %s", i, raw)
			}
		}
	}
	for _, r := range regs {
		checkin(t, f.app, r)
	}
	for _, conn := range []*websocket.Conn{a, b} {
		for i := 0; i < seq; i++ {
			m, raw := next(t, conn)
			if m.Type != live.TypeCheckin || m.Stats.CheckedIn != i+1 || *m.Name != regs[i].GetString("name") {
				t.Fatalf("check-in %d: %s", i, raw)
			}
		}
	}

	// Concurrent writers: both clients see the same sequence, counts never
	// decrease and the last message holds the final count.
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := saveRegistration(f.app, ev, fmt.Sprintf("c%d-%d@example.org", w, i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	var seen [2][]string
	for k, conn := range []*websocket.Conn{a, b} {
		last := seq
		for i := 0; i < writers*each; i++ {
			m, raw := next(t, conn)
			if m.Type != live.TypeRegistration || m.Stats.Confirmed < last {
				t.Fatalf("client %d message %d: %s after confirmed=%d", k, i, raw, last)
			}
			last = m.Stats.Confirmed
			seen[k] = append(seen[k], string(raw))
		}
		if last != seq+writers*each {
			t.Fatalf("client %d ends at confirmed=%d, want %d", k, last, seq+writers*each)
		}
	}
	if strings.Join(seen[0], "\n") != strings.Join(seen[1], "\n") {
		t.Fatal("the two clients saw different sequences")
	}
}

// TestRollback: a check-in saved in a transaction that fails is never
// announced; PocketBase fires the error hook instead of the success hook.
// A committed transaction's check-in is announced after the commit.
func TestRollback(t *testing.T) {
	t.Parallel()
	f := setup(t)
	reg := kopatest.Registration(t, f.app, f.event, "Amina", "amina@example.org", "confirmed")
	var mu sync.Mutex
	calls := map[string]int{}
	count := func(name string) {
		mu.Lock()
		calls[name]++
		mu.Unlock()
	}
	f.app.OnRecordAfterCreateSuccess("checkins").BindFunc(func(e *core.RecordEvent) error { count("success"); return e.Next() })
	f.app.OnRecordAfterCreateError("checkins").BindFunc(func(e *core.RecordErrorEvent) error { count("error"); return e.Next() })
	conn, _ := f.open(t, f.orgToken, f.event.Id)

	changedMind := errors.New("changed my mind")
	err := f.app.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(newCheckin(t, tx, reg)); err != nil {
			return err
		}
		return changedMind
	})
	if !errors.Is(err, changedMind) {
		t.Fatalf("transaction: %v", err)
	}
	if calls["success"] != 0 || calls["error"] != 1 {
		t.Fatalf("hooks after rollback: %v", calls)
	}

	// The next message on the socket is the committed check-in below: the
	// rolled-back one sent nothing.
	err = f.app.RunInTransaction(func(tx core.App) error {
		return tx.Save(newCheckin(t, tx, reg))
	})
	if err != nil {
		t.Fatal(err)
	}
	m, raw := next(t, conn)
	if m.Type != live.TypeCheckin || m.Stats.CheckedIn != 1 || calls["success"] != 1 {
		t.Fatalf("after commit: %s, hooks %v", raw, calls)
	}
}

// TestSlowClientDropped: a client that never reads is dropped once its
// buffer is full; the client beside it gets every message, in order.
func TestSlowClientDropped(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ev := kopatest.Event(t, f.app, kopatest.EventOpts{Title: "Open"})

	// A tiny receive buffer so the kernel stops taking the server's
	// writes early and the hub's own buffer fills.
	small := *websocket.DefaultDialer
	small.NetDialContext = (&net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048)
		}); cerr != nil {
			return cerr
		}
		return err
	}}).DialContext
	slow := dialWith(t, &small, f.url(ev.Id))
	sendAuth(t, slow, f.orgToken)
	good, _ := f.open(t, f.orgToken, ev.Id)
	waitFor(t, "both clients joined", func() bool { return live.Clients(f.app, ev.Id) == 2 })

	type got struct {
		raw []byte
		err error
	}
	received := make(chan got, 100000)
	go func() {
		for {
			_ = good.SetReadDeadline(time.Now().Add(guard))
			_, b, err := good.ReadMessage()
			received <- got{b, err}
			if err != nil {
				return
			}
		}
	}()

	long := strings.Repeat("Ā", 100) // 200 bytes of name make each check-in message big
	n := 0
	for ; live.Clients(f.app, ev.Id) == 2; n++ {
		if n == 5000 {
			t.Fatal("the slow client was never dropped")
		}
		reg := kopatest.Registration(t, f.app, ev, long, fmt.Sprintf("p%d@example.org", n), "confirmed")
		checkin(t, f.app, reg)
	}
	t.Logf("slow client dropped after %d check-ins", n)

	for i := 0; i < n; i++ {
		for _, typ := range []string{live.TypeRegistration, live.TypeCheckin} {
			g := <-received
			if g.err != nil {
				t.Fatalf("good client lost after %d check-ins: %v", i, g.err)
			}
			m := decode(t, g.raw)
			if m.Type != typ || m.Stats.Confirmed != i+1 {
				t.Fatalf("good client, change %d: %s", i, g.raw)
			}
		}
	}
	// It keeps receiving after the drop.
	checkin(t, f.app, kopatest.Registration(t, f.app, ev, "After", "after@example.org", "confirmed"))
	for _, typ := range []string{live.TypeRegistration, live.TypeCheckin} {
		if g := <-received; g.err != nil || decode(t, g.raw).Type != typ {
			t.Fatalf("good client after the drop: %s %v", g.raw, g.err)
		}
	}

	// The slow one finds its socket closed once it reads at last.
	code := closeCode(t, slow)
	if code != websocket.CloseTryAgainLater && code != websocket.CloseAbnormalClosure {
		t.Fatalf("slow client closed with %d", code)
	}
}

// TestPing: the server pings; a client that answers stays, one that never
// reads (so never answers) is dropped.
func TestPing(t *testing.T) {
	t.Parallel()
	f := setupWith(t, live.Timeouts{Ping: 50 * time.Millisecond, Pong: 250 * time.Millisecond})
	alive := f.dial(t, f.event.Id)
	var mu sync.Mutex
	pings := 0
	alive.SetPingHandler(func(data string) error {
		mu.Lock()
		pings++
		mu.Unlock()
		return alive.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	sendAuth(t, alive, f.orgToken)
	next(t, alive)
	dead := f.dial(t, f.event.Id)
	sendAuth(t, dead, f.orgToken)
	waitFor(t, "both joined", func() bool { return live.Clients(f.app, f.event.Id) == 2 })

	msgs := make(chan []byte, 10)
	go func() {
		for {
			_ = alive.SetReadDeadline(time.Now().Add(guard))
			_, b, err := alive.ReadMessage()
			if err != nil {
				close(msgs)
				return
			}
			msgs <- b
		}
	}()
	waitFor(t, "the silent client dropped", func() bool { return live.Clients(f.app, f.event.Id) == 1 })
	// Eight pings span more than pongWait: the answering client was kept
	// alive by its pongs.
	waitFor(t, "eight pings", func() bool { mu.Lock(); defer mu.Unlock(); return pings >= 8 })
	if n := live.Clients(f.app, f.event.Id); n != 1 {
		t.Fatalf("%d clients, want the answering one", n)
	}
	checkin(t, f.app, kopatest.Registration(t, f.app, f.event, "Amina", "amina@example.org", "confirmed"))
	for _, typ := range []string{live.TypeRegistration, live.TypeCheckin} {
		b, ok := <-msgs
		if !ok || decode(t, b).Type != typ {
			t.Fatalf("answering client: %s (open %v), want %s", b, ok, typ)
		}
	}
}

// TestShutdown: OnTerminate closes every socket with 1001, authenticated
// or not, and later connections too.
func TestShutdown(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := kopatest.Event(t, f.app, kopatest.EventOpts{Title: "Cits"})
	a, _ := f.open(t, f.orgToken, f.event.Id)
	b, _ := f.open(t, f.orgToken, f.event.Id)
	c, _ := f.open(t, f.orgToken, other.Id)
	pending := f.dial(t, f.event.Id) // never authenticates

	codes := make(chan int, 4)
	for _, conn := range []*websocket.Conn{a, b, c, pending} {
		go func() { code, _ := readClose(conn); codes <- code }()
	}
	if err := f.app.OnTerminate().Trigger(&core.TerminateEvent{App: f.app}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if code := <-codes; code != websocket.CloseGoingAway {
			t.Fatalf("close code %d, want 1001", code)
		}
	}
	if n := live.Clients(f.app, f.event.Id) + live.Clients(f.app, other.Id); n != 0 {
		t.Fatalf("%d clients left", n)
	}
	late := f.dial(t, f.event.Id)
	if code := closeCode(t, late); code != websocket.CloseGoingAway {
		t.Fatalf("connection after shutdown: close code %d, want 1001", code)
	}
}

func decode(t testing.TB, raw []byte) live.Message {
	t.Helper()
	var m live.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return m
}
