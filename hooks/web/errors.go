package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// CodeError is a JSON error in PocketBase's shape whose data carries a
// machine-readable code: {"status":409,"message":"…","data":{"code":"full"}}.
// (PocketBase turns plain data maps into per-field errors, so the code is
// set after the error is made.)
func CodeError(status int, code, message string) *router.ApiError {
	err := router.NewApiError(status, message, nil)
	err.Data = map[string]any{"code": code}
	return err
}

const jsonErrorsKey = "kopa.jsonErrors"

// JSONErrors marks a route outside /api/ that answers a page's scripts, not
// a browser's navigation (the session's API token): its errors stay JSON.
func JSONErrors(e *core.RequestEvent) error {
	e.Set(jsonErrorsKey, true)
	return e.Next()
}

// pageErrors is the error page of every page route. An error a handler or
// a middleware returns (PocketBase's rate limiter, a body over MaxBody, a
// failed read, a panic) is answered with the HTML error page in the
// visitor's language instead of PocketBase's JSON. JSON stays for /api/,
// for PocketBase's admin UI, for routes marked with JSONErrors and for
// clients that ask for it (Accept: application/json). The error is still
// returned, so PocketBase's request log keeps it as a failed request.
//
// It runs around PocketBase's own middlewares (just inside its request
// log), so their refusals are pages too.
var pageErrors = &hook.Handler[*core.RequestEvent]{
	Id:       "kopaPageErrors",
	Priority: apis.DefaultActivityLoggerMiddlewarePriority + 1,
	Func: func(e *core.RequestEvent) error {
		err := e.Next()
		if err == nil || e.Written() || !isPage(e) {
			return err
		}
		if rerr := renderError(e, err); rerr != nil {
			e.App.Logger().Error("render error page", "error", rerr, "cause", err)
		}
		return err
	},
}

// isPage reports whether the request's errors are shown as a page.
func isPage(e *core.RequestEvent) bool {
	p := e.Request.URL.Path
	switch {
	case p == "/api" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/_/"):
		return false
	case e.Get(jsonErrorsKey) != nil:
		return false
	case strings.Contains(e.Request.Header.Get("Accept"), "application/json"):
		return false
	}
	return true
}

// renderError shows err as the error page, with the status PocketBase
// would have answered and a message that says what the visitor can do.
func renderError(e *core.RequestEvent, err error) error {
	apiErr := router.ToApiError(err)
	status := apiErr.Status
	heading, text := "error.badrequest.title", "error.badrequest.text"
	var isAPIError *router.ApiError
	switch {
	case !errors.As(err, &isAPIError) || status >= 500:
		// A failure of ours, not of the request.
		heading, text = "error.server.title", "error.server.text"
	case status == http.StatusNotFound:
		heading, text = "error.notfound.title", "error.notfound.text"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		heading, text = "error.forbidden.title", "error.forbidden.text"
		if m, ok := apiErr.Data["code"].(string); ok && m == "csrf" {
			text = "error.csrf"
		}
	case status == http.StatusRequestEntityTooLarge:
		heading, text = "error.too_large.title", "error.too_large.text"
	case status == http.StatusTooManyRequests:
		heading, text = "error.rate.title", "form.error.rate"
	}
	// The request may have been refused before Middleware ran.
	secure(e)
	return ErrorPage(e, status, heading, text)
}
