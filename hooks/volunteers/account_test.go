package volunteers_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
)

func TestConfirmAddress(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	v := volunteer(t, src, "new@example.com", "en", []string{"ar"}, []string{"door"}, false, true)
	token, err := v.NewVerificationToken()
	if err != nil {
		t.Fatal(err)
	}
	orgToken, _ := kopatest.Organiser(t, src, "org@example.com").NewVerificationToken()
	factory := kopatest.CloneFactory(src, hooks.Default)
	post := func(v url.Values) *strings.Reader {
		v.Set("token", token)
		return form(v)
	}
	h := map[string]string{"Cookie": "kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
	confirmed := func(password string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, res *http.Response) {
			r, _ := app.FindRecordById("volunteers", v.Id)
			if !r.Verified() {
				t.Error("not confirmed")
			}
			if !r.ValidatePassword(password) {
				t.Errorf("password %q does not work", password)
			}
			if res.Header.Get("Location") != "/volunteer/me?welcome=1" || !strings.Contains(res.Header.Get("Set-Cookie"), "kopa_session=") {
				t.Errorf("not signed in: %v", res.Header)
			}
			if _, err := app.FindAuthRecordByToken(token, core.TokenTypeVerification); err == nil {
				t.Error("the link still works")
			}
		}
	}
	unchanged := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if r, _ := app.FindRecordById("volunteers", v.Id); r.Verified() {
			t.Error("confirmed anyway")
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "a bad link", Method: http.MethodGet, URL: "/volunteer/confirm?lang=en&token=abc", ExpectedStatus: 400,
			ExpectedContent: []string{"This link does not work", "/volunteer/login-code"}},
		{Name: "an organiser's token confirms no volunteer", Method: http.MethodGet, URL: "/volunteer/confirm?lang=en&token=" + orgToken, ExpectedStatus: 400,
			ExpectedContent: []string{"This link does not work"}},
		{Name: "opening the link changes nothing yet", Method: http.MethodGet, URL: "/volunteer/confirm?lang=en&token=" + token, ExpectedStatus: 200,
			ExpectedContent: []string{"Welcome, Volunteer new@example.com!", `name="password"`, `value="` + token + `"`, `value="skip"`}, AfterTestFunc: unchanged},
		{Name: "passwords that differ", Method: http.MethodPost, URL: "/volunteer/confirm?lang=en", Headers: h,
			Body: post(url.Values{"password": {"long enough 1"}, "password_confirm": {"long enough 2"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"The two passwords are not the same."}, AfterTestFunc: unchanged},
		{Name: "a short password", Method: http.MethodPost, URL: "/volunteer/confirm?lang=en", Headers: h,
			Body: post(url.Values{"password": {"short"}, "password_confirm": {"short"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"at least 8 characters"}, AfterTestFunc: unchanged},
		{Name: "without the CSRF token", Method: http.MethodPost, URL: "/volunteer/confirm?lang=en", Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			Body: post(url.Values{"password": {"long enough 1"}, "password_confirm": {"long enough 1"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"The form has expired"}, AfterTestFunc: unchanged},
		{Name: "confirm with a password signs in, once", Method: http.MethodPost, URL: "/volunteer/confirm", Headers: h,
			Body: post(url.Values{"password": {"Rīga ir skaista"}, "password_confirm": {"Rīga ir skaista"}}), ExpectedStatus: 303,
			AfterTestFunc: confirmed("Rīga ir skaista")},
		{Name: "confirm without a password", Method: http.MethodPost, URL: "/volunteer/confirm", Headers: h,
			Body: post(url.Values{"action": {"skip"}}), ExpectedStatus: 303, AfterTestFunc: confirmed(kopatest.Password)},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	otpField  = regexp.MustCompile(`name="otp" value="([^"]+)"`)
	codeRe    = regexp.MustCompile(`\b[0-9]{8}\b`)
)

// client is a browser without JavaScript: a cookie jar, no redirects followed.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
}

func newClient(t testing.TB, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, v url.Values) (int, string, *http.Response) {
	c.t.Helper()
	var body io.Reader
	if v != nil {
		if c.csrf != "" {
			v.Set("csrf", c.csrf)
		}
		body = strings.NewReader(v.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if v != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return res.StatusCode, string(b), res
}

func TestLoginCode(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	srv := kopatest.Serve(t, app)
	v := volunteer(t, app, "code@example.com", "ru", []string{"ru"}, []string{"door"}, false, true)
	c := newClient(t, srv.URL)

	if st, page, _ := c.do("GET", "/volunteer/login-code?lang=en", nil); st != 200 || !strings.Contains(page, "Send me a code") {
		t.Fatalf("page %d", st)
	}
	st, page, _ := c.do("POST", "/volunteer/login-code?lang=en", url.Values{"email": {"nobody@example.com"}})
	if st != 200 || !strings.Contains(page, "a code is on its way") || !otpField.MatchString(page) {
		t.Fatalf("unknown address: %d", st)
	}
	if n := len(outboxRows(t, app, "")); n != 0 {
		t.Fatalf("%d mails for an unknown address", n)
	}
	st, page, _ = c.do("POST", "/volunteer/login-code?lang=en", url.Values{"email": {" Code@Example.com "}})
	if st != 200 || !strings.Contains(page, "a code is on its way") {
		t.Fatalf("known address: %d", st)
	}
	otp := otpField.FindStringSubmatch(page)[1]
	rows := outboxRows(t, app, "")
	if len(rows) != 1 || rows[0].GetString("to") != "code@example.com" {
		t.Fatalf("mails %v", rows)
	}
	subject := rows[0].GetString("subject")
	code := codeRe.FindString(subject)
	if !strings.HasPrefix(subject, "Ваш код для входа в Kopā: ") || code == "" || !strings.Contains(rows[0].GetString("text"), "/volunteer/login-code?lang=ru&otp="+otp) {
		t.Fatalf("mail %q\n%s", subject, rows[0].GetString("text"))
	}
	wrong := "00000000"
	if wrong == code {
		wrong = "11111111"
	}
	if st, page, _ := c.do("POST", "/volunteer/login-code/verify?lang=en", url.Values{"otp": {otp}, "code": {wrong}}); st != 400 || !strings.Contains(page, "This code is wrong") {
		t.Fatalf("wrong code: %d", st)
	}
	st, _, res := c.do("POST", "/volunteer/login-code/verify", url.Values{"otp": {otp}, "code": {code[:4] + " " + code[4:]}})
	if st != 303 || res.Header.Get("Location") != "/volunteer/me" {
		t.Fatalf("right code: %d %v", st, res.Header)
	}
	if st, page, _ := c.do("GET", "/volunteer/me?lang=en", nil); st != 200 || !strings.Contains(page, "Hello, Volunteer code@example.com!") {
		t.Fatalf("portal %d", st)
	}
	if r, _ := app.FindRecordById("volunteers", v.Id); !r.Verified() {
		t.Error("a code mailed to the address did not confirm it")
	}
	// A code works once.
	if _, err := volunteers.CheckLoginCode(app, otp, code); err == nil {
		t.Error("the code worked twice")
	}
}

// TestLoginCodeGuessing: five wrong guesses use a code up, the right one
// then fails too.
func TestLoginCodeGuessing(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	volunteer(t, app, "guess@example.com", "en", []string{"ru"}, nil, true, true)
	id, err := volunteers.SendLoginCode(app, "guess@example.com")
	if err != nil {
		t.Fatal(err)
	}
	code := codeRe.FindString(outboxRows(t, app, "")[0].GetString("subject"))
	for i := 0; i < 5; i++ {
		if _, err := volunteers.CheckLoginCode(app, id, "12345678x"); err == nil {
			t.Fatal("a wrong code worked")
		}
	}
	if _, err := volunteers.CheckLoginCode(app, id, code); err == nil {
		t.Error("the code survived five wrong guesses")
	}
}

// TestFormLimitsAndCodeDuration: the migration adds the volunteer forms to
// the rate limiter and gives login codes ten minutes.
func TestFormLimitsAndCodeDuration(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	have := map[string]bool{}
	for _, r := range app.Settings().RateLimits.Rules {
		have[r.Label] = true
	}
	for _, label := range []string{"POST /volunteer", "POST /volunteer/login-code", "POST /volunteer/login-code/verify", "POST /volunteer/confirm", "POST /api/volunteers/signup", "/i/"} {
		if !have[label] {
			t.Errorf("no rate limit for %s", label)
		}
	}
	c, _ := app.FindCollectionByNameOrId("volunteers")
	if c.OTP.Duration != 600 {
		t.Errorf("login codes last %d s", c.OTP.Duration)
	}
}
