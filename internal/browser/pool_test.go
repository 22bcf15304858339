package browser_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"kopa/internal/browser"
	"kopa/internal/testrun"
)

func TestMain(m *testing.M) { testrun.Main(m) }

// site serves a page whose script says it ran, and a service worker.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>t</title><main><h1 id="js">off</h1></main>
<script>document.getElementById("js").textContent = "on";</script>`))
	})
	mux.HandleFunc("/sw.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(`self.addEventListener("fetch", () => {});`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// state is what a page sees of the browser around it.
type state struct {
	Cookie, Local, Session     string
	Databases, Caches, Workers int
	Script                     string
	Width                      int
	Print, Online              bool
	TimeZone                   string
	History                    int
	Injected                   bool
}

const readState = `(async () => ({
	Cookie: document.cookie,
	Local: localStorage.getItem("k") || "",
	Session: sessionStorage.getItem("k") || "",
	Databases: (await indexedDB.databases()).length,
	Caches: (await caches.keys()).length,
	Workers: (await navigator.serviceWorker.getRegistrations()).length,
	Script: document.getElementById("js").textContent,
	Width: window.innerWidth,
	Print: matchMedia("print").matches,
	Online: navigator.onLine,
	TimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
	History: history.length,
	Injected: "injected" in window,
}))()`

// tabOf returns the tab of ctx and its browser context.
func tabOf(t *testing.T, ctx context.Context) (target.ID, cdp.BrowserContextID) {
	t.Helper()
	id := chromedp.FromContext(ctx).Target.TargetID
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.TargetID == id {
			return id, info.BrowserContextID
		}
	}
	t.Fatalf("tab %s is not listed", id)
	return "", ""
}

func read(t *testing.T, ctx context.Context, address string) state {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(address), browser.WaitVisible("#js")); err != nil {
		t.Fatal(err)
	}
	// A page without JavaScript is read with it back on: the page's own
	// script says whether it ran.
	s, err := chromedp.Run(ctx, chromedp.Evaluate[state](readState, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPooledTabsAreEmptied: a test that takes the tab an earlier test of
// the process used finds nothing that test left: no cookie (not even on
// another port of the host), storage, service worker, history, nor any
// DevTools override (JavaScript off, viewport, media, network cut, time
// zone, a script for new documents).
func TestPooledTabsAreEmptied(t *testing.T) {
	a, b := site(t), site(t)
	var fresh state
	var used cdp.BrowserContextID
	var usedTab target.ID
	t.Run("leaves everything behind", func(t *testing.T) {
		ctx := browser.New(t)
		usedTab, used = tabOf(t, ctx)
		fresh = read(t, ctx, a.URL+"/")
		if fresh.Script != "on" || fresh.Injected || !fresh.Online || fresh.Print || fresh.Cookie != "" || fresh.Databases != 0 || fresh.Workers != 0 {
			t.Fatalf("a new tab: %+v", fresh)
		}
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(async () => {
			document.cookie = "k=a; path=/; max-age=3600";
			localStorage.setItem("k", "a");
			sessionStorage.setItem("k", "a");
			await new Promise((ok, fail) => { const r = indexedDB.open("db"); r.onsuccess = ok; r.onerror = fail; });
			await caches.open("c");
			await navigator.serviceWorker.register("/sw.js");
			history.pushState(null, "", "/pushed");
			return true;
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.EmulateViewport(1200, 900),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
					return err
				}
				if _, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Pacific/Chatham"}); err != nil {
					return err
				}
				_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: "window.injected = true;"})
				return err
			}),
		)
		if err != nil {
			t.Fatal(err)
		}
		left := read(t, ctx, a.URL+"/")
		if left.Cookie != "k=a" || left.Local != "a" || left.Databases != 1 || left.Caches != 1 || left.Workers != 1 ||
			left.Width != 1200 || !left.Print || left.TimeZone != "Pacific/Chatham" || left.History <= fresh.History || !left.Injected {
			t.Fatalf("the first test's own state: %+v", left)
		}
		// The cookie's host on another port, without JavaScript, then
		// the network cut.
		if err := chromedp.Do(ctx, browser.Scripts(false), chromedp.Navigate(b.URL+"/"), browser.WaitVisible("#js"), browser.Offline(true)); err != nil {
			t.Fatal(err)
		}
		off, err := chromedp.Run(ctx, chromedp.Evaluate[state](readState, chromedp.EvalAwaitPromise))
		if err != nil || off.Script != "off" || off.Online || off.Cookie != "k=a" {
			t.Fatalf("without JavaScript, offline: %+v %v", off, err)
		}
	})
	t.Run("finds nothing", func(t *testing.T) {
		ctx := browser.New(t)
		if tab, bc := tabOf(t, ctx); tab != usedTab || bc != used {
			t.Fatalf("the second test got another tab: the pool did not give the emptied one back")
		}
		for i, s := range []string{a.URL + "/", b.URL + "/"} {
			got := read(t, ctx, s)
			if i > 0 {
				got.History-- // this test's own first page
			}
			if got != fresh {
				t.Errorf("%s: the tab after an earlier test\n%+v\nwant as a new tab's\n%+v", s, got, fresh)
			}
		}
	})
}

// TestTabsAtOnce: tabs in use at the same time (as by tests that run in
// parallel) are in browser contexts of their own, so that a cookie of one
// is not the other's.
func TestTabsAtOnce(t *testing.T) {
	a := site(t)
	one, two := browser.New(t), browser.New(t)
	t1, c1 := tabOf(t, one)
	t2, c2 := tabOf(t, two)
	if t1 == t2 || c1 == c2 {
		t.Fatalf("two tabs at once share a tab or a browser context")
	}
	read(t, one, a.URL+"/")
	if _, err := chromedp.Run(one, chromedp.Evaluate[bool](`document.cookie = "k=one; path=/"; true`)); err != nil {
		t.Fatal(err)
	}
	if got := read(t, two, a.URL+"/"); got.Cookie != "" {
		t.Errorf("the other tab sees the cookie %q", got.Cookie)
	}
}

// TestTabOfTheSameTest: a tab that a test opens from its own is in the same
// browser context, with the same cookies, as a second tab of the same
// browser window would be.
func TestTabOfTheSameTest(t *testing.T) {
	a := site(t)
	ctx := browser.New(t)
	_, bc := tabOf(t, ctx)
	read(t, ctx, a.URL+"/")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.cookie = "k=one; path=/"; true`)); err != nil {
		t.Fatal(err)
	}
	other, closeOther := chromedp.NewContext(ctx)
	defer closeOther()
	if err := chromedp.Do(other); err != nil {
		t.Fatal(err)
	}
	if _, obc := tabOf(t, other); obc != bc {
		t.Errorf("the second tab is in browser context %s, not the test's %s", obc, bc)
	}
	if got := read(t, other, a.URL+"/"); got.Cookie != "k=one" {
		t.Errorf("the second tab sees the cookies %q", got.Cookie)
	}
}
