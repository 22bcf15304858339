package web

import (
	"html/template"
	"testing"
)

// TestMailLinks: a web address in a mail's note becomes a link; the rest
// of the text, and the address itself, stay escaped, and the punctuation
// that ends a sentence is not part of the address.
func TestMailLinks(t *testing.T) {
	links := mailFuncs["links"].(func(string) template.HTML)
	for in, want := range map[string]string{
		"No address here.": "No address here.",
		"Answer on your page: https://kopa.example.org/volunteer/me": `Answer on your page: <a href="https://kopa.example.org/volunteer/me" style="color:#1d4e89;">https://kopa.example.org/volunteer/me</a>`,
		"Open http://127.0.0.1:8090/i/abc?a=decline&lang=ru.":        `Open <a href="http://127.0.0.1:8090/i/abc?a=decline&amp;lang=ru" style="color:#1d4e89;">http://127.0.0.1:8090/i/abc?a=decline&amp;lang=ru</a>.`,
		`<b>"x"</b> https://a.example/"onmouseover="x`:               `&lt;b&gt;&#34;x&#34;&lt;/b&gt; <a href="https://a.example/" style="color:#1d4e89;">https://a.example/</a>&#34;onmouseover=&#34;x`,
		"javascript:alert(1) ftp://a.example":                        "javascript:alert(1) ftp://a.example",
	} {
		if got := string(links(in)); got != want {
			t.Errorf("links(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}
