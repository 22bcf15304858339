package browser

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"kopa/internal/testrun"
)

// New's tabs are kept open from one test to the next: a new tab costs
// Chromium a renderer process, about a second of a core on a small
// machine, while a test's own DevTools session on a tab that is already
// open costs a tenth of that. Each tab is alone in a browser context of its
// own, so tests that run at once share no cookies (a cookie is the host's,
// whatever the port of a test's server). When a test ends, its tab is
// emptied before the next test gets it:
//
//   - the page leaves for about:blank and its history is forgotten;
//   - every origin its pages were on loses its storage (local and session
//     storage, IndexedDB, cache storage, service workers, …), the browser
//     context its cookies, HTTP cache and granted permissions, and any
//     other page the test opened in it is closed;
//   - the test's DevTools session ends, and with it every override the
//     test set through it (the viewport, the media, JavaScript switched off
//     with Scripts, the network cut with Offline, a time zone or a place, a
//     script for new documents such as TabCamera's): Chromium keeps those
//     per session.
//
// A tab that cannot be emptied is closed instead. pool_test.go proves what
// a test leaves behind is gone for the next.

// tabs is the pool of one Chromium's tabs; a test process has one for the
// Chromium that New uses.
type tabs struct {
	browser context.Context // a connection to the Chromium
	mu      sync.Mutex
	free    []*pooledTab // last returned last
	open    map[*pooledTab]bool
}

// pooledTab is a page target in a browser context of its own.
type pooledTab struct {
	context cdp.BrowserContextID
	target  target.ID
}

// pooled gives t a tab of the pool of the Chromium b, emptied as above
// when the test ends; its actions must be done within three minutes.
func pooled(t testing.TB, b context.Context) context.Context {
	t.Helper()
	p, err := testrun.Share(t, "browser.tabs", func() (*tabs, func(), error) {
		p := &tabs{browser: b, open: map[*pooledTab]bool{}}
		return p, p.closeAll, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := p.take()
	if err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	var visited origins
	session, detach := chromedp.NewContext(b,
		chromedp.WithTargetID(tab.target),
		chromedp.WithDetachOnCancel(),
		chromedp.WithListener(visited.note),
	)
	// A tab that the test opens from this one (chromedp.NewContext) opens
	// in the same browser context, with its cookies and service workers,
	// as beside a tab of chromedp.WithNewBrowserContext.
	chromedp.FromContext(session).BrowserContextID = tab.context
	// The session lives as long as the context of its first action: the
	// test's time limit must not end it before the tab is emptied.
	if err := chromedp.Do(session); err != nil {
		detach()
		p.discard(tab)
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(session, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		err := p.empty(session, tab, &visited)
		detach()
		if err != nil {
			t.Logf("the browser tab could not be emptied for the next test, so it is closed: %v", err)
			p.discard(tab)
			return
		}
		p.put(tab)
	})
	return ctx
}

// take returns a free tab, opening one when none is.
func (p *tabs) take() (*pooledTab, error) {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		tab := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return tab, nil
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := chromedp.FromContext(p.browser).Browser
	bc, err := cdp.Call(ctx, b, target.CreateBrowserContext, target.CreateBrowserContextParams{})
	if err != nil {
		return nil, err
	}
	newWindow := true // a browser context's first tab needs a window
	tg, err := cdp.Call(ctx, b, target.CreateTarget, target.CreateTargetParams{
		URL:              "about:blank",
		BrowserContextID: bc.BrowserContextID,
		NewWindow:        &newWindow,
	})
	if err != nil {
		_, _ = cdp.Call(ctx, b, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: bc.BrowserContextID})
		return nil, err
	}
	tab := &pooledTab{context: bc.BrowserContextID, target: tg.TargetID}
	p.mu.Lock()
	p.open[tab] = true
	p.mu.Unlock()
	return tab, nil
}

func (p *tabs) put(tab *pooledTab) {
	p.mu.Lock()
	p.free = append(p.free, tab)
	p.mu.Unlock()
}

// discard closes the tab and its browser context.
func (p *tabs) discard(tab *pooledTab) {
	p.mu.Lock()
	delete(p.open, tab)
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = cdp.Call(ctx, chromedp.FromContext(p.browser).Browser, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: tab.context})
}

// closeAll closes every tab of the pool, when the process's tests are over.
func (p *tabs) closeAll() {
	p.mu.Lock()
	all := make([]*pooledTab, 0, len(p.open))
	for tab := range p.open {
		all = append(all, tab)
	}
	p.mu.Unlock()
	for _, tab := range all {
		p.discard(tab)
	}
}

// empty takes what a test left behind out of its tab (see above) through
// the test's session ctx, still attached.
func (p *tabs) empty(ctx context.Context, tab *pooledTab, visited *origins) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	b := chromedp.FromContext(ctx).Browser
	// Other pages of the browser context: windows the test opened.
	infos, err := cdp.Call(ctx, b, target.GetTargets, target.GetTargetsParams{})
	if err != nil {
		return err
	}
	for _, info := range infos.TargetInfos {
		if info.BrowserContextID != tab.context || info.TargetID == tab.target || info.Type != "page" {
			continue
		}
		visited.add(info.URL)
		if _, err := cdp.Call(ctx, b, target.CloseTarget, target.CloseTargetParams{TargetID: info.TargetID}); err != nil {
			return fmt.Errorf("close the test's other page: %w", err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("leave the page: %w", err)
	}
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, page.ResetNavigationHistory, cdp.Empty{}); err != nil {
			return fmt.Errorf("forget the history: %w", err)
		}
		// Storage.clearDataForOrigin on the page's session clears the
		// storage of the page's browser context.
		for _, o := range visited.list() {
			if _, err := cdp.Call(ctx, t, storage.ClearDataForOrigin, storage.ClearDataForOriginParams{Origin: o, StorageTypes: "all"}); err != nil {
				return fmt.Errorf("clear the storage of %s: %w", o, err)
			}
		}
		if _, err := cdp.Call(ctx, t, network.ClearBrowserCache, cdp.Empty{}); err != nil {
			return fmt.Errorf("clear the cache: %w", err)
		}
		if _, err := cdp.Call(ctx, b, storage.ClearCookies, storage.ClearCookiesParams{BrowserContextID: tab.context}); err != nil {
			return fmt.Errorf("clear the cookies: %w", err)
		}
		if _, err := cdp.Call(ctx, b, cdpbrowser.ResetPermissions, cdpbrowser.ResetPermissionsParams{BrowserContextID: tab.context}); err != nil {
			return fmt.Errorf("reset the permissions: %w", err)
		}
		return nil
	}))
}

// origins is the set of the origins a tab's pages were on.
type origins struct {
	mu  sync.Mutex
	set map[string]bool
}

// note is a chromedp listener: it notes the origin of each document the
// tab's frames navigate to.
func (o *origins) note(ev any) {
	if ev, ok := ev.(*page.EventFrameNavigated); ok && ev.Frame != nil {
		o.add(ev.Frame.URL)
	}
}

// add notes the origin of an http(s) address.
func (o *origins) add(address string) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.set == nil {
		o.set = map[string]bool{}
	}
	o.set[u.Scheme+"://"+u.Host] = true
}

func (o *origins) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for s := range o.set {
		out = append(out, s)
	}
	return out
}
