package web

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/http"
	"sync"
	texttemplate "text/template"

	"github.com/pocketbase/pocketbase/core"

	"kopa/templates"
)

// MaxBody is the largest request body a public JSON endpoint reads.
const MaxBody = 64 << 10

// ReadBody reads at most MaxBody bytes of the request; a larger body is a
// 413 in PocketBase's error shape with data.code "too_large".
func ReadBody(e *core.RequestEvent) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(e.Request.Body, MaxBody+1))
	if err != nil {
		return nil, e.BadRequestError("Could not read the request body.", nil)
	}
	if len(data) > MaxBody {
		return nil, CodeError(http.StatusRequestEntityTooLarge, "too_large", "The request body is larger than 64 KiB.")
	}
	return data, nil
}

type mailPair struct {
	html *htmltemplate.Template
	text *texttemplate.Template
	err  error
}

var (
	mailMu    sync.Mutex
	mailCache = map[string]*mailPair{}
)

// RenderMail fills templates/mail/<name>.html and <name>.txt (parsed once)
// with data and returns both bodies.
func RenderMail(name string, data any) (html, text string, err error) {
	mailMu.Lock()
	p, ok := mailCache[name]
	if !ok {
		p = &mailPair{}
		if p.html, p.err = htmltemplate.ParseFS(templates.FS, "mail/"+name+".html"); p.err == nil {
			p.text, p.err = texttemplate.ParseFS(templates.FS, "mail/"+name+".txt")
		}
		mailCache[name] = p
	}
	mailMu.Unlock()
	if p.err != nil {
		return "", "", p.err
	}
	var h, t bytes.Buffer
	if err := p.html.Execute(&h, data); err != nil {
		return "", "", fmt.Errorf("%s mail html: %w", name, err)
	}
	if err := p.text.Execute(&t, data); err != nil {
		return "", "", fmt.Errorf("%s mail text: %w", name, err)
	}
	return h.String(), t.String(), nil
}
