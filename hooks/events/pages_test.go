package events_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

func TestPublicPages(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	pub := kopatest.Event(t, src, kopatest.EventOpts{Title: "Kultūršoks un kultūru dialogs", Capacity: 5})
	kopatest.Registration(t, src, pub, "Amina", "amina@example.com", "confirmed")
	kopatest.Registration(t, src, pub, "Olek", "olek@example.com", "confirmed")
	draft := kopatest.Event(t, src, kopatest.EventOpts{Title: "Slepens melnraksts", Status: "draft"})
	past := kopatest.Event(t, src, kopatest.EventOpts{Title: "Pagājis pasākums", Starts: time.Now().Add(-72 * time.Hour)})
	full := kopatest.Event(t, src, kopatest.EventOpts{Title: "Pilns pasākums", Kind: "culture", Capacity: 1})
	kopatest.Registration(t, src, full, "Ivan", "ivan@example.com", "confirmed")
	factory := kopatest.CloneFactory(src, hooks.Default)

	html := []string{`<html lang="lv">`}
	scenarios := []tests.ApiScenario{
		{Name: "home lists published upcoming events with seats left", Method: http.MethodGet, URL: "/",
			ExpectedStatus: 200, ExpectedContent: append(html, "Kultūršoks un kultūru dialogs", "3 brīvas vietas", "Diskusijas", "Kultūras pasākumi", "Visas vietas aizņemtas"),
			NotExpectedContent: []string{"Slepens melnraksts", "Pagājis pasākums", past.Id, "amina@example.com", "Amina"}},
		{Name: "home in English by Accept-Language", Method: http.MethodGet, URL: "/", Headers: map[string]string{"Accept-Language": "en-GB,en;q=0.9"},
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="en">`, "Kultūršoks un kultūru dialogs (en)", "3 seats left"}},
		{Name: "?lang=ru wins and is remembered", Method: http.MethodGet, URL: "/?lang=ru", Headers: map[string]string{"Accept-Language": "en"},
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="ru">`, "3 свободных места"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				found := false
				for _, c := range res.Cookies() {
					if c.Name == "kopa_lang" && c.Value == "ru" && c.HttpOnly {
						found = true
					}
				}
				if !found {
					t.Error("language cookie not set")
				}
			}},
		{Name: "the cookie decides without ?lang", Method: http.MethodGet, URL: "/", Headers: map[string]string{"Cookie": "kopa_lang=en", "Accept-Language": "ru"},
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="en">`}},
		{Name: "event page with its registration form", Method: http.MethodGet, URL: "/events/" + pub.Id,
			ExpectedStatus: 200, ExpectedContent: append(html, "Kultūršoks un kultūru dialogs", `action="/events/`+pub.Id+`/register"`, `name="name"`, `name="email"`, `name="photo_consent"`, `for="name"`, `for="email"`),
			NotExpectedContent: []string{"<script", "Amina"}},
		{Name: "a full event without waiting list has no form", Method: http.MethodGet, URL: "/events/" + full.Id + "?lang=en",
			ExpectedStatus: 200, ExpectedContent: []string{"All seats are taken"}, NotExpectedContent: []string{`name="email"`}},
		{Name: "a draft event is a friendly 404", Method: http.MethodGet, URL: "/events/" + draft.Id,
			ExpectedStatus: 404, ExpectedContent: append(html, "Lapa nav atrasta"), NotExpectedContent: []string{"Slepens melnraksts"}},
		{Name: "an unknown event is a friendly 404 in Russian", Method: http.MethodGet, URL: "/events/nope?lang=ru",
			ExpectedStatus: 404, ExpectedContent: []string{`<html lang="ru">`, "Страница не найдена"}},
		{Name: "an unknown page is a friendly 404", Method: http.MethodGet, URL: "/no/such/page", Headers: map[string]string{"Accept-Language": "en"},
			ExpectedStatus: 404, ExpectedContent: []string{"Page not found"}},
		{Name: "an unknown API path stays JSON", Method: http.MethodGet, URL: "/api/no-such-thing",
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "static files are embedded", Method: http.MethodGet, URL: "/static/css/kopa.css",
			ExpectedStatus: 200, ExpectedContent: []string{"--brand"}},
		{Name: "robots.txt keeps tickets out of search engines", Method: http.MethodGet, URL: "/robots.txt",
			ExpectedStatus: 200, ExpectedContent: []string{"Disallow: /t/"}},
		{Name: "no Go sources are served", Method: http.MethodGet, URL: "/static/public.go", ExpectedStatus: 404, NotExpectedContent: []string{"package"}},
		{Name: "health", Method: http.MethodGet, URL: "/api/health", ExpectedStatus: 200, ExpectedContent: []string{`"code":200`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	ev := kopatest.Event(t, src, kopatest.EventOpts{})
	for _, url := range []string{"/", "/events/" + ev.Id, "/no/such/page", "/manage/login"} {
		s := tests.ApiScenario{
			Name: "headers on " + url, Method: http.MethodGet, URL: url, TestAppFactory: kopatest.CloneFactory(src, hooks.Default),
			ExpectedStatus: map[bool]int{true: 404, false: 200}[url == "/no/such/page"], NotExpectedContent: []string{"<script>"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				h := res.Header
				csp := h.Get("Content-Security-Policy")
				for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
					if !strings.Contains(csp, want) {
						t.Errorf("%s: CSP %q lacks %q", url, csp, want)
					}
				}
				if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
					t.Errorf("%s: CSP allows inline code or another origin: %q", url, csp)
				}
				if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("%s: headers %v", url, h)
				}
			},
		}
		s.Test(t)
	}
}
