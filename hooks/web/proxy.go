package web

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// forwardingHeaders are the headers reverse proxies and CDNs add with the
// visitor's address.
var forwardingHeaders = []string{"X-Forwarded-For", "X-Real-IP", "Forwarded", "CF-Connecting-IP", "True-Client-IP", "Fastly-Client-IP", "X-Client-IP"}

// proxyWarningFor is how long one request through an untrusted proxy keeps
// the console's warning up.
const proxyWarningFor = 24 * time.Hour

const proxyWatchKey = "kopa.proxyWatch"

// proxySighting is a request that came through a proxy PocketBase does not
// trust: when, and which forwarding headers it had.
type proxySighting struct {
	at      time.Time
	headers []string
}

// proxyWatch remembers the last such request of one app.
type proxyWatch struct{ last atomic.Pointer[proxySighting] }

// watchProxy returns a middleware that notices requests reaching Kopā
// through a reverse proxy that PocketBase has not been told to trust
// (Settings → Application → IP proxy headers). Behind such a proxy every
// visitor has the proxy's address, so the per-address rate limits apply to
// everyone at once. The console reads it with UntrustedProxy.
//
// Only requests from a loopback or private address count: anyone on the
// internet can send an X-Forwarded-For header, and a warning they could
// raise would ask the organisers to trust a header that nobody controls.
// A request costs a few header lookups; the sighting is written at most
// once a minute.
func watchProxy(app core.App) func(*core.RequestEvent) error {
	w := &proxyWatch{}
	app.Store().Set(proxyWatchKey, w)
	return func(e *core.RequestEvent) error {
		w.note(e.Request, e.App.Settings().TrustedProxy.Headers)
		return e.Next()
	}
}

func (w *proxyWatch) note(r *http.Request, trusted []string) {
	found := false
	for _, h := range forwardingHeaders {
		if r.Header.Get(h) != "" {
			found = true
			break
		}
	}
	if !found {
		return
	}
	for _, h := range trusted {
		if r.Header.Get(h) != "" {
			return // PocketBase reads the visitor's address from it
		}
	}
	if !fromNearby(r.RemoteAddr) {
		return
	}
	now := time.Now()
	if last := w.last.Load(); last != nil && now.Sub(last.at) < time.Minute {
		return
	}
	var seen []string
	for _, h := range forwardingHeaders {
		if r.Header.Get(h) != "" {
			seen = append(seen, h)
		}
	}
	w.last.Store(&proxySighting{at: now, headers: seen})
}

// fromNearby reports whether addr (host:port) is a loopback or private
// address, where a reverse proxy in front of Kopā connects from.
func fromNearby(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate()
}

// UntrustedProxy returns the forwarding headers of the requests that reached
// app through a reverse proxy in the last day while none of those headers
// is trusted in PocketBase's settings; nil when there were none or the
// setting now names one of them.
func UntrustedProxy(app core.App) []string {
	w, ok := app.Store().Get(proxyWatchKey).(*proxyWatch)
	if !ok {
		return nil
	}
	last := w.last.Load()
	if last == nil || time.Since(last.at) > proxyWarningFor {
		return nil
	}
	for _, h := range app.Settings().TrustedProxy.Headers {
		if slices.ContainsFunc(last.headers, func(s string) bool { return strings.EqualFold(s, strings.TrimSpace(h)) }) {
			return nil
		}
	}
	return last.headers
}
