package live

import (
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Clients counts the sockets watching an event in app's hub.
func Clients(app core.App, eventID string) int { return hubOf(app).clients(eventID) }

// Timeouts are the hub's tunables; a zero field keeps the default.
type Timeouts struct {
	Auth, Ping, Pong, CloseGrace, Recheck time.Duration
	SendBuffer, MaxPerAccount             int
}

// SetTimeouts changes the tunables for the apps this test creates after
// the call, and restores them when the test ends.
func SetTimeouts(t testing.TB, o Timeouts) {
	saved := []any{authTimeout, pingPeriod, pongWait, closeGrace, sendBuffer, recheckPeriod, maxPerAccount}
	t.Cleanup(func() {
		authTimeout, pingPeriod, pongWait = saved[0].(time.Duration), saved[1].(time.Duration), saved[2].(time.Duration)
		closeGrace, sendBuffer = saved[3].(time.Duration), saved[4].(int)
		recheckPeriod, maxPerAccount = saved[5].(time.Duration), saved[6].(int)
	})
	if o.Auth > 0 {
		authTimeout = o.Auth
	}
	if o.Ping > 0 {
		pingPeriod = o.Ping
	}
	if o.Pong > 0 {
		pongWait = o.Pong
	}
	if o.CloseGrace > 0 {
		closeGrace = o.CloseGrace
	}
	if o.SendBuffer > 0 {
		sendBuffer = o.SendBuffer
	}
	if o.Recheck > 0 {
		recheckPeriod = o.Recheck
	}
	if o.MaxPerAccount > 0 {
		maxPerAccount = o.MaxPerAccount
	}
}

// Disconnect closes every socket watching an event with code, as a server
// restart would (1012), without shutting the hub down.
func Disconnect(app core.App, eventID string, code int) {
	hubOf(app).closeRoom(eventID, code, "test")
}

// Sockets counts the sockets an auth record holds in app's hub.
func Sockets(app core.App, auth *core.Record) int {
	h := hubOf(app)
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.accounts[accountKey(auth.Collection().Name, auth.Id)])
}
