package web

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"path"
	"regexp"
	"strings"
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
		file := "mail/" + name + ".html"
		if p.html, p.err = htmltemplate.New(path.Base(file)).Funcs(mailFuncs).ParseFS(templates.FS, file); p.err == nil {
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

// addressInText is a web address in a mail's prose: http or https, up to a
// space or a quote, without the punctuation that ends a sentence.
var addressInText = regexp.MustCompile(`https?://[^\s<>"']*[^\s<>"'.,;:!?)]`)

// mailFuncs are the helpers the HTML part of a mail may call.
var mailFuncs = htmltemplate.FuncMap{
	// links escapes a text and makes each web address in it a link: an
	// address a mail names is one a reader opens with a tap. The text
	// part shows the same address as it is.
	"links": func(s string) htmltemplate.HTML {
		var b strings.Builder
		last := 0
		for _, m := range addressInText.FindAllStringIndex(s, -1) {
			b.WriteString(htmltemplate.HTMLEscapeString(s[last:m[0]]))
			u := htmltemplate.HTMLEscapeString(s[m[0]:m[1]])
			fmt.Fprintf(&b, `<a href="%s" style="color:#1d4e89;">%s</a>`, u, u)
			last = m[1]
		}
		b.WriteString(htmltemplate.HTMLEscapeString(s[last:]))
		return htmltemplate.HTML(b.String())
	},
}
