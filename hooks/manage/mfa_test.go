package manage_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

var (
	otpField  = regexp.MustCompile(`name="otp" value="([^"]+)"`)
	mfaField  = regexp.MustCompile(`name="mfa" value="([^"]+)"`)
	mailedOTP = regexp.MustCompile(`\b([0-9]{8})\b`)
)

// TestOrganiserMFA: an organiser switches on PocketBase's multi-factor
// sign-in for the organisers collection in the settings. PocketBase's own
// API then answers a right password with 401 and an mfaId; the console's
// login asks for the code it mails (through the outbox and SMTP) and signs
// in only with the right one. Switched off, the password alone signs in.
func TestOrganiserMFA(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	org := kopatest.Organiser(t, app, "org@example.com")
	vol := kopatest.Volunteer(t, app, "vol@example.com", []string{"lv"}, []string{"door"})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, v url.Values, session string) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if v != nil {
			body = orgForm(v)
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
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
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	signedIn := func(res *http.Response) bool {
		for _, c := range res.Cookies() {
			if c.Name == "kopa_session" && c.Value != "" {
				return true
			}
		}
		return false
	}
	login := url.Values{"email": {"org@example.com"}, "password": {kopatest.Password}, "next": {"/manage/events/new"}}
	apiLogin := func() (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/collections/organisers/auth-with-password",
			strings.NewReader(`{"identity":"org@example.com","password":"`+kopatest.Password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	// Off: as before.
	if _, body := do(http.MethodGet, "/manage/settings?lang=en", nil, kopatest.Token(t, org)); !strings.Contains(body, "Two-step sign-in is off.") {
		t.Fatalf("settings page:\n%s", body)
	}
	if res, _ := do(http.MethodPost, "/manage/login", login, ""); res.StatusCode != http.StatusSeeOther || !signedIn(res) {
		t.Fatalf("login without MFA: %d", res.StatusCode)
	}
	if st, out := apiLogin(); st != 200 || out["token"] == nil {
		t.Fatalf("API login without MFA: %d %v", st, out)
	}

	// Only organisers switch it, with the form's token, and only on or off.
	if res, _ := do(http.MethodPost, "/manage/settings/mfa", url.Values{"mfa": {"on"}}, kopatest.Token(t, vol)); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a volunteer switched MFA: %d", res.StatusCode)
	}
	if res, _ := do(http.MethodPost, "/manage/settings/mfa", url.Values{"mfa": {"maybe"}}, kopatest.Token(t, org)); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("mfa=maybe: %d", res.StatusCode)
	}
	if c, _ := app.FindCollectionByNameOrId(domain.Organisers); c.MFA.Enabled || c.OTP.Enabled {
		t.Fatal("MFA switched on by a refused request")
	}
	if res, _ := do(http.MethodPost, "/manage/settings/mfa", url.Values{"mfa": {"on"}}, kopatest.Token(t, org)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch on: %d", res.StatusCode)
	}
	if c, _ := app.FindCollectionByNameOrId(domain.Organisers); !c.MFA.Enabled || !c.OTP.Enabled {
		t.Fatal("MFA is not on in the collection")
	}
	for lang, want := range map[string]string{"en": "Two-step sign-in is on.", "lv": "Divpakāpju pieteikšanās ir ieslēgta.", "ru": "Вход в два шага включён."} {
		if _, body := do(http.MethodGet, "/manage/settings?lang="+lang, nil, kopatest.Token(t, org)); !strings.Contains(body, want) {
			t.Errorf("settings page in %s lacks %q", lang, want)
		}
	}

	// PocketBase's own API: the password gives an mfaId, no token.
	if st, out := apiLogin(); st != http.StatusUnauthorized || out["mfaId"] == nil || out["token"] != nil {
		t.Fatalf("API login with MFA: %d %v", st, out)
	}

	// The console: the password alone signs nobody in; it asks for the code.
	res, body := do(http.MethodPost, "/manage/login?lang=en", login, "")
	if res.StatusCode != 200 || signedIn(res) || !strings.Contains(body, "Sign-in code") {
		t.Fatalf("password step: %d %v\n%s", res.StatusCode, signedIn(res), body)
	}
	otpID, mfaID := otpField.FindStringSubmatch(body), mfaField.FindStringSubmatch(body)
	if otpID == nil || mfaID == nil {
		t.Fatalf("no code form:\n%s", body)
	}
	mp.WaitFor(t, 1, 20*time.Second)
	list := mp.To(t, "org@example.com")
	if len(list) != 1 {
		t.Fatalf("%d mails to the organiser", len(list))
	}
	m := mp.Message(t, list[0].ID)
	code := mailedOTP.FindStringSubmatch(m.Text + m.HTML)
	if code == nil {
		t.Fatalf("no code in the mail %q:\n%s", m.Subject, m.Text)
	}
	// Kopā's mail in the login page's language, not PocketBase's English
	// template.
	if m.Subject != "Your Kopā sign-in code" || !strings.Contains(m.Text, "Enter this code on the sign-in page") || !strings.Contains(m.Text, "someone knows your password") {
		t.Errorf("the code's mail is not Kopā's in English: %q\n%s", m.Subject, m.Text)
	}
	step := func(otp, mfa, c string) url.Values {
		return url.Values{"email": {"org@example.com"}, "next": {"/manage/events/new"}, "otp": {otp}, "mfa": {mfa}, "code": {c}}
	}
	wrong := "00000000"
	if code[1] == wrong {
		wrong = "11111111"
	}
	res, body = do(http.MethodPost, "/manage/login?lang=en", step(otpID[1], mfaID[1], wrong), "")
	if res.StatusCode != http.StatusBadRequest || signedIn(res) || !strings.Contains(body, "This code is not right.") || !strings.Contains(body, otpID[1]) {
		t.Fatalf("wrong code: %d %v\n%s", res.StatusCode, signedIn(res), body)
	}
	// A code without the password step (a made-up MFA id) does nothing.
	res, body = do(http.MethodPost, "/manage/login?lang=en", step(otpID[1], "nosuchmfa12345", code[1]), "")
	if res.StatusCode != http.StatusBadRequest || signedIn(res) || !strings.Contains(body, "This code has expired or was used.") {
		t.Fatalf("code without the password step: %d %v\n%s", res.StatusCode, signedIn(res), body)
	}
	res, _ = do(http.MethodPost, "/manage/login?lang=en", step(otpID[1], mfaID[1], code[1]), "")
	if res.StatusCode != http.StatusSeeOther || !signedIn(res) || res.Header.Get("Location") != "/manage/events/new" {
		t.Fatalf("right code: %d %v %q", res.StatusCode, signedIn(res), res.Header.Get("Location"))
	}
	// A code works once.
	res, body = do(http.MethodPost, "/manage/login?lang=en", step(otpID[1], mfaID[1], code[1]), "")
	if res.StatusCode != http.StatusBadRequest || signedIn(res) || !strings.Contains(body, "This code has expired or was used.") {
		t.Fatalf("code used twice: %d %v", res.StatusCode, signedIn(res))
	}
	// A wrong password still gets the plain refusal, and no code.
	if res, body := do(http.MethodPost, "/manage/login?lang=en", url.Values{"email": {"org@example.com"}, "password": {"wrong password"}}, ""); res.StatusCode != http.StatusBadRequest || strings.Contains(body, `name="otp"`) {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	// Volunteers' sign-in does not change.
	if res, _ := do(http.MethodPost, "/manage/login", url.Values{"email": {"vol@example.com"}, "password": {kopatest.Password}}, ""); res.StatusCode != http.StatusSeeOther || !signedIn(res) {
		t.Fatalf("volunteer login: %d", res.StatusCode)
	}

	// Off again: the password alone signs in.
	if res, _ := do(http.MethodPost, "/manage/settings/mfa", url.Values{"mfa": {"off"}}, kopatest.Token(t, org)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch off: %d", res.StatusCode)
	}
	if res, _ := do(http.MethodPost, "/manage/login", login, ""); res.StatusCode != http.StatusSeeOther || !signedIn(res) {
		t.Fatalf("login after MFA off: %d", res.StatusCode)
	}
}
