package web

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"sync"
	texttemplate "text/template"

	"kopa/templates"
)

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
