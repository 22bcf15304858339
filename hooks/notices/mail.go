package notices

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/i18n"
)

// Change is one line of a change notice: what changed, from and to.
type Change struct{ Label, Old, New string }

// Fact is a "label: value" line; Link a button (HTML) or a labelled
// address (text).
type (
	Fact struct{ Label, Value string }
	Link struct{ Label, URL string }
)

// MailData is what the notice mail templates (templates/mail/notice.*)
// receive, already in the reader's language. Body is an organiser's plain
// text as paragraphs of lines: the templates escape every line, and the
// HTML part breaks them with <br> and makes its web addresses links, so
// what was typed is what is read.
type MailData struct {
	L          *i18n.Localizer
	Title      string
	Greeting   string
	Paras      []string
	Changes    []Change
	Body       [][]string
	Facts      []Fact
	Buttons    []Link
	Notes      []string
	Footer     string
	PrivacyURL string
}

// message renders d as a mail of kind about ref, with its attachments.
func (d MailData) message(kind, ref string, atts ...outbox.Attachment) (outbox.Message, error) {
	html, text, err := web.RenderMail("notice", d)
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{Subject: d.Title, HTML: html, Text: text, Attachments: atts, Kind: kind, Ref: ref}, nil
}

// newMail starts a mail in lang (Latvian when lang is not one Kopā speaks).
func newMail(app core.App, lang string) (MailData, *i18n.Localizer) {
	if !i18n.IsSupported(lang) {
		lang = i18n.Default
	}
	l := web.Catalog().For(lang)
	return MailData{L: l, PrivacyURL: baseURL(app) + "/privacy"}, l
}

// baseURL is the public address saved in PocketBase's settings.
func baseURL(app core.App) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/")
}

// Paragraphs splits plain text into paragraphs (at blank lines) of lines,
// dropping the spaces around them.
func Paragraphs(s string) [][]string {
	var out [][]string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		var lines []string
		for _, line := range strings.Split(p, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				lines = append(lines, line)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}
