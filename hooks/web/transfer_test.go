package web_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/web"
	"kopa/internal/kopatest"
)

// gunzip checks that an answer is gzip-compressed and returns it unpacked.
func gunzip(t testing.TB, res *http.Response) string {
	t.Helper()
	if ce := res.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", ce)
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q does not name Accept-Encoding", res.Header.Get("Vary"))
	}
	r, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return string(b)
}

func uncompressed(t testing.TB, res *http.Response) {
	t.Helper()
	if ce := res.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding %q, want none", ce)
	}
}

// uncompressedBody is uncompressed for an answer large enough that
// compressing it would have been tried.
func uncompressedBody(t testing.TB, _ *tests.TestApp, res *http.Response) {
	t.Helper()
	uncompressed(t, res)
	if b, _ := io.ReadAll(res.Body); len(b) < 1024 {
		t.Errorf("%d bytes: too few to tell", len(b))
	}
}

func cacheControl(want string) func(testing.TB, *tests.TestApp, *http.Response) {
	return func(t testing.TB, _ *tests.TestApp, res *http.Response) {
		if cc := res.Header.Get("Cache-Control"); cc != want {
			t.Errorf("Cache-Control %q, want %q", cc, want)
		}
	}
}

// TestTransfer: pages and static files go out compressed to browsers that
// accept it, and the static files a page links carry their content's
// version, so browsers keep them for a year.
func TestTransfer(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 10})
	for range 3 { // enough for a list worth compressing
		kopatest.Event(t, src, kopatest.EventOpts{})
	}
	org := kopatest.Organiser(t, src, "org@example.com")
	ticket := kopatest.Registration(t, src, ev, "Amina Haddad", "amina@example.com", "confirmed").GetString("ticket")
	gz := map[string]string{"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "en"}
	css := web.Asset("css/kopa.css")
	if !strings.HasPrefix(css, "/static/css/kopa.css?v=") || len(css) != len("/static/css/kopa.css?v=")+12 {
		t.Fatalf("versioned URL %q", css)
	}
	if web.Asset("css/kopa.css") != css || web.Asset("/css/kopa.css") != css {
		t.Error("one file, one versioned URL")
	}
	if got := web.Asset("css/no-such.css"); got != "/static/css/no-such.css" {
		t.Errorf("a file that is not embedded: %q", got)
	}
	gzipMagic := []string{"\x1f\x8b"}

	scenarios := []tests.ApiScenario{
		{Name: "a page links versioned static files", Method: http.MethodGet, URL: "/?lang=en", ExpectedStatus: 200,
			ExpectedContent:    []string{`<link rel="stylesheet" href="` + css + `">`, `href="` + web.Asset("img/logo.svg") + `"`, `src="` + web.Asset("img/logo.svg") + `"`},
			NotExpectedContent: []string{`"/static/css/kopa.css"`, `"/static/img/logo.svg"`}},
		{Name: "a page is compressed", Method: http.MethodGet, URL: "/privacy", Headers: gz, ExpectedStatus: 200,
			ExpectedContent: gzipMagic,
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if page := gunzip(t, res); !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, css) {
					t.Errorf("page %.200q", page)
				}
				if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
			}},
		{Name: "a ticket page is compressed and still not stored", Method: http.MethodGet, URL: "/t/" + ticket, Headers: gz, ExpectedStatus: 200,
			ExpectedContent: gzipMagic,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				cacheControl("no-store")(t, app, res)
				if page := gunzip(t, res); !strings.Contains(page, "Amina Haddad") {
					t.Errorf("ticket page %.200q", page)
				}
			}},
		{Name: "the friendly 404 page is compressed, with its status", Method: http.MethodGet, URL: "/no/such/page", Headers: gz, ExpectedStatus: 404,
			ExpectedContent: gzipMagic,
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if page := gunzip(t, res); !strings.Contains(page, "Page not found") {
					t.Errorf("404 page %.200q", page)
				}
			}},
		{Name: "a versioned stylesheet: compressed, kept for a year", Method: http.MethodGet, URL: css, Headers: gz, ExpectedStatus: 200,
			ExpectedContent: gzipMagic,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				cacheControl("public, max-age=31536000, immutable")(t, app, res)
				if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
					t.Errorf("Content-Type %q", res.Header.Get("Content-Type"))
				}
				if body := gunzip(t, res); !strings.Contains(body, "--brand") {
					t.Errorf("stylesheet %.200q", body)
				}
			}},
		{Name: "a versioned script is kept for a year", Method: http.MethodGet, URL: web.Asset("js/scanner.js"), ExpectedStatus: 200,
			ExpectedContent: []string{"use strict"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				cacheControl("public, max-age=31536000, immutable")(t, app, res)
				uncompressed(t, res) // the browser did not ask for gzip
			}},
		{Name: "the same file without its version: an hour", Method: http.MethodGet, URL: "/static/css/kopa.css", ExpectedStatus: 200,
			ExpectedContent: []string{"--brand"}, AfterTestFunc: cacheControl("public, max-age=3600")},
		{Name: "an old version's URL: an hour", Method: http.MethodGet, URL: "/static/css/kopa.css?v=000000000000", ExpectedStatus: 200,
			ExpectedContent: []string{"--brand"}, AfterTestFunc: cacheControl("public, max-age=3600")},
		{Name: "the ticket's QR code is not compressed again", Method: http.MethodGet, URL: "/t/" + ticket + "/qr.png", Headers: gz, ExpectedStatus: 200,
			ExpectedContent: []string{"\x89PNG"},
			AfterTestFunc:   func(t testing.TB, _ *tests.TestApp, res *http.Response) { uncompressed(t, res) }},
		{Name: "a workbook is not compressed again", Method: http.MethodGet, URL: "/manage/events/" + ev.Id + "/registrations.xlsx",
			Headers: map[string]string{"Accept-Encoding": "gzip", "Cookie": "kopa_session=" + kopatest.Token(t, org)}, ExpectedStatus: 200,
			ExpectedContent: []string{"PK\x03\x04"}, AfterTestFunc: uncompressedBody},
		{Name: "the API is left as it is", Method: http.MethodGet, URL: "/api/collections/events/records", Headers: gz, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + ev.Id + `"`}, AfterTestFunc: uncompressedBody},
		{Name: "a redirect has no body to compress", Method: http.MethodGet, URL: "/manage", Headers: gz, ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) { uncompressed(t, res) }},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestStreamsWithGzip: browsers ask for gzip on every request, the live
// dashboard's WebSocket upgrade and PocketBase's realtime stream included;
// both still work and go out uncompressed.
func TestStreamsWithGzip(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	srv := kopatest.Serve(t, app)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 10})
	org := kopatest.Organiser(t, app, "org@example.com")

	header := http.Header{"Accept-Encoding": {"gzip, deflate, br"}}
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/api/live?event="+ev.Id, header)
	if err != nil {
		t.Fatalf("dial with Accept-Encoding: %v", err)
	}
	defer conn.Close()
	uncompressed(t, res)
	auth, _ := json.Marshal(map[string]string{"type": "auth", "token": kopatest.Token(t, org)})
	if err := conn.WriteMessage(websocket.TextMessage, auth); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil || !strings.Contains(string(msg), `"type":"snapshot"`) {
		t.Fatalf("first message %q, %v", msg, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/realtime", nil)
	req.Header.Set("Accept-Encoding", "gzip") // set by hand: Go's client then leaves the body as sent
	sse, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sse.Body.Close()
	uncompressed(t, sse)
	line, err := bufio.NewReader(sse.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "id:") {
		t.Fatalf("realtime stream begins %q, %v", line, err)
	}
}
