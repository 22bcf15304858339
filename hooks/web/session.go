package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"kopa/internal/domain"
)

const (
	sessionCookie = "kopa_session"
	csrfCookie    = "kopa_csrf"
	csrfKey       = "kopa.csrf"
)

// loadSession sets e.Auth from the session cookie, if it holds a valid
// organiser or volunteer token whose session is on (see sessions.go).
func loadSession(e *core.RequestEvent) {
	c, err := e.Request.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return
	}
	rec, err := AuthByToken(e.App, c.Value)
	if err != nil {
		return
	}
	if domain.IsOrganiser(rec) || domain.IsVolunteer(rec) {
		e.Auth = rec
		sid := sessionOf(c.Value)
		e.Set(sessionKey, sid)
		e.Set(statelessKey, sid == "")
	}
}

// SetSession signs auth in on this browser: a new session (see
// sessions.go), and an HttpOnly, SameSite=Lax cookie (Secure behind TLS)
// holding its token.
func SetSession(e *core.RequestEvent, auth *core.Record) error {
	token, err := newSession(e.App, auth, time.Now())
	if err != nil {
		return err
	}
	e.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: int(auth.Collection().AuthToken.Duration),
		HttpOnly: true, Secure: IsTLS(e), SameSite: http.SameSiteLaxMode,
	})
	e.Auth = auth
	e.Set(sessionKey, sessionOf(token))
	return nil
}

// ClearSession signs this browser out: its session ends on the server, so
// a copy of the cookie, or a token the page's scripts were given, stops
// working too.
func ClearSession(e *core.RequestEvent) {
	if sid, _ := e.Get(sessionKey).(string); sid != "" {
		if err := endSession(e.App, sid); err != nil {
			e.App.Logger().Error("end session", "error", err)
		}
	} else if stateless, _ := e.Get(statelessKey).(bool); stateless && e.Auth != nil {
		endStateless(e.App, e.Auth)
	}
	e.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: IsTLS(e), SameSite: http.SameSiteLaxMode})
	e.Auth = nil
	e.Set(sessionKey, "")
	e.Set(statelessKey, false)
}

// ConsoleGroup is a group of the organisers' console's routes under
// prefix: each page needs an organiser's session, and each form sent to it
// the session's CSRF token (RequireSession, then RequireCSRF).
func ConsoleGroup(r *router.Router[*core.RequestEvent], prefix string) *router.RouterGroup[*core.RequestEvent] {
	g := r.Group(prefix)
	g.BindFunc(RequireSession(domain.Organisers))
	g.BindFunc(RequireCSRF)
	return g
}

// RequireSession lets a page through only for a signed-in record of one of
// the given collections; others are sent to the login page and back.
func RequireSession(collections ...string) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if e.Auth != nil {
			name := e.Auth.Collection().Name
			for _, c := range collections {
				if c == name {
					return e.Next()
				}
			}
			return ErrorPage(e, http.StatusForbidden, "error.forbidden.title", "error.forbidden.text")
		}
		return e.Redirect(http.StatusSeeOther, "/manage/login?next="+url.QueryEscape(e.Request.URL.RequestURI()))
	}
}

// CSRFToken returns this browser's CSRF token, setting its cookie when new.
// Forms send it back in a hidden "csrf" field, scripts in X-CSRF-Token.
func CSRFToken(e *core.RequestEvent) string {
	if t, ok := e.Get(csrfKey).(string); ok {
		return t
	}
	if c, err := e.Request.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		e.Set(csrfKey, c.Value)
		return c.Value
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	e.SetCookie(&http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true, Secure: IsTLS(e), SameSite: http.SameSiteLaxMode})
	e.Set(csrfKey, token)
	return token
}

// CheckCSRF reports whether the request carries this browser's CSRF token,
// in the X-CSRF-Token header or the form's "csrf" field (reading the form
// with ParseForm when there is no header).
func CheckCSRF(e *core.RequestEvent) bool {
	c, err := e.Request.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	sent := e.Request.Header.Get("X-CSRF-Token")
	if sent == "" {
		f, _ := ParseForm(e)
		sent = f.Get("csrf")
	}
	return subtle.ConstantTimeCompare([]byte(sent), []byte(c.Value)) == 1
}

// RequireCSRF is the CSRF check of signed-in pages, bound on their routes:
// a POST (or any other method that changes something) without this
// browser's token, as a form field "csrf" or in the X-CSRF-Token header, is
// refused with 403 and data.code "csrf", which a page route shows as the
// error page ("the form has expired"). A body too large to find the token
// in is refused as such (413). Handlers still read their form with
// ParseForm: with the token in the header this check reads no body.
//
// The public forms that show themselves again with the message instead
// (sign-in, a volunteer's confirmation and one-time code) call CheckCSRF.
func RequireCSRF(e *core.RequestEvent) error {
	switch e.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return e.Next()
	}
	if !CheckCSRF(e) {
		if _, err := ParseForm(e); err != nil && e.Request.Header.Get("X-CSRF-Token") == "" {
			return err
		}
		return CodeError(http.StatusForbidden, "csrf", "Missing or wrong CSRF token.")
	}
	return e.Next()
}

// SafeNext returns next when it is a path on this site, otherwise fallback;
// it keeps a login form from redirecting to another site.
func SafeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return next
}
