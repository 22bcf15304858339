package manage_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// behind makes every request come from peer, as it would through a reverse
// proxy on that address (tests.ApiScenario's requests come from 192.0.2.1),
// and sets the trusted proxy headers.
func behind(peer string, trusted ...string) func(testing.TB, *tests.TestApp, *core.ServeEvent) {
	return func(t testing.TB, app *tests.TestApp, se *core.ServeEvent) {
		kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.TrustedProxy.Headers = trusted })
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Priority: -10000,
			Func: func(e *core.RequestEvent) error {
				e.Request.RemoteAddr = peer
				return e.Next()
			},
		})
	}
}

// TestUntrustedProxyWarning: requests through a reverse proxy that
// PocketBase does not trust share one address for the rate limits; the
// console says so until the proxy's header is trusted.
func TestUntrustedProxyWarning(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range f.orgH {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	xff := with(map[string]string{"X-Forwarded-For": "198.51.100.7"})
	const warning = "Kopā is reached through a reverse proxy (its requests carry X-Forwarded-For)"
	run(t, f.src, []tests.ApiScenario{
		{Name: "forwarded requests and no trusted header: the console warns", Method: http.MethodGet, URL: "/manage?lang=en", Headers: xff,
			BeforeTestFunc: behind("127.0.0.1:40000"), ExpectedStatus: 200,
			ExpectedContent: []string{warning, "Settings → Application → IP proxy headers"}},
		{Name: "and so do the settings, in Latvian", Method: http.MethodGet, URL: "/manage/settings?lang=lv", Headers: xff,
			BeforeTestFunc: behind("10.0.0.2:40000"), ExpectedStatus: 200,
			ExpectedContent: []string{"Kopā pieprasījumi pienāk caur starpniekserveri (reverse proxy; tajos ir X-Forwarded-For)"}},
		{Name: "in Russian, with every forwarding header seen", Method: http.MethodGet, URL: "/manage?lang=ru",
			Headers:        with(map[string]string{"X-Real-IP": "198.51.100.7", "Forwarded": "for=198.51.100.7"}),
			BeforeTestFunc: behind("[::1]:40000"), ExpectedStatus: 200,
			ExpectedContent: []string{"Запросы приходят в Kopā через обратный прокси (в них есть X-Real-IP, Forwarded)"}},
		{Name: "the proxy's header is trusted: no warning", Method: http.MethodGet, URL: "/manage?lang=en", Headers: xff,
			BeforeTestFunc: behind("127.0.0.1:40000", "X-Forwarded-For"), ExpectedStatus: 200,
			ExpectedContent: []string{"Kultūršoks (en)"}, NotExpectedContent: []string{"reverse proxy"}},
		{Name: "the settings page without a warning either", Method: http.MethodGet, URL: "/manage/settings?lang=en", Headers: xff,
			BeforeTestFunc: behind("127.0.0.1:40000", "x-forwarded-for"), ExpectedStatus: 200,
			ExpectedContent: []string{"Backups"}, NotExpectedContent: []string{"reverse proxy"}},
		{Name: "another header is trusted than the proxy sends: the console warns", Method: http.MethodGet, URL: "/manage?lang=en", Headers: xff,
			BeforeTestFunc: behind("127.0.0.1:40000", "X-Real-IP"), ExpectedStatus: 200,
			ExpectedContent: []string{warning}},
		{Name: "a forwarding header from the internet is no proxy", Method: http.MethodGet, URL: "/manage?lang=en", Headers: xff,
			ExpectedStatus: 200, ExpectedContent: []string{"Kultūršoks (en)"}, NotExpectedContent: []string{"reverse proxy"}},
		{Name: "no forwarding header, no warning", Method: http.MethodGet, URL: "/manage?lang=en", Headers: f.orgH,
			BeforeTestFunc: behind("127.0.0.1:40000"), ExpectedStatus: 200,
			ExpectedContent: []string{"Kultūršoks (en)"}, NotExpectedContent: []string{"reverse proxy"}},
	})
}

// TestUntrustedProxyRemembered: a visitor's request through the proxy
// raises the warning an organiser sees later, and trusting the header
// lowers it at once.
func TestUntrustedProxyRemembered(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	app := kopatest.CloneFactory(f.src, hooks.Default)(t)
	defer app.Cleanup()
	srv := kopatest.Serve(t, app) // on loopback, as a proxy on the same host
	get := func(path string, header map[string]string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const warning = "reverse proxy"
	if body := get("/manage?lang=en", f.orgH); strings.Contains(body, warning) {
		t.Fatal("a warning before any forwarded request")
	}
	get("/privacy", map[string]string{"X-Forwarded-For": "198.51.100.7"})
	if body := get("/manage?lang=en", f.orgH); !strings.Contains(body, warning) {
		t.Error("no warning after a forwarded request")
	}
	kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.TrustedProxy.Headers = []string{"X-Forwarded-For"} })
	if body := get("/manage?lang=en", f.orgH); strings.Contains(body, warning) {
		t.Error("the warning stays after the header is trusted")
	}
}
