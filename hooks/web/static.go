package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/pb_public"
)

const (
	// cacheVersioned is for a static file asked for with its content's
	// version (?v=): that URL never serves other bytes.
	cacheVersioned = "public, max-age=31536000, immutable"
	// cacheUnversioned is for the same file asked for without it (the
	// scanner's service worker, a script loading another): short, so a new
	// release reaches every browser within the hour.
	cacheUnversioned = "public, max-age=3600"
)

var (
	versionsOnce sync.Once
	versions     map[string]string
)

// assetVersions maps every embedded static file (its path below /static/)
// to a short hash of its content, computed once.
func assetVersions() map[string]string {
	versionsOnce.Do(func() {
		versions = map[string]string{}
		_ = fs.WalkDir(pb_public.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := pb_public.FS.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			versions[p] = hex.EncodeToString(sum[:6])
			return nil
		})
	})
	return versions
}

// Asset is the URL of a static file with its content's version, such as
// /static/css/kopa.css?v=1a2b3c4d5e6f. Browsers keep it for a year; a new
// release changes the URL of every file that changed. p is the path below
// /static/; a file that is not embedded gets its plain URL.
func Asset(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if v, ok := assetVersions()[p]; ok {
		return "/static/" + p + "?v=" + v
	}
	return "/static/" + p
}

// serveStatic serves the embedded files under /static/: a year's cache for
// the current version's URL, an hour's for any other.
func serveStatic() func(*core.RequestEvent) error {
	static, _ := fs.Sub(pb_public.FS, ".")
	serve := apis.Static(static, false)
	return func(e *core.RequestEvent) error {
		cc := cacheUnversioned
		if v := e.Request.URL.Query().Get("v"); v != "" && v == assetVersions()[e.Request.PathValue("path")] {
			cc = cacheVersioned
		}
		e.Response.Header().Set("Cache-Control", cc)
		return serve(e)
	}
}

// compressMinLength is the size below which a response goes out as it is:
// gzip's frame would eat most of what it saves.
const compressMinLength = 1024

// compress gzips pages, stylesheets, scripts and downloads for browsers
// that accept it. It leaves alone:
//   - /api/: JSON for scripts, the live dashboard's WebSocket and
//     PocketBase's realtime stream, which must reach the client as written;
//   - /_/: PocketBase's admin UI compresses itself;
//   - any protocol upgrade (a WebSocket elsewhere) and range requests;
//   - images and files that are compressed already (the ticket's QR code,
//     .xlsx downloads).
//
// Pages that hold a secret (the CSRF token) are compressed too: the
// session and CSRF cookies are SameSite=Lax, so another site's page cannot
// load them with the cookies (only open them, one visible page at a time),
// and guessing a secret from compressed sizes takes thousands of loads.
func compress() *hook.Handler[*core.RequestEvent] {
	gz := apis.GzipWithConfig(apis.GzipConfig{MinLength: compressMinLength})
	return &hook.Handler[*core.RequestEvent]{
		Id: "kopaGzip",
		Func: func(e *core.RequestEvent) error {
			if !compressible(e) {
				return e.Next()
			}
			return gz.Func(e)
		},
	}
}

// precompressed are the endings of files that gzip cannot make smaller.
var precompressed = []string{".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".zip", ".xlsx", ".pdf"}

func compressible(e *core.RequestEvent) bool {
	p := e.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/_/") || p == "/_" {
		return false
	}
	h := e.Request.Header
	if h.Get("Upgrade") != "" || h.Get("Range") != "" {
		return false
	}
	for _, ext := range precompressed {
		if strings.HasSuffix(p, ext) {
			return false
		}
	}
	return true
}
