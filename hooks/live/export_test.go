package live

import (
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

// SetTimeouts gives app its own tunables; call it before Register.
func SetTimeouts(app core.App, o Timeouts) {
	c := defaultConfig()
	if o.Auth > 0 {
		c.authTimeout = o.Auth
	}
	if o.Ping > 0 {
		c.pingPeriod = o.Ping
	}
	if o.Pong > 0 {
		c.pongWait = o.Pong
	}
	if o.CloseGrace > 0 {
		c.closeGrace = o.CloseGrace
	}
	if o.SendBuffer > 0 {
		c.sendBuffer = o.SendBuffer
	}
	if o.Recheck > 0 {
		c.recheckPeriod = o.Recheck
	}
	if o.MaxPerAccount > 0 {
		c.maxPerAccount = o.MaxPerAccount
	}
	app.Store().Set(configKey, c)
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
