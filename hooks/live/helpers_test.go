package live_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
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

// guard bounds every wait on a socket so that a broken hub fails the test
// instead of hanging it. It is no speed requirement.
const guard = 20 * time.Second

// fixture is a served app with an organiser and an event of 10 seats.
type fixture struct {
	app      *tests.TestApp
	srv      *httptest.Server
	org      *core.Record
	orgToken string
	event    *core.Record
}

func setup(t testing.TB) *fixture {
	t.Helper()
	return setupApp(t, kopatest.NewApp(t, hooks.Default))
}

// setupWith is setup with the hub's tunables changed, for this app alone.
func setupWith(t testing.TB, o live.Timeouts) *fixture {
	t.Helper()
	return setupApp(t, kopatest.NewApp(t, func(app core.App) {
		live.SetTimeouts(app, o)
		hooks.Default(app)
	}))
}

func setupApp(t testing.TB, app *tests.TestApp) *fixture {
	t.Helper()
	srv := kopatest.Serve(t, app)
	org := kopatest.Organiser(t, app, "org@example.org")
	return &fixture{
		app: app, srv: srv, org: org, orgToken: kopatest.Token(t, org),
		event: kopatest.Event(t, app, kopatest.EventOpts{Capacity: 10, Waitlist: true}),
	}
}

func (f *fixture) url(eventID string) string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/api/live?event=" + eventID
}

// dial opens a socket without authenticating.
func (f *fixture) dial(t testing.TB, eventID string) *websocket.Conn {
	t.Helper()
	return dialWith(t, websocket.DefaultDialer, f.url(eventID))
}

func dialWith(t testing.TB, d *websocket.Dialer, url string) *websocket.Conn {
	t.Helper()
	conn, resp, err := d.Dial(url, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", url, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// open dials, authenticates with token and returns the socket with its
// snapshot.
func (f *fixture) open(t testing.TB, token, eventID string) (*websocket.Conn, live.Message) {
	t.Helper()
	conn := f.dial(t, eventID)
	sendAuth(t, conn, token)
	m, _ := next(t, conn)
	if m.Type != live.TypeSnapshot {
		t.Fatalf("first message: %+v, want a snapshot", m)
	}
	return conn, m
}

func sendAuth(t testing.TB, conn *websocket.Conn, token string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"type": "auth", "token": token})
	if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("send auth: %v", err)
	}
}

// next reads one message.
func next(t testing.TB, conn *websocket.Conn) (live.Message, []byte) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	_, b, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m live.Message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("message %s: %v", b, err)
	}
	return m, b
}

// closeCode reads until the socket ends and returns the close code the
// server sent (1006 when it sent none).
func closeCode(t testing.TB, conn *websocket.Conn) int {
	t.Helper()
	code, err := readClose(conn)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// readClose is closeCode for other goroutines than the test's own.
func readClose(conn *websocket.Conn) (int, error) {
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, fmt.Errorf("the server did not close the socket: %w", err)
		}
		return websocket.CloseAbnormalClosure, nil
	}
}

// checkin records a check-in of reg through the app, as the check-in API
// does.
func checkin(t testing.TB, app core.App, reg *core.Record) *core.Record {
	t.Helper()
	rec := newCheckin(t, app, reg)
	if err := app.Save(rec); err != nil {
		t.Fatalf("check-in: %v", err)
	}
	return rec
}

func newCheckin(t testing.TB, app core.App, reg *core.Record) *core.Record {
	t.Helper()
	c, err := app.FindCachedCollectionByNameOrId("checkins")
	if err != nil {
		t.Fatal(err)
	}
	rec := core.NewRecord(c)
	rec.Set("registration", reg.Id)
	rec.Set("event", reg.GetString("event"))
	rec.Set("at", types.NowDateTime())
	rec.Set("method", "qr")
	return rec
}

// waitFor polls cond until it holds (or the guard runs out).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noPersonalData fails when a raw message holds an e-mail address or a
// ticket code.
func noPersonalData(t testing.TB, raw []byte, regs ...*core.Record) {
	t.Helper()
	for _, r := range regs {
		for _, secret := range []string{r.GetString("email"), r.GetString("ticket")} {
			if secret != "" && strings.Contains(string(raw), secret) {
				t.Errorf("message %s leaks %q", raw, secret)
			}
		}
	}
	if strings.Contains(string(raw), "@") {
		t.Errorf("message %s holds an e-mail address", raw)
	}
}

// saveRegistration is kopatest.Registration for other goroutines than the
// test's own (it returns the error instead of failing the test).
func saveRegistration(app core.App, event *core.Record, email string) error {
	c, err := app.FindCachedCollectionByNameOrId("registrations")
	if err != nil {
		return err
	}
	rec := core.NewRecord(c)
	rec.Load(map[string]any{"event": event.Id, "name": "Concurrent", "email": email, "status": "confirmed", "locale": "lv"})
	return app.Save(rec)
}
