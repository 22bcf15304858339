package volunteers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// BenchmarkSignInTiming measures, side by side, the answers that must not
// tell whether an address has an account: a failed sign-in at
// /manage/login, a volunteer sign-up and a one-time code request, each for
// a known and an unknown address. Compare the ns/op of each pair:
//
//	go test -run '^$' -bench SignInTiming -benchtime 40x ./hooks/volunteers/
func BenchmarkSignInTiming(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	kopatest.Organiser(b, app, "org@example.com")
	kopatest.Volunteer(b, app, "vol@example.com", []string{"ar"}, []string{"door"})
	srv := kopatest.Serve(b, app)
	const csrf = "cccccccccccccccccccccccccccccccccccccccccc"
	var n atomic.Int64
	post := func(b *testing.B, path, contentType, body string, want int) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Cookie", "kopa_csrf="+csrf)
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			b.Fatalf("%s: %d, want %d", path, res.StatusCode, want)
		}
	}
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct{ name, email string }{
		{"organiser", "org@example.com"}, {"volunteer", "vol@example.com"}, {"unknown", "nobody@example.com"},
	} {
		b.Run("login/"+c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				post(b, "/manage/login", form, url.Values{"email": {c.email}, "password": {"wrong password"}, "csrf": {csrf}}.Encode(), 400)
			}
		})
	}
	for _, c := range []struct{ name, email string }{{"known", "vol@example.com"}, {"new", ""}} {
		b.Run("signup/"+c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				email := c.email
				if email == "" {
					email = fmt.Sprintf("new%d@example.com", n.Add(1))
				}
				post(b, "/api/volunteers/signup", "application/json",
					`{"name":"Anna","email":"`+email+`","languages":["ar"],"locale":"en","contact_consent":true}`, 202)
			}
		})
	}
	for _, c := range []struct{ name, email string }{{"known", "vol@example.com"}, {"unknown", "nobody@example.com"}} {
		b.Run("code/"+c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				post(b, "/volunteer/login-code", form, url.Values{"email": {c.email}, "csrf": {csrf}}.Encode(), 200)
				// Past five live codes no new one is made: measure the
				// path that makes one.
				b.StopTimer()
				if _, err := app.DB().NewQuery("DELETE FROM _otps").Execute(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
