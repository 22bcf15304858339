package web_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/web"
	"kopa/internal/kopatest"
)

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"":                         "/fallback",
		"/manage/events/x/scan":    "/manage/events/x/scan",
		"/manage?x=1":              "/manage?x=1",
		"//evil.example.org/":      "/fallback",
		"/\\evil.example.org":      "/fallback",
		"https://evil.example.org": "/fallback",
		"manage":                   "/fallback",
	}
	for in, want := range cases {
		if got := web.SafeNext(in, "/fallback"); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func form(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }

func TestLogin(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	kopatest.Organiser(t, src, "org@example.com")
	unverified := kopatest.Volunteer(t, src, "new@example.com", nil, nil)
	unverified.SetVerified(false)
	if err := src.Save(unverified); err != nil {
		t.Fatal(err)
	}
	factory := kopatest.CloneFactory(src, hooks.Default)
	const csrf = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // 43 characters, like a real token
	headers := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "kopa_csrf=" + csrf}
	ok := url.Values{"email": {"org@example.com"}, "password": {kopatest.Password}, "csrf": {csrf}, "next": {"/manage/events/abc/scan"}}

	scenarios := []tests.ApiScenario{
		{Name: "login page", Method: http.MethodGet, URL: "/manage/login?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{`name="csrf"`, `type="password"`, `autocomplete="current-password"`, "Log in"}},
		{Name: "login without CSRF token is refused", Method: http.MethodPost, URL: "/manage/login",
			Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			Body:    form(url.Values{"email": {"org@example.com"}, "password": {kopatest.Password}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Forma ir novecojusi"}, NotExpectedContent: []string{"kopa_session"}},
		{Name: "wrong password", Method: http.MethodPost, URL: "/manage/login", Headers: headers,
			Body: form(url.Values{"email": {"org@example.com"}, "password": {"nope"}, "csrf": {csrf}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Nepareiza e-pasta adrese vai parole", `value="org@example.com"`}},
		{Name: "unverified volunteer", Method: http.MethodPost, URL: "/manage/login", Headers: headers,
			Body: form(url.Values{"email": {"new@example.com"}, "password": {kopatest.Password}, "csrf": {csrf}}), ExpectedStatus: 400,
			ExpectedContent: []string{"apstipriniet"}},
		{Name: "organiser signs in and goes where they were going", Method: http.MethodPost, URL: "/manage/login", Headers: headers,
			Body: form(ok), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/manage/events/abc/scan" {
					t.Errorf("redirect to %q", loc)
				}
				var session *http.Cookie
				for _, c := range res.Cookies() {
					if c.Name == "kopa_session" {
						session = c
					}
				}
				if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Value == "" {
					t.Fatalf("session cookie: %+v", session)
				}
			}},
		{Name: "a login never redirects off-site", Method: http.MethodPost, URL: "/manage/login", Headers: headers,
			Body:           form(url.Values{"email": {"org@example.com"}, "password": {kopatest.Password}, "csrf": {csrf}, "next": {"//evil.example.org"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/manage" {
					t.Errorf("redirect to %q", loc)
				}
			}},
		{Name: "no API token without a session", Method: http.MethodPost, URL: "/manage/token", Headers: map[string]string{"X-CSRF-Token": csrf, "Cookie": "kopa_csrf=" + csrf},
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestAPIToken(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	session := kopatest.Token(t, org)
	const csrf = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	cookie := "kopa_session=" + session + "; kopa_csrf=" + csrf
	for _, s := range []tests.ApiScenario{
		{Name: "token for the page's scripts", Method: http.MethodPost, URL: "/manage/token",
			Headers: map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}, ExpectedStatus: 200,
			ExpectedContent: []string{`"token":"`, `"collection":"organisers"`, `"id":"` + org.Id + `"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if res.Header.Get("Cache-Control") != "no-store" {
					t.Error("the token answer must not be cached")
				}
			}},
		{Name: "another site cannot ask for the token", Method: http.MethodPost, URL: "/manage/token",
			Headers: map[string]string{"Cookie": cookie}, ExpectedStatus: 403, ExpectedContent: []string{`"code":"csrf"`}, NotExpectedContent: []string{`"token"`}},
	} {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestPeoplesVisitsAreNotLogged: PocketBase's request log keeps an
// organiser's successful request, and failed requests from anyone, but no
// successful request of a visitor (a ticket page's URL holds its code).
func TestPeoplesVisitsAreNotLogged(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	org := kopatest.Organiser(t, app, "org@example.com")
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.Logs.MaxDays = 5 // PocketBase's default; the test app keeps no logs
	})
	srv := kopatest.Serve(t, app)
	get := func(path, token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := get("/privacy?visitor", ""); st != 200 {
		t.Fatalf("privacy page: %d", st)
	}
	if st := get("/api/collections/registrations/records?organiser", kopatest.Token(t, org)); st != 200 {
		t.Fatalf("organiser's list: %d", st)
	}
	if st := get("/api/collections/registrations/records/nosuchrecord?failed", ""); st < 400 {
		t.Fatalf("visitor's list: %d", st)
	}
	if st := get("/events/no-such-event?failed", ""); st != 404 {
		t.Fatalf("missing page: %d", st)
	}

	// Logs are written in batches, every few seconds.
	logged := func(marker string) bool {
		var n int
		err := app.LogQuery().Select("count(*)").AndWhere(dbx.Like("data", marker)).Row(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	deadline := time.Now().Add(15 * time.Second)
	for !(logged("?failed") && logged("?organiser")) {
		if time.Now().After(deadline) {
			t.Fatal("the organiser's request and the failed ones were not logged")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if logged("?visitor") {
		t.Error("a visitor's successful request was logged")
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                 "/",
		"":                  "/",
		"/events/abc":       "/events/abc",
		"//evil.test":       "/evil.test",
		"/\\evil.test":      "/evil.test",
		"\\/\\/evil.test/x": "/evil.test/x",
		"/a//b":             "/a//b",
	} {
		if got := web.LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLanguageLinksStayOnSite: the language switch is built from the
// request path; a path that a browser would read as another host's
// ("/%2fevil.test" is "//evil.test" once decoded) still links here.
func TestLanguageLinksStayOnSite(t *testing.T) {
	t.Parallel()
	factory := kopatest.CloneFactory(kopatest.NewApp(t), hooks.Default)
	offSite := []string{`href="//`, `href="/\`, `href="/%5c`, `href="/%5C`, `href="\`}
	scenarios := []tests.ApiScenario{}
	for _, path := range []string{"/%2fevil.test", "/%2F%2Fevil.test", "/\\evil.test", "/%5cevil.test", "/%5c%2fevil.test"} {
		scenarios = append(scenarios, tests.ApiScenario{
			Name: "language links of " + path, Method: http.MethodGet, URL: path,
			ExpectedStatus:     404,
			ExpectedContent:    []string{`href="/evil.test?lang=en"`},
			NotExpectedContent: offSite,
			TestAppFactory:     factory,
		})
	}
	// The router itself cleans an undecoded double slash: a redirect to
	// this site's own path.
	scenarios = append(scenarios, tests.ApiScenario{
		Name: "//evil.test is redirected here", Method: http.MethodGet, URL: "//evil.test",
		ExpectedStatus:     http.StatusTemporaryRedirect,
		ExpectedContent:    []string{`<a href="/evil.test">`},
		NotExpectedContent: offSite,
		TestAppFactory:     factory,
	})
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestPageErrors: a page route answers an error with the HTML error page in
// the visitor's language, whoever refused the request (a handler, the body
// limit, PocketBase's rate limiter); /api/ keeps PocketBase's JSON.
func TestPageErrors(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	ev := kopatest.Event(t, src, kopatest.EventOpts{})
	big := strings.Repeat("x", 70<<10)
	formH := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"}
	page := func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("content type %q", ct)
		}
		if res.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
			t.Error("an error page without the security headers")
		}
	}
	noRegistration := func(t testing.TB, app *tests.TestApp, res *http.Response) {
		if n, _ := app.CountRecords("registrations"); n != 0 {
			t.Errorf("%d registrations", n)
		}
	}
	for _, s := range []tests.ApiScenario{
		{Name: "a form over 64 KiB is a page", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register", Headers: formH,
			Body:           form(url.Values{"name": {"Anna"}, "email": {"anna@example.com"}, "pad": {big}}),
			ExpectedStatus: 413, ExpectedContent: []string{`<html lang="en">`, "Too much data", "64 KiB"}, NotExpectedContent: []string{`"status":`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				page(t, app, res)
				noRegistration(t, app, res)
			}},
		{Name: "a JSON body over 64 KiB under /api/ stays JSON", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/register",
			Headers: map[string]string{"Content-Type": "application/json"}, Body: strings.NewReader(`{"name":"Anna","email":"anna@example.com","pad":"` + big + `"}`),
			ExpectedStatus: 413, ExpectedContent: []string{`"status":413`, `"code":"too_large"`}, NotExpectedContent: []string{"<html"},
			AfterTestFunc: noRegistration},
		{Name: "a form a page cannot read is a page", Method: http.MethodPost, URL: "/volunteer?lang=ru",
			Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Body: strings.NewReader("name=%zz"),
			ExpectedStatus: 400, ExpectedContent: []string{`<html lang="ru">`, "Запрос не удалось выполнить"}, AfterTestFunc: page},
		{Name: "a page's script may ask for JSON", Method: http.MethodPost, URL: "/i/" + strings.Repeat("B", 24) + "/accept",
			Headers: map[string]string{"Accept": "application/json"}, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
	} {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestRateLimitedPageIsAPage: PocketBase's rate limiter refuses before any
// of Kopā's code runs; on a page route its 429 is still the error page.
func TestRateLimitedPageIsAPage(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.RateLimits.Enabled = true
		for i := range s.RateLimits.Rules {
			if s.RateLimits.Rules[i].Label == "POST /events/" {
				s.RateLimits.Rules[i].MaxRequests = 1
			}
		}
	})
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	srv := kopatest.Serve(t, app)
	post := func() (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/events/"+ev.Id+"/register?lang=en", strings.NewReader("name="))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, res.Body)
		return res, b.String()
	}
	if res, _ := post(); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("first post: %d", res.StatusCode)
	}
	res, body := post()
	if res.StatusCode != http.StatusTooManyRequests || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "Too many attempts") || strings.Contains(body, `"status":`) {
		t.Errorf("rate-limited page: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
		t.Error("a rate-limited page without the security headers")
	}
}

// TestJSONObject: the field-by-field reading that registration and
// volunteer sign-up share.
func TestJSONObject(t *testing.T) {
	if _, err := web.ParseJSONObject([]byte(`[1]`)); !strings.Contains(fmt.Sprint(err), "body: Must be a JSON object") {
		t.Errorf("an array: %v", err)
	}
	obj, err := web.ParseJSONObject([]byte(`{"name":1,"email":"a@example.com","extra":{"x":1},"age":null}`))
	if err != nil {
		t.Fatal(err)
	}
	var name, email string
	age := 7
	obj.Field("name", &name, "Must be a string.")
	obj.Field("email", &email, "Must be a string.")
	obj.Field("age", &age, "Must be a number.")
	err = obj.Check(func() error {
		return validation.Errors{"name": validation.NewError("validation_required", "Cannot be blank."), "locale": validation.NewError("validation_invalid_locale", "x")}
	})
	var verrs validation.Errors
	if !errors.As(err, &verrs) || len(verrs) != 2 {
		t.Fatalf("errors %v", err)
	}
	var ve validation.Error
	if !errors.As(verrs["name"], &ve) || ve.Code() != "validation_invalid_type" {
		t.Errorf("name: %v (the wrong type is what the field is told)", verrs["name"])
	}
	if verrs["locale"] == nil || verrs["extra"] != nil || email != "a@example.com" || age != 7 {
		t.Errorf("errors %v, email %q, age %d", verrs, email, age)
	}
	obj, _ = web.ParseJSONObject([]byte(`null`))
	if err := obj.Check(func() error { return nil }); err != nil {
		t.Errorf("null: %v", err)
	}
}
