package web

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/domain"
	"kopa/internal/i18n"
)

const (
	langCookie = "kopa_lang"
	langKey    = "kopa.lang"
)

// ContentSecurityPolicy allows nothing inline and nothing from another
// origin. Pages keep their scripts and styles in /static/.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// noStorePrefixes are pages that hold secrets (ticket and invite links) or
// personal data: browsers and proxies must not keep them. /b/ are the
// bulletin subscribers' confirm and unsubscribe links.
var noStorePrefixes = []string{"/t/", "/i/", "/manage", "/volunteer/me", "/volunteer/confirm", "/b/"}

// Middleware sets the security headers, decides the visitor's language and
// loads the session of a signed-in organiser or volunteer on page routes.
// PocketBase's admin UI (/_/) keeps its own headers.
func Middleware(e *core.RequestEvent) error {
	p := e.Request.URL.Path
	if strings.HasPrefix(p, "/_/") {
		return e.Next()
	}
	secure(e)

	var cookieLang string
	if c, err := e.Request.Cookie(langCookie); err == nil {
		cookieLang = c.Value
	}
	query := e.Request.URL.Query().Get("lang")
	lang := negotiate(p, query, cookieLang, e.Request.Header.Get("Accept-Language"))
	if i18n.IsSupported(query) && query != cookieLang {
		// The choice is remembered even where a console page cannot
		// follow it (?lang=ar on /manage): the public pages will.
		e.SetCookie(&http.Cookie{
			Name: langCookie, Value: query, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: IsTLS(e), SameSite: http.SameSiteLaxMode,
		})
	}
	e.Set(langKey, lang)

	if !apiSession(e) {
		// A token of a session that was logged out (a copied cookie,
		// a scanner's token): PocketBase took it, Kopā does not.
		e.Auth = nil
		if strings.HasPrefix(p, "/api/") {
			return e.UnauthorizedError("The session has ended; please sign in again.", nil)
		}
	}
	if e.Auth == nil && !strings.HasPrefix(p, "/api/") {
		loadSession(e)
	}
	if !domain.IsStaff(e.Auth) {
		// People's visits are not logged. PocketBase's request log (URL,
		// address, browser) keeps a successful request only when an
		// organiser or a superuser made it, so what staff do stays
		// traceable; it would otherwise hold, for days, which ticket
		// (the code is in the URL) and which event someone opened, and
		// from where. Failed requests are logged from everyone, to find
		// faults and misuse.
		return skipSuccessLog.Func(e)
	}
	return e.Next()
}

var skipSuccessLog = apis.SkipSuccessActivityLog()

// secure sets the security headers of every response but the admin UI's.
func secure(e *core.RequestEvent) {
	h := e.Response.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	if IsTLS(e) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	for _, prefix := range noStorePrefixes {
		if strings.HasPrefix(e.Request.URL.Path, prefix) {
			h.Set("Cache-Control", "no-store")
			break
		}
	}
}

// Lang is the language decided for this request.
func Lang(e *core.RequestEvent) string {
	if l, ok := e.Get(langKey).(string); ok && l != "" {
		return l
	}
	var cookieLang string
	if c, err := e.Request.Cookie(langCookie); err == nil {
		cookieLang = c.Value
	}
	return negotiate(e.Request.URL.Path, e.Request.URL.Query().Get("lang"), cookieLang, e.Request.Header.Get("Accept-Language"))
}

// IsConsole reports whether path is a page of the organisers' console or
// the door scanner (everything below /manage but the sign-in and sign-out
// that volunteers share): those speak only i18n.Console's languages.
func IsConsole(path string) bool {
	if path != "/manage" && !strings.HasPrefix(path, "/manage/") {
		return false
	}
	switch path {
	case "/manage/login", "/manage/logout", "/manage/token":
		return false
	}
	return true
}

// negotiate decides the language of a request for path: among all of
// i18n.Supported, or among the console's on a console page.
func negotiate(path, query, cookie, accept string) string {
	if IsConsole(path) {
		return i18n.NegotiateConsole(query, cookie, accept)
	}
	return i18n.Negotiate(query, cookie, accept)
}

// PreferLang makes lang the language of the rest of this request unless
// the visitor chose one (?lang= or the language cookie; a browser's
// Accept-Language is no choice), and returns the request's language. A
// page about a record that keeps a language opens in it: a ticket in its
// registration's, whoever opens the link.
func PreferLang(e *core.RequestEvent, lang string) string {
	if !i18n.IsSupported(lang) || i18n.IsSupported(e.Request.URL.Query().Get("lang")) ||
		(IsConsole(e.Request.URL.Path) && !i18n.IsConsole(lang)) {
		return Lang(e)
	}
	if c, err := e.Request.Cookie(langCookie); err == nil && i18n.IsSupported(c.Value) {
		return Lang(e)
	}
	e.Set(langKey, lang)
	return lang
}

// IsTLS reports whether the visitor reached Kopā over HTTPS, directly or
// (when the public address is https) through a TLS-terminating proxy.
func IsTLS(e *core.RequestEvent) bool {
	return e.Request.TLS != nil || strings.HasPrefix(e.App.Settings().Meta.AppURL, "https://")
}
