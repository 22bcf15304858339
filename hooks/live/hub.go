package live

import (
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/access"
	"kopa/hooks/attendance"
	"kopa/internal/domain"
)

// hub fans the changes of each event out to the sockets watching it. There
// is one per app.
type hub struct {
	app core.App
	cfg config

	mu      sync.Mutex
	rooms   map[string]*room
	pending map[*websocket.Conn]struct{} // upgraded, not yet authenticated
	closed  bool
	// accounts holds each account's sockets (see enrol), by accountKey;
	// joined numbers the sockets in the order they joined.
	accounts map[string]map[*client]struct{}
	joined   uint64
	// before holds each registration's state just before an update is
	// written, until the update's after-hook reads it (see feed).
	before sync.Map
	// conns counts every connection between upgrade and close, so that
	// shutdown can wait for the close handshakes.
	conns sync.WaitGroup
}

// room is the set of clients watching one event.
type room struct {
	id string
	// mu serialises reading the counts and queueing the message: every
	// client gets the changes in one order, and the counts it sees never go
	// back to an older state.
	mu      sync.Mutex
	clients map[*client]struct{}
	// last are the counts last sent, to tell whether an update changed any.
	last domain.Stats
	// dead rooms have left hub.rooms; a join that finds one starts over.
	dead bool
}

// client is one authenticated socket. Only its writer goroutine writes
// data frames; the handler goroutine reads (pongs and close frames).
type client struct {
	conn       *websocket.Conn
	send       chan []byte
	done       chan struct{} // closed when the client must go
	writerDone chan struct{}
	once       sync.Once
	code       int // close code to send when done; 0 sends none
	reason     string
	who        string // the auth record's id, for logs

	// What the socket was let in for, to check it again (see guard.go).
	event   string // the event it watches
	account string // accountKey of its auth record
	token   string // the token it signed in with
	staff   bool   // an organiser's (or superuser's): full names
	seq     uint64 // when it joined, among all sockets of the hub

	// deadlineMu keeps the pong handler from pushing the read deadline
	// back out once the writer has started closing.
	deadlineMu sync.Mutex
	closing    atomic.Bool
}

func newHub(app core.App, cfg config) *hub {
	return &hub{
		app:      app,
		cfg:      cfg,
		rooms:    map[string]*room{},
		pending:  map[*websocket.Conn]struct{}{},
		accounts: map[string]map[*client]struct{}{},
	}
}

// admit registers a freshly upgraded connection; false once the hub has
// shut down.
func (h *hub) admit(conn *websocket.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.pending[conn] = struct{}{}
	h.conns.Add(1)
	return true
}

// authenticated takes a connection off the pending list.
func (h *hub) authenticated(conn *websocket.Conn) {
	h.mu.Lock()
	delete(h.pending, conn)
	h.mu.Unlock()
}

// release ends what admit began.
func (h *hub) release(conn *websocket.Conn) {
	h.mu.Lock()
	delete(h.pending, conn)
	h.mu.Unlock()
	h.conns.Done()
}

func (h *hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// join adds c to the event's room and queues the snapshot as its first
// message, under the room's lock so no change can slip in before it.
// It reports false when the hub has shut down.
func (h *hub) join(eventID string, c *client) (bool, error) {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return false, nil
		}
		r := h.rooms[eventID]
		if r == nil {
			r = &room{id: eventID, clients: map[*client]struct{}{}}
			h.rooms[eventID] = r
		}
		h.mu.Unlock()

		r.mu.Lock()
		if r.dead {
			r.mu.Unlock()
			continue
		}
		snap, stats, err := h.snapshot(eventID)
		if err != nil {
			r.mu.Unlock()
			return true, err
		}
		r.last = stats
		c.send <- snap // the buffer is empty: this never blocks
		r.clients[c] = struct{}{}
		r.mu.Unlock()
		return true, nil
	}
}

// leave removes c from its room, and the room from the hub once empty.
func (h *hub) leave(eventID string, c *client) {
	h.unenrol(c)
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[eventID]
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.clients, c)
	if len(r.clients) == 0 {
		r.dead = true
		delete(h.rooms, eventID)
	}
}

// clients counts the clients watching an event (tests and logs).
func (h *hub) clients(eventID string) int {
	h.mu.Lock()
	r := h.rooms[eventID]
	h.mu.Unlock()
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.clients)
}

// snapshot marshals the first message a client gets.
func (h *hub) snapshot(eventID string) ([]byte, domain.Stats, error) {
	stats, err := attendance.ForEvent(h.app, eventID)
	if err != nil {
		return nil, stats, err
	}
	// One arrival per person: a check-in of three who came is three
	// arrivals at its time, as the counts have it.
	var rows []struct {
		At      string `db:"at"`
		Arrived int    `db:"arrived"`
	}
	err = h.app.DB().Select("at", "arrived").From(domain.Checkins).
		Where(dbx.HashExp{"event": eventID}).OrderBy("at ASC").All(&rows)
	if err != nil {
		return nil, stats, err
	}
	times := make([]string, 0, len(rows))
	for _, r := range rows {
		for range min(max(r.Arrived, 1), domain.MaxPartyLimit) {
			times = append(times, r.At)
		}
	}
	b, err := json.Marshal(Message{Type: TypeSnapshot, Event: eventID, Stats: stats, Arrivals: times})
	return b, stats, err
}

// broadcast sends one change of an event to everyone watching it. The
// counts are read once and the message marshalled once for organisers and
// once for door volunteers, who get the short name (access.DoorName). It
// never waits for a client: one whose buffer is full is dropped. fill adds
// the change's own fields (type, time, full name) and is only called when
// someone is watching. Unless always is set, nothing is sent when the
// counts are those last sent.
func (h *hub) broadcast(eventID string, always bool, fill func(m *Message)) {
	if eventID == "" {
		return
	}
	h.mu.Lock()
	r := h.rooms[eventID]
	h.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead || len(r.clients) == 0 {
		return
	}
	stats, err := attendance.ForEvent(h.app, eventID)
	if errors.Is(err, sql.ErrNoRows) {
		return // the event is being deleted; closeRoom follows
	}
	if err != nil {
		h.app.Logger().Error("live: read counts", "event", eventID, "error", err)
		return
	}
	if !always && stats == r.last {
		return
	}
	r.last = stats
	m := Message{Event: eventID, Stats: stats}
	fill(&m)
	b, err := json.Marshal(m)
	if err != nil {
		h.app.Logger().Error("live: marshal", "event", eventID, "error", err)
		return
	}
	short := b
	if m.Name != nil {
		if s := access.ShortName(*m.Name); s != *m.Name {
			m.Name = &s
			if short, err = json.Marshal(m); err != nil {
				h.app.Logger().Error("live: marshal", "event", eventID, "error", err)
				return
			}
		}
	}
	for c := range r.clients {
		msg := b
		if !c.staff {
			msg = short
		}
		select {
		case c.send <- msg:
		default:
			delete(r.clients, c)
			c.drop(websocket.CloseTryAgainLater, "too slow", true)
			h.app.Logger().Warn("live: dropped a slow client", "event", eventID, "auth", c.who)
		}
	}
}

// closeRoom closes every socket watching an event (the event was deleted).
func (h *hub) closeRoom(eventID string, code int, reason string) {
	h.mu.Lock()
	r := h.rooms[eventID]
	delete(h.rooms, eventID)
	h.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = true
	for c := range r.clients {
		c.drop(code, reason, false)
	}
	clear(r.clients)
}

// closeAll closes every socket with code (1001 on shutdown) and waits, up
// to the configured grace, for the closing handshakes to finish.
func (h *hub) closeAll(code int, reason string) {
	h.mu.Lock()
	h.closed = true
	rooms := h.rooms
	h.rooms = map[string]*room{}
	pending := make([]*websocket.Conn, 0, len(h.pending))
	for conn := range h.pending {
		pending = append(pending, conn)
	}
	h.mu.Unlock()

	n := 0
	for _, r := range rooms {
		r.mu.Lock()
		r.dead = true
		for c := range r.clients {
			c.drop(code, reason, false)
			n++
		}
		clear(r.clients)
		r.mu.Unlock()
	}
	// Sockets still in the auth phase: their handler is blocked reading,
	// so the close frame goes from here (WriteControl is safe alongside).
	for _, conn := range pending {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(h.cfg.writeWait))
		_ = conn.NetConn().SetReadDeadline(time.Now().Add(h.cfg.closeGrace))
	}

	done := make(chan struct{})
	go func() { h.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(h.cfg.closeGrace + h.cfg.writeWait):
		h.app.Logger().Warn("live: some sockets did not finish closing")
	}
	if n > 0 || len(pending) > 0 {
		h.app.Logger().Info("live: closed all sockets", "clients", n, "unauthenticated", len(pending), "code", code)
	}
}

func newClient(conn *websocket.Conn, buffer int, who string) *client {
	return &client{
		conn:       conn,
		send:       make(chan []byte, buffer),
		done:       make(chan struct{}),
		writerDone: make(chan struct{}),
		who:        who,
	}
}

// drop tells the writer to send a close frame with code and stop. stuck
// also cuts short a write in progress: a client that lets its buffer fill
// is likely not reading, and its socket would otherwise hold the writer
// until the write deadline.
func (c *client) drop(code int, reason string, stuck bool) {
	c.once.Do(func() {
		c.code, c.reason = code, reason
		close(c.done)
		if stuck {
			_ = c.conn.NetConn().SetWriteDeadline(time.Now())
		}
	})
}

// stop ends the writer without a close frame (the reader has already ended).
func (c *client) stop() { c.drop(0, "", false) }

// writeLoop is the only goroutine that writes data frames to the socket:
// queued messages, pings every pingPeriod, and the close frame at the end.
// Every recheckPeriod it calls recheck, which checks the client's access
// again (see guard.go).
func (c *client) writeLoop(cfg config, recheck func()) {
	ping := time.NewTicker(cfg.pingPeriod)
	again := time.NewTicker(cfg.recheckPeriod)
	defer func() {
		ping.Stop()
		again.Stop()
		// Give the reader closeGrace more to see the peer's close reply.
		c.deadlineMu.Lock()
		c.closing.Store(true)
		_ = c.conn.NetConn().SetReadDeadline(time.Now().Add(cfg.closeGrace))
		c.deadlineMu.Unlock()
		close(c.writerDone)
	}()
	for {
		select {
		case <-c.done:
			c.writeClose(cfg)
			return
		default:
		}
		select {
		case <-c.done:
			c.writeClose(cfg)
			return
		case b := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(cfg.writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.writeWait)); err != nil {
				return
			}
		case <-again.C:
			recheck()
		}
	}
}

func (c *client) writeClose(cfg config) {
	if c.code == 0 {
		return
	}
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.code, c.reason), time.Now().Add(cfg.writeWait))
}

// readLoop reads until the socket fails, the peer closes, or no pong came
// within pongWait. Clients have nothing to say after auth; what they send
// is discarded.
func (c *client) readLoop(cfg config) {
	c.conn.SetPongHandler(func(string) error {
		c.deadlineMu.Lock()
		defer c.deadlineMu.Unlock()
		if !c.closing.Load() {
			_ = c.conn.SetReadDeadline(time.Now().Add(cfg.pongWait))
		}
		return nil
	})
	c.deadlineMu.Lock()
	if !c.closing.Load() {
		_ = c.conn.SetReadDeadline(time.Now().Add(cfg.pongWait))
	}
	c.deadlineMu.Unlock()
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}
