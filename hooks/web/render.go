// Package web is what every Kopā page shares: the layout and templates, the
// visitor's language, security headers, the session cookie of organisers and
// volunteers, the embedded static files, and one way to handle a request:
// a handler reads its form with ParseForm (or a JSON body with ReadBody or
// DecodeJSON), both within MaxBody; signed-in forms are guarded by
// RequireCSRF; and whatever error a page route returns is shown as the
// error page in the visitor's language (JSON stays for /api/).
package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/settings"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/templates"
)

var (
	loadOnce sync.Once
	loadErr  error
	pages    map[string]*template.Template
	catalog  *i18n.Catalog
)

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	"paras": func(s string) []string { // plain text to paragraphs
		var out []string
		for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	},
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int) int { return a - b },
	"list": func(items ...string) []string { return items },
	"mul":  func(a, b int) int { return a * b },
	"dict": func(kv ...any) map[string]any { // {{template "x" (dict "L" .L "E" .)}}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				m[k] = kv[i+1]
			}
		}
		return m
	},
	"percent": func(part, whole int) int {
		if whole <= 0 {
			return 0
		}
		if part >= whole {
			return 100
		}
		return part * 100 / whole
	},
	"asset": Asset, // a /static/ file's versioned URL
	// langname is a language's own name ("Українська").
	"langname": func(lang string) string { return i18n.Names[lang] },
	// dir is a language's writing direction, for text in another language
	// than the page's (an event title that fell back to English).
	"dir": i18n.Dir,
}

// load parses the layout with every page below templates/pages once.
func load() error {
	loadOnce.Do(func() {
		catalog, loadErr = i18n.Load(templates.FS, "locales")
		if loadErr != nil {
			return
		}
		base, err := template.New("layout.html").Funcs(funcs).ParseFS(templates.FS, "layout.html", "partials/*.html")
		if err != nil {
			loadErr = fmt.Errorf("layout: %w", err)
			return
		}
		pages = map[string]*template.Template{}
		loadErr = fs.WalkDir(templates.FS, "pages", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path.Ext(p) != ".html" {
				return err
			}
			t, err := template.Must(base.Clone()).ParseFS(templates.FS, p)
			if err != nil {
				return fmt.Errorf("page %s: %w", p, err)
			}
			pages[strings.TrimSuffix(strings.TrimPrefix(p, "pages/"), ".html")] = t
			return nil
		})
	})
	return loadErr
}

// Catalog returns the message catalogues (for e-mails and other text made
// outside a request).
func Catalog() *i18n.Catalog {
	if err := load(); err != nil {
		panic(err)
	}
	return catalog
}

// Page is what every page template receives.
type Page struct {
	L    *i18n.Localizer
	Lang string
	// Dir is the writing direction of Lang: "rtl" for Arabic and Persian.
	Dir string
	// Langs are the languages the switcher offers: all of them on public
	// pages, the console's on the console.
	Langs []string
	Title string
	// Path is the request path, for the language switch: always a path on
	// this site (see LocalPath).
	Path string
	// CSRF is the token forms send back in a hidden "csrf" field.
	CSRF string
	// Auth is the signed-in organiser or volunteer, if any.
	Auth *core.Record
	// Scripts are extra script files (under /static/) the page loads.
	Scripts []string
	// Styles are extra stylesheets (under /static/) the page links.
	Styles []string
	// Wide lets a page use the full width (dashboards).
	Wide bool
	// Org is the organisation's settings: the footer shows its contact.
	Org  settings.Settings
	Data any
}

// IsOrganiser reports whether the page is shown to an organiser.
func (p *Page) IsOrganiser() bool {
	return domain.IsStaff(p.Auth)
}

// IsVolunteer reports whether the page is shown to a volunteer.
func (p *Page) IsVolunteer() bool {
	return domain.IsVolunteer(p.Auth)
}

// LocalPath makes a request path safe to link to: it always stays on this
// site. A path that begins with more than one slash or with a backslash
// ("/%2fevil.test" arrives as "//evil.test") would make a link such as
// "//evil.test?lang=en", which browsers open on another host; its leading
// slashes and backslashes become one slash.
func LocalPath(p string) string {
	return "/" + strings.TrimLeft(p, "/\\")
}

// NewPage prepares the data of a page for this request. title is a message id.
func NewPage(e *core.RequestEvent, title string, data any) *Page {
	lang := Lang(e)
	l := Catalog().For(lang)
	langs := i18n.Supported
	if IsConsole(e.Request.URL.Path) {
		langs = i18n.Console
	}
	return &Page{
		L: l, Lang: lang, Dir: l.Dir, Langs: langs, Title: l.T(title), Path: LocalPath(e.Request.URL.Path),
		CSRF: CSRFToken(e), Auth: e.Auth, Data: data, Org: settings.Load(e.App),
	}
}

// NewConsolePage is NewPage for a page of the organisers' console: wide,
// with the console's stylesheet and then styles, the page's own.
func NewConsolePage(e *core.RequestEvent, title string, data any, styles ...string) *Page {
	p := NewPage(e, title, data)
	p.Wide = true
	p.Styles = append([]string{"css/manage.css"}, styles...)
	return p
}

// Render writes a page from templates/pages/<name>.html inside the layout.
func Render(e *core.RequestEvent, status int, name string, p *Page) error {
	if err := load(); err != nil {
		return err
	}
	t, ok := pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		e.App.Logger().Error("render page", "page", name, "error", err)
		return e.InternalServerError("", nil)
	}
	e.Response.Header().Set("Content-Type", "text/html; charset=utf-8")
	e.Response.WriteHeader(status)
	_, err := e.Response.Write(buf.Bytes())
	return err
}

// Show renders a page with a title message id and data, status 200.
func Show(e *core.RequestEvent, name, title string, data any) error {
	return Render(e, http.StatusOK, name, NewPage(e, title, data))
}

// NotFound renders the friendly "not found" page in the visitor's language.
func NotFound(e *core.RequestEvent) error {
	return Render(e, http.StatusNotFound, "error", NewPage(e, "error.notfound.title", ErrorData{
		Heading: "error.notfound.title", Text: "error.notfound.text",
	}))
}

// ErrorPage renders an error page with the given status and message ids.
func ErrorPage(e *core.RequestEvent, status int, heading, text string) error {
	return Render(e, status, "error", NewPage(e, heading, ErrorData{Heading: heading, Text: text}))
}

// ErrorData is the error page's content: two message ids.
type ErrorData struct {
	Heading string
	Text    string
}

// HasPage reports whether a page template exists (tests and features use it).
func HasPage(name string) bool {
	if err := load(); err != nil {
		return false
	}
	_, ok := pages[name]
	return ok
}
