package live

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Clients counts the sockets watching an event in app's hub.
func Clients(app core.App, eventID string) int { return hubOf(app).clients(eventID) }

// Timeouts are the hub's tunables; a zero field keeps the default.
type Timeouts struct {
	Auth, Ping, Pong, CloseGrace time.Duration
	SendBuffer                   int
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
	app.Store().Set(configKey, c)
}

// Disconnect closes every socket watching an event with code, as a server
// restart would (1012), without shutting the hub down.
func Disconnect(app core.App, eventID string, code int) {
	hubOf(app).closeRoom(eventID, code, "test")
}
