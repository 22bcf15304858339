package web

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/internal/domain"
)

// A sign-in on Kopā's pages (/manage/login, a volunteer's confirmation
// link or one-time code) is a session: a row of the sessions collection,
// and a PocketBase auth token that names it in its "sid" claim. The token
// is signed as PocketBase signs its own auth tokens (the account's token
// key and the collection's secret), so PocketBase accepts it wherever it
// takes one: the session cookie, the Authorization header of the API, the
// live socket's first message. Kopā checks the session beside it
// (AuthByToken, and Middleware for the API): logging out deletes the row,
// and from then on the token is refused wherever it comes, cookie or API
// token alike; the live sockets and PocketBase's realtime connections
// opened with it lose their access at once (bindSessions, and the live
// hub's own hook). The token is not refreshable: PocketBase's auth-refresh
// hands it back unchanged, never a token without its session.
//
// Why a row per session rather than renewing the account's token key
// (record.RefreshTokenKey), which PocketBase offers and which would end
// every token of the account: logging out of the office laptop would then
// also sign out the phone working the door, in the middle of an event,
// with scans waiting on it. A session ends alone; changing the password
// (which renews the key) still ends them all.
//
// Tokens PocketBase makes itself (its auth-with-password API) carry no
// session and stay stateless, as PocketBase made them.

// sessionClaim is the claim of a session token that names its session.
const sessionClaim = "sid"

// sessionKey is where a request keeps the session its cookie holds.
const sessionKey = "kopa.session"

// statelessKey marks a request whose cookie holds a token without a session
// (one made before sessions were kept).
const statelessKey = "kopa.stateless"

// ErrSessionEnded is a token whose session was ended (logged out) or has
// expired.
var ErrSessionEnded = errors.New("the session has ended")

// newSession stores a session of auth and returns the token that carries
// it, valid as long as the collection's auth tokens are.
func newSession(app core.App, auth *core.Record, now time.Time) (token string, err error) {
	col, err := app.FindCachedCollectionByNameOrId(domain.Sessions)
	if err != nil {
		return "", err
	}
	ttl := auth.Collection().AuthToken.DurationTime()
	expires, err := types.ParseDateTime(now.Add(ttl).UTC())
	if err != nil {
		return "", err
	}
	// Sessions that ran out are forgotten as new ones begin (the index on
	// expires keeps this cheap).
	if _, err := app.DB().NewQuery("DELETE FROM {{" + domain.Sessions + "}} WHERE [[expires]] < {:now}").
		Bind(dbx.Params{"now": types.NowDateTime().String()}).Execute(); err != nil {
		app.Logger().Warn("forget expired sessions", "error", err)
	}
	s := core.NewRecord(col)
	s.Set("collection_ref", auth.Collection().Id)
	s.Set("record_ref", auth.Id)
	s.Set("expires", expires)
	if err := app.Save(s); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return sessionToken(auth, s.Id, ttl)
}

// StartSession starts a session of auth, as signing in on the pages does,
// and returns its token: for tools and tests that sign in without the form.
func StartSession(app core.App, auth *core.Record) (string, error) {
	return newSession(app, auth, time.Now())
}

// sessionToken is an auth token of auth that carries session sid.
func sessionToken(auth *core.Record, sid string, ttl time.Duration) (string, error) {
	key := auth.TokenKey() + auth.Collection().AuthToken.Secret
	if key == "" {
		return "", core.ErrMissingSigningKey
	}
	return security.NewJWT(map[string]any{
		core.TokenClaimType:         core.TokenTypeAuth,
		core.TokenClaimId:           auth.Id,
		core.TokenClaimCollectionId: auth.Collection().Id,
		core.TokenClaimRefreshable:  false,
		sessionClaim:                sid,
	}, key, ttl)
}

// sessionOf is the session a token names, or "" for a token without one.
// It reads the token without checking it: callers check it first.
func sessionOf(token string) string {
	claims, err := security.ParseUnverifiedJWT(token)
	if err != nil {
		return ""
	}
	sid, _ := claims[sessionClaim].(string)
	return sid
}

// sessionLive reports whether session sid of auth is still on: stored,
// not logged out, not expired.
func sessionLive(app core.App, auth *core.Record, sid string) bool {
	var row struct {
		Record  string `db:"record_ref"`
		Expires string `db:"expires"`
	}
	err := app.DB().NewQuery("SELECT [[record_ref]], [[expires]] FROM {{" + domain.Sessions + "}} WHERE [[id]] = {:id}").
		Bind(dbx.Params{"id": sid}).One(&row)
	return err == nil && row.Record == auth.Id && row.Expires > types.NowDateTime().String()
}

// endSession deletes session sid: its token stops working everywhere. It
// is deleted as a record, so that whoever holds a socket open with its
// token hears of it (the live hub closes those at once).
func endSession(app core.App, sid string) error {
	s, err := app.FindRecordById(domain.Sessions, sid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // ended already
	}
	if err != nil {
		return err
	}
	return app.Delete(s)
}

// endStateless ends a cookie that carries no session, made before Kopā kept
// sessions: only renewing the account's token key stops its token, and
// with it every other token of the account. Such cookies last a week at
// most after an upgrade; logging out must end them all the same.
func endStateless(app core.App, auth *core.Record) {
	rec, err := app.FindRecordById(auth.Collection(), auth.Id)
	if err != nil {
		return // the account is gone, and its tokens with it
	}
	rec.RefreshTokenKey()
	if err := app.SaveNoValidate(rec); err != nil {
		app.Logger().Error("end a session without a record", "account", auth.Id, "error", err)
	}
}

// AuthByToken is the organiser, volunteer or superuser an auth token
// signs in, as PocketBase's FindAuthRecordByToken finds them, and only
// while the token's session, if it names one, is on (ErrSessionEnded
// otherwise). Everything that takes a token outside PocketBase's own
// request handling (the live socket) asks it.
func AuthByToken(app core.App, token string) (*core.Record, error) {
	rec, err := app.FindAuthRecordByToken(token, core.TokenTypeAuth)
	if err != nil {
		return nil, err
	}
	if sid := sessionOf(token); sid != "" && !sessionLive(app, rec, sid) {
		return nil, ErrSessionEnded
	}
	return rec, nil
}

// realtimeSessionKey is where a PocketBase realtime client keeps the
// session of the token it subscribed with.
const realtimeSessionKey = "kopa.session"

// bindSessions keeps the sessions in step with the accounts and with
// PocketBase's realtime connections:
//
//   - an account's sessions are forgotten when it is deleted, and when its
//     token key is renewed (a new password or address, a confirmation
//     link): their tokens no longer verify then anyway;
//   - a realtime client subscribing with a session's token is marked with
//     the session; when the session ends, those clients lose their auth, as
//     PocketBase does for them when a password changes (they stay
//     connected, as guests, and may subscribe again with a valid token).
func bindSessions(app core.App) {
	app.OnRecordUpdate(domain.Organisers, domain.Volunteers).BindFunc(func(e *core.RecordEvent) error {
		key := e.Record.Original().TokenKey()
		if err := e.Next(); err != nil {
			return err
		}
		if e.Record.TokenKey() != key {
			return forgetSessions(e.App, e.Record.Id)
		}
		return nil
	})
	app.OnRecordDelete(domain.Organisers, domain.Volunteers).BindFunc(func(e *core.RecordEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		return forgetSessions(e.App, e.Record.Id)
	})

	app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		if sid := sessionOf(bearer(e.RequestEvent)); sid != "" && e.Auth != nil {
			e.Client.Set(realtimeSessionKey, sid)
		} else {
			e.Client.Unset(realtimeSessionKey)
		}
		return nil
	})
	app.OnRecordAfterDeleteSuccess(domain.Sessions).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		for _, c := range e.App.SubscriptionsBroker().Clients() {
			if sid, _ := c.Get(realtimeSessionKey).(string); sid == e.Record.Id {
				c.Unset(apis.RealtimeClientAuthKey)
				c.Unset(realtimeSessionKey)
			}
		}
		return err
	})
}

// forgetSessions deletes the stored sessions of account id, whose tokens
// no longer verify (the account is gone or has a new token key). The rows
// go without their record hooks: PocketBase itself drops the account's
// realtime auth then, and the live hub rechecks its sockets.
func forgetSessions(app core.App, id string) error {
	_, err := app.DB().NewQuery("DELETE FROM {{" + domain.Sessions + "}} WHERE [[record_ref]] = {:id}").
		Bind(dbx.Params{"id": id}).Execute()
	if err != nil {
		return fmt.Errorf("forget the sessions of %s: %w", id, err)
	}
	return nil
}

// bearer is the token of the request's Authorization header, read as
// PocketBase reads it.
func bearer(e *core.RequestEvent) string {
	token := e.Request.Header.Get("Authorization")
	if len(token) > 7 && strings.EqualFold(token[:7], "Bearer ") {
		return token[7:]
	}
	return token
}

// apiSession checks the session of the Authorization token PocketBase has
// verified and loaded as e.Auth: it reports false when that session has
// ended; a token of a session that is on makes it the request's session
// (as a cookie does), a token without one (PocketBase's own) passes.
func apiSession(e *core.RequestEvent) bool {
	if e.Auth == nil {
		return true
	}
	sid := sessionOf(bearer(e))
	if sid == "" {
		return true
	}
	if !sessionLive(e.App, e.Auth, sid) {
		return false
	}
	e.Set(sessionKey, sid)
	return true
}
