package bulletins

import (
	"bytes"
	"html/template"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	md = goldmark.New(goldmark.WithExtensions(extension.GFM))
	// policy keeps what Markdown writes (headings, lists, links, images,
	// tables) and drops anything else: raw HTML in a bulletin's text is not
	// passed on, neither to the pages nor to the mails.
	policy     *bluemonday.Policy
	policyOnce sync.Once
)

// RenderMarkdown turns a bulletin's Markdown text into sanitised HTML.
func RenderMarkdown(src string) template.HTML {
	policyOnce.Do(func() {
		policy = bluemonday.UGCPolicy()
		policy.RequireNoFollowOnLinks(false)
	})
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark writes to memory; an error leaves the text escaped.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitised by bluemonday
}
