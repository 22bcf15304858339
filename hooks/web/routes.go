package web

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/internal/domain"
	"kopa/pb_public"
)

// Register binds the shared middleware, the error page of page routes, the
// static files, sign-in and sign-out, and the friendly 404 page.
func Register(app core.App) {
	if err := load(); err != nil {
		panic(err) // templates are embedded: a broken one must stop the build's tests, not a visitor
	}
	bindSessions(app)
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(se *core.ServeEvent) error {
			se.Router.Bind(pageErrors)
			se.Router.BindFunc(Middleware)
			se.Router.BindFunc(watchProxy(se.App))
			se.Router.Bind(compress())

			static, _ := fs.Sub(pb_public.FS, ".")
			se.Router.GET("/static/{path...}", serveStatic())
			se.Router.GET("/manage/login", loginPage)
			se.Router.POST("/manage/login", loginSubmit)
			se.Router.POST("/manage/logout", logout)
			se.Router.POST("/manage/token", apiToken).BindFunc(JSONErrors, RequireCSRF)

			// Anything else: a file from pb_public at the root (robots.txt,
			// favicon.ico), else the friendly 404 page (JSON under /api/).
			se.Router.GET("/{path...}", func(e *core.RequestEvent) error {
				p := strings.TrimPrefix(e.Request.URL.Path, "/")
				if strings.HasPrefix(p, "api/") {
					return e.NotFoundError("", nil)
				}
				if p != "" && !strings.HasSuffix(p, ".go") {
					if fi, err := fs.Stat(static, p); err == nil && !fi.IsDir() {
						return e.FileFS(static, p)
					}
				}
				return NotFound(e)
			})
			return se.Next()
		},
		Priority: 100, // after the features, so their routes are bound first
	})
}

// loginData is the sign-in form's state.
type loginData struct {
	Email string
	Next  string
	Error string
	// Reset: the organiser has just chosen a password.
	Reset bool
	// OTP is the one-time code's id when the password was right and
	// multi-factor sign-in is on: the page asks for the mailed code.
	OTP string
	// MFA is the id of PocketBase's record of the right password (core.MFA).
	MFA string
}

func loginPage(e *core.RequestEvent) error {
	next := SafeNext(e.Request.URL.Query().Get("next"), "")
	if e.Auth != nil {
		return e.Redirect(http.StatusSeeOther, SafeNext(next, home(e.Auth)))
	}
	return Show(e, "login", "login.title", loginData{Next: next, Reset: e.Request.URL.Query().Get("reset") == "1"})
}

func loginSubmit(e *core.RequestEvent) error {
	f, err := ParseForm(e)
	if err != nil {
		return err
	}
	email := strings.TrimSpace(f.Get("email"))
	password := f.Get("password")
	next := SafeNext(f.Get("next"), "")
	fail := func(msg string) error {
		return Render(e, http.StatusBadRequest, "login", NewPage(e, "login.title", loginData{Email: email, Next: next, Error: msg}))
	}
	// The form again, with the e-mail kept, rather than RequireCSRF's
	// error page: an expired form is the usual reason here.
	if !CheckCSRF(e) {
		return fail("error.csrf")
	}
	if otpID := f.Get("otp"); otpID != "" {
		return loginCode(e, otpID, f.Get("mfa"), f.Get("code"), email, next)
	}
	if email == "" || password == "" || len(email) > 320 || len(password) > 256 {
		return fail("login.error.invalid")
	}
	// One password check per collection, whoever the address is (see
	// passwordMatches): a failed sign-in takes as long for an unknown
	// address as for an organiser's or a volunteer's.
	for _, collection := range []string{domain.Organisers, domain.Volunteers} {
		rec, err := e.App.FindAuthRecordByEmail(collection, email)
		if err != nil {
			rec = nil
		}
		if !passwordMatches(e.App, collection, rec, password) {
			continue
		}
		if collection == domain.Volunteers && !rec.Verified() {
			return fail("login.error.unverified")
		}
		if rec.Collection().MFA.Enabled && rec.Collection().OTP.Enabled {
			return loginSendCode(e, rec, email, next)
		}
		if err := SetSession(e, rec); err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, SafeNext(next, home(rec)))
	}
	return fail("login.error.invalid")
}

func home(auth *core.Record) string {
	if domain.IsVolunteer(auth) {
		return "/volunteer/me"
	}
	return "/manage"
}

func logout(e *core.RequestEvent) error {
	if CheckCSRF(e) {
		ClearSession(e)
	}
	return e.Redirect(http.StatusSeeOther, "/")
}

// apiToken hands the session's PocketBase token to the page's own scripts
// (the scanner, the dashboard), which send it in the Authorization header or
// the WebSocket's first message. It never appears in a URL; the CSRF header
// (RequireCSRF) keeps other sites from asking for it.
func apiToken(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("", nil)
	}
	// A token of this browser's session: logging out ends it too.
	var token string
	var err error
	if sid, _ := e.Get(sessionKey).(string); sid != "" {
		token, err = sessionToken(e.Auth, sid, e.Auth.Collection().AuthToken.DurationTime())
	} else {
		token, err = e.Auth.NewAuthToken()
	}
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, map[string]any{
		"token": token, "collection": e.Auth.Collection().Name, "id": e.Auth.Id,
	})
}
