package web_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/web"
	"kopa/internal/kopatest"
)

var csrfValue = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// device is a browser without JavaScript signed in on one device.
type device struct {
	t      testing.TB
	base   string
	client *http.Client
	csrf   string
}

func signIn(t testing.TB, base, email string) *device {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	d := &device{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if st, _ := d.do(http.MethodGet, "/manage/login", nil, nil); st != 200 {
		t.Fatalf("login page %d", st)
	}
	st, _ := d.do(http.MethodPost, "/manage/login", url.Values{"email": {email}, "password": {kopatest.Password}}, nil)
	if st != http.StatusSeeOther || d.cookie() == "" {
		t.Fatalf("sign in as %s: %d", email, st)
	}
	return d
}

func (d *device) do(method, path string, form url.Values, header map[string]string) (int, string) {
	d.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", d.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, d.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := d.client.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfValue.FindSubmatch(b); m != nil {
		d.csrf = string(m[1])
	}
	return res.StatusCode, string(b)
}

// cookie is the device's session cookie, as someone who copied it has it.
func (d *device) cookie() string {
	u, _ := url.Parse(d.base)
	for _, c := range d.client.Jar.Cookies(u) {
		if c.Name == "kopa_session" {
			return c.Value
		}
	}
	return ""
}

// scannerToken is the API token the device's pages hand their scripts.
func (d *device) scannerToken() string {
	d.t.Helper()
	st, body := d.do(http.MethodPost, "/manage/token", nil, map[string]string{"X-CSRF-Token": d.csrf})
	var out struct{ Token string }
	if st != 200 || json.Unmarshal([]byte(body), &out) != nil || out.Token == "" {
		d.t.Fatalf("scanner token: %d %s", st, body)
	}
	return out.Token
}

// get requests path with only the given headers (no cookie jar): what a
// copied cookie or token opens.
func get(t testing.TB, method, url string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// TestLogoutEndsTheSession: after logging out of /manage or the volunteer
// portal, a copy of that browser's session cookie leads to the login page,
// and the cookie's token or the token the page's scripts were given gets
// 401 from the API, refreshing included. The same person's session on
// another device goes on.
func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	kopatest.Volunteer(t, app, "vol@example.com", []string{"ar"}, []string{"door"})
	srv := kopatest.Serve(t, app)

	for _, who := range []struct{ email, home, collection string }{
		{"org@example.com", "/manage", "organisers"},
		{"vol@example.com", "/volunteer/me", "volunteers"},
	} {
		t.Run(who.collection, func(t *testing.T) {
			laptop, phone := signIn(t, srv.URL, who.email), signIn(t, srv.URL, who.email)
			cookie, script := laptop.cookie(), laptop.scannerToken()
			if st, _, _ := get(t, http.MethodGet, srv.URL+who.home, map[string]string{"Cookie": "kopa_session=" + cookie}); st != 200 {
				t.Fatalf("the copied cookie before logout: %d", st)
			}
			if st, _, _ := get(t, http.MethodGet, srv.URL+"/api/collections/"+who.collection+"/records", map[string]string{"Authorization": cookie}); st != 200 {
				t.Fatalf("the cookie's token before logout: %d", st)
			}
			// PocketBase's refresh gives the session's token back, never
			// one without the session.
			st, body, _ := get(t, http.MethodPost, srv.URL+"/api/collections/"+who.collection+"/auth-refresh", map[string]string{"Authorization": script})
			if st != 200 || !strings.Contains(body, `"token":"`+script+`"`) {
				t.Fatalf("refresh before logout: %d %s", st, body)
			}

			if st, _ := laptop.do(http.MethodPost, "/manage/logout", url.Values{}, nil); st != http.StatusSeeOther || laptop.cookie() != "" {
				t.Fatalf("logout: %d, cookie %q", st, laptop.cookie())
			}

			st, _, h := get(t, http.MethodGet, srv.URL+who.home, map[string]string{"Cookie": "kopa_session=" + cookie})
			if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/manage/login?next=") {
				t.Errorf("the copied cookie after logout: %d to %q, want the login page", st, h.Get("Location"))
			}
			for name, token := range map[string]string{"the cookie's token": cookie, "the scripts' token": script} {
				for _, req := range []struct{ method, path string }{
					{http.MethodGet, "/api/collections/" + who.collection + "/records"},
					{http.MethodGet, "/api/collections/registrations/records"},
					{http.MethodPost, "/api/collections/" + who.collection + "/auth-refresh"},
				} {
					if st, body, _ := get(t, req.method, srv.URL+req.path, map[string]string{"Authorization": token}); st != http.StatusUnauthorized {
						t.Errorf("%s after logout, %s %s: %d %s", name, req.method, req.path, st, body)
					}
				}
				if _, err := web.AuthByToken(app, token); !errors.Is(err, web.ErrSessionEnded) {
					t.Errorf("%s after logout signs in (the live socket): %v", name, err)
				}
			}

			// The other device is still signed in.
			if st, _ := phone.do(http.MethodGet, who.home, nil, nil); st != 200 {
				t.Errorf("the other device after the logout: %d", st)
			}
			if _, err := web.AuthByToken(app, phone.scannerToken()); err != nil {
				t.Errorf("the other device's token: %v", err)
			}
		})
	}
}

// TestLogoutClosesLiveConnections: the dashboard's live socket and a
// PocketBase realtime subscription opened with a session's token lose
// their access when the session is logged out: the socket is closed with
// 4401, the realtime client is a guest again.
func TestLogoutClosesLiveConnections(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	srv := kopatest.Serve(t, app)
	laptop := signIn(t, srv.URL, "org@example.com")
	token := laptop.scannerToken()

	// The live socket.
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/api/live?event="+ev.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	auth, _ := json.Marshal(map[string]string{"type": "auth", "token": token})
	if err := conn.WriteMessage(websocket.TextMessage, auth); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, msg, err := conn.ReadMessage(); err != nil || !strings.Contains(string(msg), `"snapshot"`) {
		t.Fatalf("snapshot: %s %v", msg, err)
	}

	// A realtime subscription: connect, then subscribe with the token.
	stream, err := http.Get(srv.URL + "/api/realtime")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	line, clientID := make([]byte, 4096), ""
	n, _ := stream.Body.Read(line)
	if m := regexp.MustCompile(`"clientId":"([^"]+)"`).FindSubmatch(line[:n]); m != nil {
		clientID = string(m[1])
	}
	if clientID == "" {
		t.Fatalf("no realtime client id in %q", line[:n])
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/realtime", strings.NewReader(`{"clientId":"`+clientID+`","subscriptions":["registrations"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe: %v %v", res, err)
	}
	client, err := app.SubscriptionsBroker().ClientById(clientID)
	if err != nil || client.Get(apis.RealtimeClientAuthKey) == nil {
		t.Fatalf("the realtime client is not signed in: %v", err)
	}

	if st, _ := laptop.do(http.MethodPost, "/manage/logout", url.Values{}, nil); st != http.StatusSeeOther {
		t.Fatalf("logout: %d", st)
	}

	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue // a message sent before the logout
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4401 {
			t.Errorf("the live socket after logout: %v, want closed with 4401", err)
		}
		break
	}
	if a, _ := client.Get(apis.RealtimeClientAuthKey).(*core.Record); a != nil {
		t.Errorf("the realtime client is still signed in as %s after logout", a.Id)
	}
}

// sessions counts the stored sessions of an account.
func sessions(t testing.TB, app core.App, rec *core.Record) int64 {
	t.Helper()
	n, err := app.CountRecords("sessions", dbx.HashExp{"record_ref": rec.Id})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// signedOut asserts that a copied cookie and token no longer sign anyone in.
func signedOut(t testing.TB, base, home, collection, cookie string) {
	t.Helper()
	st, _, h := get(t, http.MethodGet, base+home, map[string]string{"Cookie": "kopa_session=" + cookie})
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/manage/login?next=") {
		t.Errorf("the cookie: %d to %q, want the login page", st, h.Get("Location"))
	}
	// A token that no longer verifies is a guest's to PocketBase: the
	// API answers what needs a signed-in account with 401.
	if st, body, _ := get(t, http.MethodPost, base+"/api/collections/"+collection+"/auth-refresh", map[string]string{"Authorization": cookie}); st != http.StatusUnauthorized {
		t.Errorf("the cookie's token at the API: %d %s", st, body)
	}
}

// TestPasswordChangeEndsSessions: a new password ends every session of the
// account, on every device; signing in again starts a new one.
func TestPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	org := kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	laptop, phone := signIn(t, srv.URL, "org@example.com"), signIn(t, srv.URL, "org@example.com")
	cookies := []string{laptop.cookie(), phone.cookie(), phone.scannerToken()}
	if n := sessions(t, app, org); n != 2 {
		t.Fatalf("%d sessions, want one per device", n)
	}

	org, _ = app.FindRecordById("organisers", org.Id)
	org.SetPassword("another-password-123")
	if err := app.Save(org); err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		signedOut(t, srv.URL, "/manage", "organisers", c)
	}
	if n := sessions(t, app, org); n != 0 {
		t.Errorf("%d sessions kept after the new password", n)
	}
}

// TestDeletedAccountEndsSessions: a volunteer who deletes their account on
// one device is signed out on the others too, and their sessions are gone.
func TestDeletedAccountEndsSessions(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	vol := kopatest.Volunteer(t, app, "vol@example.com", []string{"ar"}, []string{"door"})
	srv := kopatest.Serve(t, app)
	laptop, phone := signIn(t, srv.URL, "vol@example.com"), signIn(t, srv.URL, "vol@example.com")
	cookie := phone.cookie()

	if st, _ := laptop.do(http.MethodGet, "/volunteer/me/delete", nil, nil); st != 200 {
		t.Fatalf("delete page: %d", st)
	}
	if st, body := laptop.do(http.MethodPost, "/volunteer/me/delete", url.Values{}, nil); st != 200 || laptop.cookie() != "" {
		t.Fatalf("delete: %d, cookie %q: %s", st, laptop.cookie(), body)
	}
	signedOut(t, srv.URL, "/volunteer/me", "volunteers", cookie)
	if n := sessions(t, app, vol); n != 0 {
		t.Errorf("%d sessions kept after the account was deleted", n)
	}
}

// TestLogoutOfAStatelessCookie: a cookie from before sessions were kept
// (a plain PocketBase token) is ended by logging out too, which can only
// renew the account's token key: every older token of the account stops.
func TestLogoutOfAStatelessCookie(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	org := kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	cookie, other := kopatest.Token(t, org), kopatest.Token(t, org)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "kopa_session", Value: cookie, Path: "/"}})
	old := &device{t: t, base: srv.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if st, _ := old.do(http.MethodGet, "/manage", nil, nil); st != 200 {
		t.Fatalf("the old cookie before logout: %d", st)
	}
	if st, _ := old.do(http.MethodPost, "/manage/logout", url.Values{}, nil); st != http.StatusSeeOther || old.cookie() != "" {
		t.Fatalf("logout: %d", st)
	}
	signedOut(t, srv.URL, "/manage", "organisers", cookie)
	signedOut(t, srv.URL, "/manage", "organisers", other)
	if st, _ := signIn(t, srv.URL, "org@example.com").do(http.MethodGet, "/manage", nil, nil); st != 200 {
		t.Errorf("signing in again: %d", st)
	}
}
