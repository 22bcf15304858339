// Package live is the live attendance hub: GET /api/live?event={id}
// upgrades to a WebSocket that streams an event's counts to the organisers'
// dashboard and the door staff's scanners.
//
// The protocol: the client's first message is {"type":"auth","token":"…"}
// with an organiser's token or that of a volunteer on a door shift of the
// event. Without it within 5 s, or with a bad one, the server closes with
// 4401; a token without access to the event gets 4403; an event that does
// not exist gets 4404 (after auth, so that strangers learn nothing about
// which ids exist). Then the server sends a snapshot and one message per
// change of the event (see Message); a check-in's name is the full name for
// organisers and the short one ("Amina H.") for door volunteers. Access is
// checked again every 60 s and on every change of shifts, assignments and
// accounts: a client that lost it is closed with 4403 (4401 when its token
// no longer signs in), and one account's sockets beyond 20 are closed,
// oldest first, with 4429 (see guard.go). A client that falls behind by a full
// buffer is closed with 1013; one that stops answering pings is dropped; on
// shutdown every socket is closed with 1001.
package live

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/hooks/access"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Close codes beyond RFC 6455's own, in the 4000 range it leaves to
// applications, mirroring the HTTP statuses.
const (
	CloseUnauthorized = 4401 // no, late, malformed or invalid auth message
	CloseForbidden    = 4403 // the token may not watch this event
	CloseNotFound     = 4404 // the event does not exist (or was deleted)
)

// config holds the hub's tunables. Each app has its own (tests shorten
// them for their app alone, see export_test.go); a hub reads them once,
// when Register creates it.
type config struct {
	// authTimeout is how long a client has to send its auth message.
	authTimeout time.Duration
	// pingPeriod is how often the server pings.
	pingPeriod time.Duration
	// pongWait is how long the server waits for any frame (a pong at the
	// least) before it drops the client. Longer than pingPeriod.
	pongWait time.Duration
	// writeWait bounds every write; a write that cannot finish in time
	// drops the client.
	writeWait time.Duration
	// closeGrace is how long the server waits for the peer's close reply.
	closeGrace time.Duration
	// sendBuffer is how many messages may wait for one client before the
	// client counts as too slow.
	sendBuffer int
	// socketBuffer caps the kernel's send buffer of each socket. Linux
	// would otherwise grow it to megabytes for a client that stops reading,
	// hiding the client's slowness from the hub (and holding the memory);
	// the messages are a few hundred bytes, so 32 KiB holds plenty.
	socketBuffer int
	// recheckPeriod is how often a socket's access is checked again.
	recheckPeriod time.Duration
	// maxPerAccount is how many sockets one account may hold at once.
	maxPerAccount int
}

// defaultConfig is what a hub uses unless its app was given other values.
func defaultConfig() config {
	return config{
		authTimeout:   5 * time.Second,
		pingPeriod:    20 * time.Second,
		pongWait:      45 * time.Second,
		writeWait:     10 * time.Second,
		closeGrace:    time.Second,
		sendBuffer:    64,
		socketBuffer:  32 << 10,
		recheckPeriod: 60 * time.Second,
		maxPerAccount: 20,
	}
}

// configKey is where an app's own tunables are kept, set before Register.
const configKey = "kopa.live.config"

// configOf returns app's tunables: its own if it has them, else the
// defaults.
func configOf(app core.App) config {
	c, ok := app.Store().Get(configKey).(config)
	if !ok {
		c = defaultConfig()
	}
	c.sendBuffer = max(c.sendBuffer, 1)
	c.maxPerAccount = max(c.maxPerAccount, 1)
	return c
}

// storeKey is where Register keeps the app's hub.
const storeKey = "kopa.live.hub"

// Register binds the hub's route, the record hooks that feed it and its
// shutdown, and the dashboard page.
func Register(app core.App) {
	h := newHub(app, configOf(app))
	app.Store().Set(storeKey, h)
	h.feed(app)
	h.guard(app)

	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(se *core.ServeEvent) error {
			se.Router.GET("/api/live", h.serve)
			bindDashboard(se)
			return se.Next()
		},
	})
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Func: func(te *core.TerminateEvent) error {
			h.closeAll(websocket.CloseGoingAway, "server shutting down")
			return te.Next()
		},
	})
}

// hubOf returns the app's hub (nil before Register).
func hubOf(app core.App) *hub {
	h, _ := app.Store().Get(storeKey).(*hub)
	return h
}

// upgrader keeps no write buffer on idle sockets (they are pooled) and a
// small read buffer: clients only ever send one short message.
var upgrader = websocket.Upgrader{
	ReadBufferSize:   512,
	WriteBufferSize:  4096,
	WriteBufferPool:  &sync.Pool{},
	HandshakeTimeout: 10 * time.Second,
}

// serve is GET /api/live?event={id}.
func (h *hub) serve(e *core.RequestEvent) error {
	eventID := e.Request.URL.Query().Get("event")
	if eventID == "" || len(eventID) > 64 {
		return e.BadRequestError("Missing or invalid event.", validation.Errors{
			"event": validation.NewError("validation_required", "Missing or invalid event."),
		})
	}
	if !websocket.IsWebSocketUpgrade(e.Request) {
		return web.CodeError(http.StatusBadRequest, "websocket_required", "This address speaks WebSocket only.")
	}
	if !h.checkOrigin(e.Request) {
		return web.CodeError(http.StatusForbidden, "origin", "Origin not allowed.")
	}
	u := upgrader
	u.CheckOrigin = h.checkOrigin
	conn, err := u.Upgrade(e.Response, e.Request, nil)
	if err != nil {
		return nil // Upgrade has answered the request itself
	}
	if tcp, ok := conn.NetConn().(*net.TCPConn); ok && h.cfg.socketBuffer > 0 {
		_ = tcp.SetWriteBuffer(h.cfg.socketBuffer)
	}
	if !h.admit(conn) {
		h.reject(conn, websocket.CloseGoingAway, "server shutting down")
		return nil
	}

	auth, token, code, reason := h.authenticate(h.app, conn, eventID)
	if code != 0 {
		if h.isClosed() {
			_ = conn.Close() // closeAll has sent 1001 already
		} else {
			h.app.Logger().Debug("live: rejected", "event", eventID, "code", code, "reason", reason)
			h.reject(conn, code, reason)
		}
		h.release(conn)
		return nil
	}
	h.authenticated(conn)

	c := newClient(conn, h.cfg.sendBuffer, auth.Id)
	c.event, c.account, c.token = eventID, accountKey(auth.Collection().Name, auth.Id), token
	c.staff = domain.IsStaff(auth)
	ok, err := h.join(eventID, c)
	if err != nil || !ok {
		if err != nil {
			h.app.Logger().Error("live: snapshot", "event", eventID, "error", err)
			h.reject(conn, websocket.CloseInternalServerErr, "try again")
		} else {
			h.reject(conn, websocket.CloseGoingAway, "server shutting down")
		}
		h.release(conn)
		return nil
	}
	h.enrol(c)
	h.app.Logger().Debug("live: client joined", "event", eventID, "auth", auth.Id)

	// The request's goroutine returns now, with its deep stack (the
	// router's middleware chain): an idle socket keeps only two small
	// goroutines of its own, a reader and a writer.
	go c.writeLoop(h.cfg, func() { h.recheck([]*client{c}) })
	go h.watch(eventID, c)
	return nil
}

// watch reads c until it ends, then takes it out of the hub.
func (h *hub) watch(eventID string, c *client) {
	defer h.release(c.conn)
	c.readLoop(h.cfg)
	h.leave(eventID, c)
	c.stop()
	_ = c.conn.Close()
	<-c.writerDone
	h.app.Logger().Debug("live: client left", "event", eventID, "auth", c.who)
}

// authenticate reads and checks the auth message. It returns the auth
// record and its token, or a close code and reason.
func (h *hub) authenticate(app core.App, conn *websocket.Conn, eventID string) (*core.Record, string, int, string) {
	conn.SetReadLimit(maxAuthMessage)
	_ = conn.SetReadDeadline(time.Now().Add(h.cfg.authTimeout))
	_, data, err := conn.ReadMessage()
	if err != nil {
		return nil, "", CloseUnauthorized, "auth required"
	}
	token, err := ParseAuth(data)
	if err != nil {
		return nil, "", CloseUnauthorized, "auth required"
	}
	auth, err := signIn(app, token)
	if err != nil {
		return nil, "", CloseUnauthorized, "invalid token"
	}
	if !access.CanWorkDoor(app, auth, eventID, time.Now()) {
		return nil, "", CloseForbidden, "no access to this event"
	}
	if _, err := app.FindRecordById(domain.Events, eventID); err != nil {
		return nil, "", CloseNotFound, "no such event"
	}
	return auth, token, 0, ""
}

// signIn returns the account a token signs in, as the auth message and
// every later check of a socket's access (see verify) read it: the token of
// a session that was logged out signs in no one (see hooks/web).
func signIn(app core.App, token string) (*core.Record, error) {
	return web.AuthByToken(app, token)
}

// reject sends a close frame, waits briefly for the peer's reply (so the
// frame is not lost to a connection reset) and closes the socket.
func (h *hub) reject(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(h.cfg.writeWait))
	_ = conn.SetReadDeadline(time.Now().Add(h.cfg.closeGrace))
	for {
		if _, _, err := conn.NextReader(); err != nil {
			break
		}
	}
	_ = conn.Close()
}

// checkOrigin lets in clients that send no Origin (scripts, apps) and
// browsers on a page of this very site: the Origin's host must be the
// request's Host or the host of the app's public address (meta.appURL,
// for a site behind a proxy that rewrites Host).
func (h *hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	appURL, err := url.Parse(h.app.Settings().Meta.AppURL)
	return err == nil && appURL.Host != "" && strings.EqualFold(u.Host, appURL.Host)
}
