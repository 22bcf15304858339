package manage_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

const orgCSRF = "cccccccccccccccccccccccccccccccccccccccccc0"

func orgForm(v url.Values) *strings.Reader {
	v.Set("csrf", orgCSRF)
	return strings.NewReader(v.Encode())
}

// accountMails are the raw outbox rows to addr.
func accountMails(t testing.TB, app core.App, addr string) []*core.Record {
	t.Helper()
	rows, err := app.FindAllRecords(domain.MailOutbox, dbx.HashExp{"to": addr})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

var resetLink = regexp.MustCompile(`/manage/reset\?lang=[a-z]{2}&amp;token=([A-Za-z0-9_.-]+)|/manage/reset\?lang=[a-z]{2}&token=([A-Za-z0-9_.-]+)`)

// linkToken is the token of the reset link in a mail's body.
func linkToken(t testing.TB, body string) string {
	t.Helper()
	m := resetLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no reset link in:\n%s", body)
	}
	if m[1] != "" {
		return m[1]
	}
	return m[2]
}

// TestOrganiserInvite: an organiser invites another from the console: the
// account is made, unconfirmed, and the invitation with its link is queued
// in the same transaction; bad input and anyone but an organiser change
// nothing.
func TestOrganiserInvite(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := kopatest.Volunteer(t, src, "vol@example.com", []string{"lv"}, []string{"door"})
	orgH := map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org) + "; kopa_csrf=" + orgCSRF, "Content-Type": "application/x-www-form-urlencoded"}
	volH := map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, vol) + "; kopa_csrf=" + orgCSRF, "Content-Type": "application/x-www-form-urlencoded"}
	nobodyNew := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords(domain.Organisers); n != 1 {
			t.Errorf("%d organisers", n)
		}
		if n, _ := app.CountRecords(domain.MailOutbox); n != 0 {
			t.Errorf("%d mails queued", n)
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "the list of organisers", Method: http.MethodGet, URL: "/manage/organisers?lang=en", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"Invite an organiser", "org@example.com", "active"}},
		{Name: "in Latvian and Russian", Method: http.MethodGet, URL: "/manage/organisers?lang=lv", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"Uzaicināt organizatoru"}},
		{Name: "in Russian", Method: http.MethodGet, URL: "/manage/organisers?lang=ru", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"Пригласить организатора"}},
		{Name: "an invitation", Method: http.MethodPost, URL: "/manage/organisers?lang=en", Headers: orgH,
			Body: orgForm(url.Values{"name": {"Ilze Bērziņa"}, "email": {"Ilze@Example.com"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/manage/organisers?invited=ilze%40example.com" {
					t.Errorf("location %q", loc)
				}
				rec, err := app.FindAuthRecordByEmail(domain.Organisers, "ilze@example.com")
				if err != nil || rec.Verified() || rec.GetString("name") != "Ilze Bērziņa" {
					t.Fatalf("account %v %v", rec, err)
				}
				rows := accountMails(t, app, "ilze@example.com")
				if len(rows) != 1 || rows[0].GetString("template") != outbox.Raw || rows[0].GetString("kind") != "organiser_invite" {
					t.Fatalf("queued %v", rows)
				}
				body := rows[0].GetString("text")
				if !strings.Contains(body, "invited you") || !strings.Contains(body, "Organiser org@example.com") {
					t.Errorf("mail:\n%s", body)
				}
				found, err := app.FindAuthRecordByToken(linkToken(t, body), core.TokenTypePasswordReset)
				if err != nil || found.Id != rec.Id {
					t.Errorf("the link's token is not the account's: %v", err)
				}
			}},
		{Name: "400 for an address that has an account", Method: http.MethodPost, URL: "/manage/organisers?lang=en", Headers: orgH,
			Body: orgForm(url.Values{"name": {"Again"}, "email": {"ORG@example.com"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"An organiser with this address exists already."}, AfterTestFunc: nobodyNew},
		{Name: "400 for a bad address and a name with a link", Method: http.MethodPost, URL: "/manage/organisers?lang=en", Headers: orgH,
			Body: orgForm(url.Values{"name": {"see https://evil.test"}, "email": {"not an address"}}), ExpectedStatus: 400,
			ExpectedContent: []string{`aria-invalid="true" aria-describedby="name-error"`, `aria-describedby="email-error"`}, AfterTestFunc: nobodyNew},
		{Name: "400 without a name", Method: http.MethodPost, URL: "/manage/organisers?lang=en", Headers: orgH,
			Body: orgForm(url.Values{"email": {"x@example.com"}}), ExpectedStatus: 400, ExpectedContent: []string{"name-error"}, AfterTestFunc: nobodyNew},
		{Name: "a volunteer may not invite", Method: http.MethodPost, URL: "/manage/organisers?lang=en", Headers: volH,
			Body: orgForm(url.Values{"name": {"Mallory"}, "email": {"mallory@example.com"}}), ExpectedStatus: 403, ExpectedContent: []string{"No access"}, AfterTestFunc: nobodyNew},
		{Name: "nor without the CSRF token", Method: http.MethodPost, URL: "/manage/organisers?lang=en",
			Headers: map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org), "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader(url.Values{"name": {"Mallory"}, "email": {"mallory@example.com"}}.Encode()), ExpectedStatus: 403, ExpectedContent: []string{"<h1>"}, AfterTestFunc: nobodyNew},
		{Name: "nor anonymously", Method: http.MethodGet, URL: "/manage/organisers", ExpectedStatus: 303},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestForgotAndReset: the login page offers a reset; the same answer comes
// for any address, and only an organiser's gets a mail; the link's page
// sets the password once, through PocketBase's reset token.
func TestForgotAndReset(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	kopatest.Volunteer(t, src, "vol@example.com", []string{"lv"}, []string{"door"})
	token, err := org.NewPasswordResetToken()
	if err != nil {
		t.Fatal(err)
	}
	anon := map[string]string{"Cookie": "kopa_csrf=" + orgCSRF, "Content-Type": "application/x-www-form-urlencoded"}
	noMail := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords(domain.MailOutbox); n != 0 {
			t.Errorf("%d mails queued", n)
		}
	}
	unchanged := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		rec, _ := app.FindRecordById(domain.Organisers, org.Id)
		if !rec.ValidatePassword(kopatest.Password) {
			t.Error("the password changed")
		}
	}
	sent := "If an organiser account has this address"
	scenarios := []tests.ApiScenario{
		{Name: "the login page offers a reset", Method: http.MethodGet, URL: "/manage/login?lang=en", ExpectedStatus: 200, ExpectedContent: []string{`href="/manage/forgot"`, "Forgot your password?"}},
		{Name: "the form", Method: http.MethodGet, URL: "/manage/forgot?lang=ru", ExpectedStatus: 200, ExpectedContent: []string{"Забыли пароль?"}},
		{Name: "an organiser's address gets a mail", Method: http.MethodPost, URL: "/manage/forgot?lang=lv", Headers: anon,
			Body: orgForm(url.Values{"email": {"org@example.com"}}), ExpectedStatus: 200, ExpectedContent: []string{"Ja organizatora kontam ir šī adrese"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				rows := accountMails(t, app, "org@example.com")
				if len(rows) != 1 || rows[0].GetString("kind") != "password_reset" || !strings.Contains(rows[0].GetString("text"), "Izvēlēties jaunu paroli") {
					t.Fatalf("queued %v", rows)
				}
				if _, err := app.FindAuthRecordByToken(linkToken(t, rows[0].GetString("text")), core.TokenTypePasswordReset); err != nil {
					t.Error(err)
				}
			}},
		{Name: "an unknown address: the same answer, no mail", Method: http.MethodPost, URL: "/manage/forgot?lang=en", Headers: anon,
			Body: orgForm(url.Values{"email": {"nobody@example.com"}}), ExpectedStatus: 200, ExpectedContent: []string{sent}, AfterTestFunc: noMail},
		{Name: "a volunteer's address: the same answer, no mail", Method: http.MethodPost, URL: "/manage/forgot?lang=en", Headers: anon,
			Body: orgForm(url.Values{"email": {"vol@example.com"}}), ExpectedStatus: 200, ExpectedContent: []string{sent}, AfterTestFunc: noMail},
		{Name: "400 for a bad address", Method: http.MethodPost, URL: "/manage/forgot?lang=en", Headers: anon,
			Body: orgForm(url.Values{"email": {"nope"}}), ExpectedStatus: 400, ExpectedContent: []string{"Please enter a valid e-mail address."}, AfterTestFunc: noMail},
		{Name: "400 without the CSRF token", Method: http.MethodPost, URL: "/manage/forgot?lang=en", Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			Body: strings.NewReader("email=org%40example.com"), ExpectedStatus: 400, AfterTestFunc: noMail, ExpectedContent: []string{"<h1>"}},
		{Name: "PocketBase's own reset request sends Kopā's mail", Method: http.MethodPost, URL: "/api/collections/organisers/request-password-reset",
			Body: strings.NewReader(`{"email":"org@example.com"}`), Headers: map[string]string{"Content-Type": "application/json"}, ExpectedStatus: 204,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				// PocketBase sends it after answering.
				rows := accountMails(t, app, "org@example.com")
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for deadline := time.Now().Add(10 * time.Second); len(rows) == 0 && time.Now().Before(deadline); <-tick.C {
					rows = accountMails(t, app, "org@example.com")
				}
				if len(rows) != 1 || rows[0].GetString("template") != outbox.Raw || !strings.Contains(rows[0].GetString("html"), "/manage/reset?") {
					t.Fatalf("queued %v", rows)
				}
			}},
		{Name: "the link's page", Method: http.MethodGet, URL: "/manage/reset?lang=en&token=" + token, ExpectedStatus: 200, ExpectedContent: []string{"Choose a password", `name="token" value="` + token + `"`}},
		{Name: "a bad link", Method: http.MethodGet, URL: "/manage/reset?lang=en&token=eyJ.x.y", ExpectedStatus: 400, ExpectedContent: []string{"This link has expired or was used already."}},
		{Name: "the new password", Method: http.MethodPost, URL: "/manage/reset", Headers: anon,
			Body: orgForm(url.Values{"token": {token}, "password": {"a new long password"}, "password_again": {"a new long password"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/manage/login?reset=1" {
					t.Errorf("location %q", loc)
				}
				rec, _ := app.FindRecordById(domain.Organisers, org.Id)
				if !rec.ValidatePassword("a new long password") {
					t.Error("the password was not set")
				}
				if _, err := app.FindAuthRecordByToken(token, core.TokenTypePasswordReset); err == nil {
					t.Error("the link works again")
				}
			}},
		{Name: "400 for two different passwords", Method: http.MethodPost, URL: "/manage/reset?lang=en", Headers: anon,
			Body: orgForm(url.Values{"token": {token}, "password": {"a new long password"}, "password_again": {"another one"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"The two passwords differ."}, AfterTestFunc: unchanged},
		{Name: "400 for a short password", Method: http.MethodPost, URL: "/manage/reset?lang=en", Headers: anon,
			Body: orgForm(url.Values{"token": {token}, "password": {"short"}, "password_again": {"short"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"8 to 71 characters"}, AfterTestFunc: unchanged},
		{Name: "400 for a forged token", Method: http.MethodPost, URL: "/manage/reset?lang=en", Headers: anon,
			Body: orgForm(url.Values{"token": {token + "x"}, "password": {"a new long password"}, "password_again": {"a new long password"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"This link has expired"}, AfterTestFunc: unchanged},
		{Name: "a login token is not a reset link", Method: http.MethodPost, URL: "/manage/reset?lang=en", Headers: anon,
			Body: orgForm(url.Values{"token": {kopatest.Token(t, org)}, "password": {"a new long password"}, "password_again": {"a new long password"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"This link has expired"}, AfterTestFunc: unchanged},
		{Name: "after a reset the login page says so", Method: http.MethodGet, URL: "/manage/login?reset=1&lang=en", ExpectedStatus: 200, ExpectedContent: []string{"Your password is set."}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestInvitationMail: the invitation reaches the colleague through the
// outbox and SMTP, and its link lets them choose a password and sign in.
func TestInvitationMail(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	org := kopatest.Organiser(t, app, "org@example.com")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, v url.Values, session string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, orgForm(v))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		cookie := "kopa_csrf=" + orgCSRF
		if session != "" {
			cookie += "; kopa_session=" + session
		}
		req.Header.Set("Cookie", cookie)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/manage/organisers?lang=en", url.Values{"name": {"Ilze"}, "email": {"ilze@example.com"}}, kopatest.Token(t, org)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	mp.WaitFor(t, 1, 20*time.Second)
	list := mp.To(t, "ilze@example.com")
	if len(list) != 1 {
		t.Fatalf("%d mails to the invited", len(list))
	}
	m := mp.Message(t, list[0].ID)
	if m.Subject != "You are invited to organise with Kopā" || !strings.Contains(m.Text, "Organiser org@example.com invited you") || !strings.Contains(m.HTML, "Choose a password") {
		t.Errorf("invitation %q:\n%s", m.Subject, m.Text)
	}
	token := linkToken(t, m.Text)
	if res := post("/manage/reset", url.Values{"token": {token}, "password": {"ilze's own password"}, "password_again": {"ilze's own password"}}, ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if res := post("/manage/login", url.Values{"email": {"ilze@example.com"}, "password": {"ilze's own password"}}, ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the invited organiser cannot sign in: %d", res.StatusCode)
	}
	rec, err := app.FindAuthRecordByEmail(domain.Organisers, "ilze@example.com")
	if err != nil || !rec.Verified() {
		t.Errorf("account %v, %v", rec, err)
	}
}
