package live

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/access"
	"kopa/internal/domain"
)

// A socket's access is not settled once at auth: a door shift is withdrawn,
// ends, or moves; a volunteer's account is deleted; an organiser changes
// their password or signs out (which ends the session its token carries,
// see hooks/web). The hub checks every socket's access again
//
//   - every recheckPeriod (60 s), from the socket's own writer goroutine, so
//     the checks of many sockets spread over the period instead of
//     arriving at once, and a shift that simply ended is noticed too;
//   - at once, after the commit of every change of an assignment, a shift
//     or an account that may take access away (guard binds those hooks).
//
// A socket whose token no longer signs in (expired, signed out, password
// changed, account deleted) is closed with 4401, so that the page asks for
// a fresh token; one whose account may no longer watch the event with 4403.
// It is taken out of its room before the close frame is queued: it gets no
// message after its access has gone.
//
// One account holds at most maxPerAccount sockets at once. A new socket
// over the cap is let in and the account's oldest one closed with 4429: the
// newest is the page someone just opened and is looking at, while the
// oldest is most likely a forgotten tab or a phone whose connection died
// without a goodbye (the server notices that only after pongWait). A page
// closed with 4429 does not reconnect by itself, so two sets of tabs never
// take turns closing each other. Without a cap one account held 2,240
// sockets and the server grew from 46 MB to 191 MB.

// CloseTooMany closes an account's oldest socket when it opens one more
// than maxPerAccount.
const CloseTooMany = 4429

// guard binds the hooks that check sockets again when their access may have
// changed. After*Success hooks of a change made in a transaction run after
// the commit, so the check reads what was committed.
func (h *hub) guard(app core.App) {
	// An assignment accepted, cancelled, declined, moved or deleted: its
	// volunteer's sockets (before and after, should it be moved to another
	// volunteer).
	assignment := func(e *core.RecordEvent) error {
		err := e.Next()
		h.recheckAccounts(accountKey(domain.Volunteers, e.Record.GetString("volunteer")),
			accountKey(domain.Volunteers, e.Record.Original().GetString("volunteer")))
		return err
	}
	app.OnRecordAfterUpdateSuccess(domain.Assignments).BindFunc(assignment)
	app.OnRecordAfterDeleteSuccess(domain.Assignments).BindFunc(assignment)

	// A shift moved in time, to another role or event, or deleted: shifts
	// change seldom, and only volunteers' sockets depend on them, so every
	// volunteer's socket is checked.
	shift := func(e *core.RecordEvent) error {
		err := e.Next()
		h.recheckWhere(func(c *client) bool { return !c.staff })
		return err
	}
	app.OnRecordAfterUpdateSuccess(domain.Shifts).BindFunc(shift)
	app.OnRecordAfterDeleteSuccess(domain.Shifts).BindFunc(shift)

	// An account changed (a new password or token key ends its tokens) or
	// deleted.
	account := func(e *core.RecordEvent) error {
		err := e.Next()
		h.recheckAccounts(accountKey(e.Record.Collection().Name, e.Record.Id))
		return err
	}
	for _, name := range []string{domain.Volunteers, domain.Organisers, core.CollectionNameSuperusers} {
		app.OnRecordAfterUpdateSuccess(name).BindFunc(account)
		app.OnRecordAfterDeleteSuccess(name).BindFunc(account)
	}

	// A session ended (logged out): the sockets opened with its token.
	app.OnRecordAfterDeleteSuccess(domain.Sessions).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		if col, cerr := e.App.FindCachedCollectionByNameOrId(e.Record.GetString("collection_ref")); cerr == nil {
			h.recheckAccounts(accountKey(col.Name, e.Record.GetString("record_ref")))
		}
		return err
	})
}

// accountKey names an auth record across collections.
func accountKey(collection, id string) string {
	if id == "" {
		return ""
	}
	return collection + "/" + id
}

// recheckAccounts checks the sockets of the given accounts again.
func (h *hub) recheckAccounts(keys ...string) {
	var found []*client
	h.mu.Lock()
	for _, k := range keys {
		for c := range h.accounts[k] {
			found = append(found, c)
		}
	}
	h.mu.Unlock()
	h.recheck(found)
}

// recheckWhere checks the sockets that match again.
func (h *hub) recheckWhere(match func(c *client) bool) {
	var found []*client
	h.mu.Lock()
	for _, set := range h.accounts {
		for c := range set {
			if match(c) {
				found = append(found, c)
			}
		}
	}
	h.mu.Unlock()
	h.recheck(found)
}

// recheck checks each client's access and closes those that lost it. The
// checks run outside the hub's locks: they read the database.
func (h *hub) recheck(clients []*client) {
	for _, c := range clients {
		if code, reason := h.verify(c); code != 0 {
			h.expel(c, code, reason)
		}
	}
}

// verify checks again what authenticate checked: that the client's token
// still signs its account in, and that the account may still watch the
// event. It returns 0, or the close code and reason. A database error keeps
// the socket (it is checked again at the next period): a hiccup must not
// close every door's counts.
func (h *hub) verify(c *client) (int, string) {
	auth, err := signIn(h.app, c.token)
	if err != nil || accountKey(auth.Collection().Name, auth.Id) != c.account {
		return CloseUnauthorized, "sign in again"
	}
	ok, err := access.DoorAccess(h.app, auth, c.event, time.Now())
	if err != nil {
		h.app.Logger().Warn("live: access check failed", "event", c.event, "auth", c.who, "error", err)
		return 0, ""
	}
	if !ok {
		return CloseForbidden, "no access to this event"
	}
	return 0, ""
}

// expel takes c out of its room, so that no further message reaches it,
// and closes it with code.
func (h *hub) expel(c *client, code int, reason string) {
	h.mu.Lock()
	r := h.rooms[c.event]
	h.mu.Unlock()
	if r != nil {
		r.mu.Lock()
		delete(r.clients, c)
		r.mu.Unlock()
	}
	c.drop(code, reason, false)
	h.app.Logger().Info("live: closed a socket", "event", c.event, "auth", c.who, "code", code, "reason", reason)
}

// enrol counts c among its account's sockets and closes the account's
// oldest ones beyond maxPerAccount.
func (h *hub) enrol(c *client) {
	var over []*client
	h.mu.Lock()
	h.joined++
	c.seq = h.joined
	set := h.accounts[c.account]
	if set == nil {
		set = map[*client]struct{}{}
		h.accounts[c.account] = set
	}
	set[c] = struct{}{}
	for len(set) > h.cfg.maxPerAccount {
		var oldest *client
		for o := range set {
			if oldest == nil || o.seq < oldest.seq {
				oldest = o
			}
		}
		delete(set, oldest)
		over = append(over, oldest)
	}
	h.mu.Unlock()
	for _, o := range over {
		h.expel(o, CloseTooMany, "too many sockets for one account")
	}
}

// unenrol forgets c (it has left).
func (h *hub) unenrol(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.accounts[c.account]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.accounts, c.account)
		}
	}
}
