package volunteers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// signInLink finds the sign-in link of an "already signed up" mail and
// its token.
var signInLink = regexp.MustCompile(`/volunteer/confirm\?lang=[a-z]+&token=([A-Za-z0-9._-]+)`)

func TestSignupAPI(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	kopatest.Volunteer(t, src, "known@example.com", []string{"ar"}, []string{"interpreting"})
	factory := kopatest.CloneFactory(src, hooks.Default)
	const url = "/api/volunteers/signup"
	valid := `"email":"new@example.com","languages":["ar","ru"],"skills":["interpreting"],"contact_consent":true`

	// nothing checks that a refused sign-up stored and queued nothing.
	nothing := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := count(t, app, "volunteers"); n != 1 {
			t.Errorf("%d volunteers after a refused sign-up", n)
		}
		if rows := outboxRows(t, app, ""); len(rows) != 0 {
			t.Errorf("%d mails queued for a refused sign-up", len(rows))
		}
	}
	bad := func(name, payload, field, code string) tests.ApiScenario {
		return tests.ApiScenario{
			Name: name, Method: http.MethodPost, URL: url, Body: body(payload),
			ExpectedStatus:  400,
			ExpectedContent: []string{`"status":400`, `"` + field + `":{"code":"` + code + `"`},
			AfterTestFunc:   nothing,
		}
	}
	scenarios := []tests.ApiScenario{
		{
			Name:   "a valid sign-up is stored unconfirmed and mailed a confirmation link in its locale",
			Method: http.MethodPost, URL: url,
			Body:               body(`{"name":"  Farida Karimi ",` + valid + `,"phone":"+371 2000 0000","locale":"en","skills":["door","interpreting"]}`),
			ExpectedStatus:     202, // 201 before the second hardening
			ExpectedContent:    []string{`{"status":"pending"}`},
			NotExpectedContent: []string{`"id"`, `new@example.com`},
			ExpectedEvents: map[string]int{
				"OnRecordCreate": 2, // the volunteer and its mail
				"OnMailerSend":   1, "OnMailerRecordVerificationSend": 1,
			},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				v, err := app.FindAuthRecordByEmail("volunteers", "new@example.com")
				if err != nil {
					t.Fatalf("not stored: %v", err)
				}
				if v.Verified() || v.GetString("name") != "Farida Karimi" || v.GetString("locale") != "en" ||
					v.GetString("phone") != "+371 2000 0000" || !v.GetBool("contact_consent") ||
					strings.Join(v.GetStringSlice("languages"), ",") != "ru,ar" ||
					strings.Join(v.GetStringSlice("skills"), ",") != "interpreting,door" {
					t.Errorf("stored %v verified=%v", v.PublicExport(), v.Verified())
				}
				rows := outboxRows(t, app, "")
				if len(rows) != 1 {
					t.Fatalf("%d mails queued, want 1", len(rows))
				}
				m := rows[0]
				if m.GetString("to") != "new@example.com" || m.GetString("subject") != "Confirm your e-mail address — Kopā volunteers" {
					t.Errorf("mail to %q subject %q", m.GetString("to"), m.GetString("subject"))
				}
				if !strings.Contains(m.GetString("text"), "/volunteer/confirm?lang=en&token=") ||
					!strings.Contains(m.GetString("html"), "/volunteer/confirm?lang=en&amp;token=") ||
					!strings.Contains(m.GetString("text"), "Hello Farida Karimi,") {
					t.Errorf("mail text %s", m.GetString("text"))
				}
			},
		},
		{
			Name:   "the confirmation mail speaks Russian to a Russian speaker",
			Method: http.MethodPost, URL: url,
			Body:            body(`{"name":"Олег",` + valid + `,"locale":"ru"}`),
			ExpectedStatus:  202, // 201 before the second hardening
			ExpectedContent: []string{`{"status":"pending"}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows := outboxRows(t, app, "")
				if len(rows) != 1 || rows[0].GetString("subject") != "Подтвердите адрес e-mail — волонтёры Kopā" ||
					!strings.Contains(rows[0].GetString("text"), "/volunteer/confirm?lang=ru&token=") {
					t.Errorf("mail %v", rows)
				}
			},
		},
		{
			Name:   "without a locale the browser's language decides",
			Method: http.MethodPost, URL: url, Headers: map[string]string{"Accept-Language": "ru-RU,ru;q=0.9"},
			Body:            body(`{"name":"Oleg",` + valid + `}`),
			ExpectedStatus:  202, // 201 before the second hardening
			ExpectedContent: []string{`{"status":"pending"}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				v, err := app.FindAuthRecordByEmail("volunteers", "new@example.com")
				if err != nil || v.GetString("locale") != "ru" {
					t.Errorf("locale %v %v", v, err)
				}
			},
		},
		{
			Name:   "a known address answers alike and its owner is mailed a sign-in link",
			Method: http.MethodPost, URL: url,
			Body:               body(`{"name":"Somebody Else","email":" KNOWN@example.com ","languages":["de"],"skills":[],"locale":"lv","contact_consent":true}`),
			ExpectedStatus:     202, // 200 before the second hardening
			ExpectedContent:    []string{`{"status":"pending"}`},
			NotExpectedContent: []string{`"id"`, `known@`, `exists`},
			ExpectedEvents:     map[string]int{"OnRecordCreate": 1}, // the mail only
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, "volunteers"); n != 1 {
					t.Errorf("%d volunteers", n)
				}
				v, _ := app.FindAuthRecordByEmail("volunteers", "known@example.com")
				if v.GetString("name") != "Volunteer known@example.com" || strings.Join(v.GetStringSlice("languages"), ",") != "ar" {
					t.Errorf("the known volunteer was changed: %v", v.PublicExport())
				}
				rows := outboxRows(t, app, "")
				if len(rows) != 1 || rows[0].GetString("kind") != "volunteer_already" || rows[0].GetString("to") != "known@example.com" {
					t.Fatalf("mails %v", rows)
				}
				// In the owner's language (the fixture's is English), not the caller's.
				msg := written(t, app, rows[0])
				text := msg.Text
				if msg.Subject != "You are already a Kopā volunteer" ||
					!strings.Contains(text, "/manage/login?lang=en&next=%2Fvolunteer%2Fme") ||
					!strings.Contains(text, "/volunteer/login-code?lang=en") {
					t.Errorf("mail %q\n%s", msg.Subject, text)
				}
				// The sign-in link: a verification token of the known
				// volunteer, made as the mail is written.
				link := signInLink.FindStringSubmatch(text)
				if link == nil {
					t.Fatalf("no sign-in link in\n%s", text)
				}
				if rec, err := app.FindAuthRecordByToken(link[1], core.TokenTypeVerification); err != nil || rec.Id != v.Id {
					t.Errorf("the link's token signs in %v (%v), want the known volunteer", rec, err)
				}
			},
		},
		bad("missing name", `{`+valid+`}`, "name", "validation_required"),
		bad("a name of only spaces", `{"name":" \t ",`+valid+`}`, "name", "validation_required"),
		bad("a name over 200 characters", `{"name":"`+strings.Repeat("ā", 201)+`",`+valid+`}`, "name", "validation_length_too_long"),
		bad("a name with a line break", `{"name":"A\nB",`+valid+`}`, "name", "validation_invalid_value"),
		bad("a name holding a web address", `{"name":"Anna, see www.kopa-help.example",`+valid+`}`, "name", "validation_invalid_value"),
		bad("a name holding an e-mail address", `{"name":"anna@kopa-help.lv",`+valid+`}`, "name", "validation_invalid_value"),
		bad("a name with a direction override", `{"name":"\u2066Anna\u2069",`+valid+`}`, "name", "validation_invalid_value"),
		bad("missing e-mail", `{"name":"A","languages":["ar"],"contact_consent":true}`, "email", "validation_required"),
		bad("a bad e-mail", `{"name":"A","email":"nope","languages":["ar"],"contact_consent":true}`, "email", "validation_invalid_email"),
		bad("header injection in the e-mail", `{"name":"A","email":"a@example.com\r\nBcc: all@example.com","languages":["ar"],"contact_consent":true}`, "email", "validation_invalid_email"),
		bad("a display name instead of an address", `{"name":"A","email":"A <a@example.com>","languages":["ar"],"contact_consent":true}`, "email", "validation_invalid_email"),
		bad("a phone with letters", `{"name":"A",`+valid+`,"phone":"call me"}`, "phone", "validation_invalid_phone"),
		bad("a phone without digits", `{"name":"A",`+valid+`,"phone":"+-()"}`, "phone", "validation_invalid_phone"),
		bad("a phone over 40 characters", `{"name":"A",`+valid+`,"phone":"`+strings.Repeat("1", 41)+`"}`, "phone", "validation_invalid_phone"),
		bad("no languages", `{"name":"A","email":"a@example.com","languages":[],"contact_consent":true}`, "languages", "validation_required"),
		bad("an unknown language", `{"name":"A","email":"a@example.com","languages":["ar","xx"],"contact_consent":true}`, "languages", "validation_invalid_value"),
		bad("an unknown skill", `{"name":"A",`+valid[:len(valid)-len(`"skills":["interpreting"],"contact_consent":true`)]+`"skills":["juggling"],"contact_consent":true}`, "skills", "validation_invalid_value"),
		bad("an unknown locale", `{"name":"A",`+valid+`,"locale":"de"}`, "locale", "validation_invalid_locale"),
		bad("no consent to be contacted", `{"name":"A","email":"a@example.com","languages":["ar"]}`, "contact_consent", "validation_required"),
		bad("consent refused", `{"name":"A","email":"a@example.com","languages":["ar"],"contact_consent":false}`, "contact_consent", "validation_required"),
		{
			Name: "wrong types are reported per field", Method: http.MethodPost, URL: url,
			Body:           body(`{"name":1,"email":["a@example.com"],"phone":2,"languages":"ar","skills":{"a":1},"locale":3,"contact_consent":"yes"}`),
			ExpectedStatus: 400,
			ExpectedContent: []string{
				`"name":{"code":"validation_invalid_type"`, `"email":{"code":"validation_invalid_type"`, `"phone":{"code":"validation_invalid_type"`,
				`"languages":{"code":"validation_invalid_type"`, `"skills":{"code":"validation_invalid_type"`, `"locale":{"code":"validation_invalid_type"`,
				`"contact_consent":{"code":"validation_invalid_type"`,
			},
			AfterTestFunc: nothing,
		},
		bad("not JSON", `name=A`, "body", "validation_invalid_json"),
		{
			Name: "a body over 64 KiB", Method: http.MethodPost, URL: url,
			Body:            body(`{"name":"A",` + valid + `,"pad":"` + strings.Repeat("x", 70000) + `"}`),
			ExpectedStatus:  413,
			ExpectedContent: []string{`"status":413`, `"code":"too_large"`},
			AfterTestFunc:   nothing,
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestSignupForm(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	kopatest.Volunteer(t, src, "known@example.com", []string{"ar"}, nil)
	factory := kopatest.CloneFactory(src, hooks.Default)
	form := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }
	formHeaders := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	good := url.Values{
		"name": {"Anna Bērziņa"}, "email": {"anna@example.com"}, "languages": {"lv", "uk"}, "skills": {"hosting"},
		"locale": {"lv"}, "contact_consent": {"1"},
	}
	with := func(k string, v ...string) url.Values {
		out := url.Values{}
		for kk, vv := range good {
			out[kk] = vv
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	scenarios := []tests.ApiScenario{
		{
			Name: "the page offers every language and skill in the visitor's language", Method: http.MethodGet, URL: "/volunteer?lang=ru",
			ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="ru">`, "Стать волонтёром", `name="languages" value="fa"`, "персидский (фарси)", `name="skills" value="childcare"`,
				"Присмотр за детьми", `name="contact_consent"`, `/static/css/volunteers.css`},
		},
		{
			Name: "a valid form shows the check-your-mail page", Method: http.MethodPost, URL: "/volunteer?lang=en", Body: form(good), Headers: formHeaders,
			ExpectedStatus:  200,
			ExpectedContent: []string{"Please check your e-mail"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				v, err := app.FindAuthRecordByEmail("volunteers", "anna@example.com")
				if err != nil || v.GetString("locale") != "lv" || strings.Join(v.GetStringSlice("languages"), ",") != "lv,uk" {
					t.Fatalf("stored %v %v", v, err)
				}
				if rows := outboxRows(t, app, "pocketbase"); len(rows) != 1 || !strings.HasPrefix(rows[0].GetString("subject"), "Apstiprini") {
					t.Errorf("confirmation mail %v", rows)
				}
			},
		},
		{
			Name: "a known address sees the same page", Method: http.MethodPost, URL: "/volunteer?lang=en", Body: form(with("email", "known@example.com")), Headers: formHeaders,
			ExpectedStatus:  200,
			ExpectedContent: []string{"Please check your e-mail"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if rows := outboxRows(t, app, "volunteer_already"); len(rows) != 1 {
					t.Errorf("already-mails %d", len(rows))
				}
			},
		},
		{
			Name: "errors are shown beside their fields and the values kept", Method: http.MethodPost, URL: "/volunteer?lang=en",
			Body: form(with("contact_consent", func() []string { return nil }()...)), Headers: formHeaders,
			ExpectedStatus:  400,
			ExpectedContent: []string{"We can only invite you if you agree to be contacted.", `value="Anna Bērziņa"`, `value="uk" checked`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, "volunteers"); n != 1 {
					t.Errorf("%d volunteers", n)
				}
			},
		},
		{
			Name: "a web address for a name is refused beside the field", Method: http.MethodPost, URL: "/volunteer?lang=ru",
			Body: form(with("name", "Anna https://kopa-help.example")), Headers: formHeaders,
			ExpectedStatus:  400,
			ExpectedContent: []string{"Пожалуйста, введите только имя", `aria-invalid="true"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, "volunteers"); n != 1 || len(outboxRows(t, app, "")) != 0 {
					t.Errorf("a refused sign-up was stored or mailed")
				}
			},
		},
		{
			Name: "a bad language and phone", Method: http.MethodPost, URL: "/volunteer?lang=en",
			Body: form(with("languages", "xx")), Headers: formHeaders,
			ExpectedStatus:  400,
			ExpectedContent: []string{"Please choose at least one language from the list."},
		},
		{
			Name: "the honeypot stores nothing", Method: http.MethodPost, URL: "/volunteer?lang=en", Body: form(with("website", "http://spam.example")), Headers: formHeaders,
			ExpectedStatus:  200,
			ExpectedContent: []string{"Please check your e-mail"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, "volunteers"); n != 1 || len(outboxRows(t, app, "")) != 0 {
					t.Errorf("a bot was stored or mailed")
				}
			},
		},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestSignupRateLimited: with the limiter on (as in production) the
// eleventh sign-up in a minute from one address is refused with 429.
func TestSignupRateLimited(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.RateLimits.Enabled = true
	})
	srv := kopatest.Serve(t, app)
	codes := map[int]int{}
	for i := 0; i < 11; i++ {
		res, err := http.Post(srv.URL+"/api/volunteers/signup", "application/json",
			body(`{"name":"A","email":"rate`+strings.Repeat("x", i)+`@example.com","languages":["ar"],"contact_consent":true}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes[res.StatusCode]++
	}
	if codes[202] != 10 || codes[429] != 1 {
		t.Errorf("answers %v, want ten 202 and one 429", codes)
	}
}
