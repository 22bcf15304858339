package volunteers

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/i18n"
	"kopa/templates"
)

var (
	mailOnce sync.Once
	mailErr  error
	mailHTML *htmltemplate.Template
	mailText *texttemplate.Template
)

// Button is a link in a mail.
type Button struct{ Text, URL string }

// notice is a short mail: a greeting, some lines and buttons.
type notice struct {
	L                  *i18n.Localizer
	Subject, Greeting  string
	Lines              []string
	Buttons            []Button
	Footer, PrivacyURL string
}

func base(app core.App) string { return strings.TrimRight(app.Settings().Meta.AppURL, "/") }

func localeOf(r *core.Record) string {
	if l := r.GetString("locale"); i18n.IsSupported(l) {
		return l
	}
	return i18n.Default
}

// queueNotice renders a notice in the volunteer's language and queues it
// with app (pass the transaction's app).
func queueNotice(app core.App, to *core.Record, kind, subject string, lines []string, buttons []Button) error {
	mailOnce.Do(func() {
		if mailHTML, mailErr = htmltemplate.ParseFS(templates.FS, "mail/notice.html"); mailErr == nil {
			mailText, mailErr = texttemplate.ParseFS(templates.FS, "mail/notice.txt")
		}
	})
	if mailErr != nil {
		return mailErr
	}
	l := web.Catalog().For(localeOf(to))
	n := notice{L: l, Subject: subject, Greeting: l.T("mail.greeting", "Name", to.GetString("name")), Lines: lines, Buttons: buttons,
		Footer: l.T("vol.mail.footer"), PrivacyURL: base(app) + "/privacy"}
	var h, t bytes.Buffer
	if err := mailHTML.Execute(&h, n); err != nil {
		return err
	}
	if err := mailText.Execute(&t, n); err != nil {
		return err
	}
	if _, err := outbox.Enqueue(app, outbox.Message{To: to.Email(), Subject: subject, HTML: h.String(), Text: t.String(), Kind: kind, Ref: to.Id}); err != nil {
		return fmt.Errorf("queue %s: %w", kind, err)
	}
	return nil
}
