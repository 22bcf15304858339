package bulletins

import (
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/i18n"
)

// Mail templates of a bulletin. A subscriber's mail has the ref
// "<bulletin id>:<subscriber id>"; a test mail, which goes to the organiser
// who asked for it, "<bulletin id>:<language>".
const (
	mailBulletin     = "bulletin"
	mailBulletinTest = "bulletin_test"
)

// ErrSent is returned by Send for a bulletin that was sent already.
var ErrSent = errors.New("bulletins: the bulletin was sent already")

// Send queues bulletin id to every confirmed subscriber and marks it sent,
// in one transaction: the mails are one INSERT … SELECT into the outbox,
// written when each is sent, in the subscriber's language. A bulletin is
// sent once: ErrSent when it was sent already (nothing is queued), an
// error wrapping sql.ErrNoRows when there is no such bulletin. It returns
// how many mails it queued.
func Send(app core.App, id string) (int, error) {
	queued := 0
	err := app.RunInTransaction(func(tx core.App) error {
		// Transactions take turns (PocketBase runs them on one connection),
		// so two sends of one bulletin cannot both see a draft.
		b, err := tx.FindRecordById(ColBulletins, id)
		if err != nil {
			return err
		}
		if b.GetString("status") != BulletinDraft {
			return ErrSent
		}
		if err := checkSendable(b); err != nil {
			return err
		}
		b.Set("status", BulletinSent)
		b.Set("sent_at", types.NowDateTime())
		if err := tx.Save(b); err != nil {
			return err
		}
		queued, err = outbox.DeferBulk(tx, mailBulletin, mailBulletin,
			"SELECT [[email]] AS [[to]], {:bulletin} || ':' || [[id]] AS [[ref]] FROM {{"+ColSubscribers+"}} WHERE [[status]] = {:confirmed} ORDER BY [[id]]",
			dbx.Params{"bulletin": b.Id, "confirmed": StatusConfirmed})
		return err
	})
	if err != nil {
		return 0, err
	}
	return queued, nil
}

// checkSendable refuses a bulletin without its Latvian title or text (a
// record saved around the record API's checks).
func checkSendable(b *core.Record) error {
	errs := validation.Errors{}
	for _, f := range []string{"title_lv", "body_lv"} {
		if strings.TrimSpace(b.GetString(f)) == "" {
			errs[f] = validation.NewError("validation_required", "Cannot be blank.")
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Progress counts a bulletin's mails in the outbox by what became of them.
type Progress struct {
	Sent, Waiting, Failed, Skipped int
}

// Total is every mail queued.
func (p Progress) Total() int { return p.Sent + p.Waiting + p.Failed + p.Skipped }

// ProgressOf counts the mails of bulletin id. Its refs all start with the
// id, so the outbox's index on ref answers it.
func ProgressOf(app core.App, id string) (Progress, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	err := app.DB().NewQuery("SELECT [[status]], count(*) AS [[n]] FROM {{" + outbox.Collection + "}}" +
		" WHERE [[ref]] > {:lo} AND [[ref]] < {:hi} AND [[ref]] != '' AND [[kind]] = {:kind} GROUP BY [[status]]").
		Bind(dbx.Params{"lo": id + ":", "hi": id + ";", "kind": mailBulletin}).All(&rows)
	var p Progress
	if err != nil {
		return p, fmt.Errorf("bulletin progress: %w", err)
	}
	for _, r := range rows {
		switch r.Status {
		case outbox.StatusSent:
			p.Sent = r.N
		case outbox.StatusPending:
			p.Waiting = r.N
		case outbox.StatusFailed:
			p.Failed = r.N
		case outbox.StatusSkipped:
			p.Skipped = r.N
		}
	}
	return p, nil
}

// MailData is what the bulletin mail's templates receive.
type MailData struct {
	L *i18n.Localizer
	View
	// Text is the Latvian text as written (Markdown reads well as plain
	// text).
	Text string
	// URL is the bulletin in the archive, Unsubscribe the subscriber's
	// one-click link.
	URL, Unsubscribe, PrivacyURL string
	Test                         bool
}

// renderBulletin writes a subscriber's mail: their language's summary
// above the Latvian text, with the one-click unsubscribe headers. It is
// obsolete when the subscriber unsubscribed meanwhile, or the bulletin was
// deleted.
func renderBulletin(app core.App, ref string) (outbox.Message, error) {
	bid, sid, _ := strings.Cut(ref, ":")
	s, err := app.FindRecordById(ColSubscribers, sid)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.GetString("status") != StatusConfirmed) {
		return outbox.Message{}, outbox.ErrObsolete
	}
	if err != nil {
		return outbox.Message{}, err
	}
	b, err := app.FindRecordById(ColBulletins, bid)
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.Message{}, outbox.ErrObsolete
	}
	if err != nil {
		return outbox.Message{}, err
	}
	return bulletinMail(app, b, s.GetString("locale"), UnsubscribeURL(app, s), false)
}

// renderTest writes the test mail an organiser sends themselves: the mail
// a subscriber of the language gets, marked as a test. Its unsubscribe
// link leads nowhere.
func renderTest(app core.App, ref string) (outbox.Message, error) {
	bid, lang, _ := strings.Cut(ref, ":")
	b, err := app.FindRecordById(ColBulletins, bid)
	if err != nil {
		return outbox.Message{}, err
	}
	if !i18n.IsSupported(lang) {
		lang = "lv"
	}
	return bulletinMail(app, b, lang, baseURL(app)+"/b/unsubscribe/test", true)
}

func bulletinMail(app core.App, b *core.Record, lang, unsubscribe string, test bool) (outbox.Message, error) {
	l := web.Catalog().For(lang)
	base := baseURL(app)
	v := NewView(b, lang)
	v.Body = absolute(cachedBody(b), base)
	html, text, err := web.RenderMail(mailBulletin, MailData{
		L: l, View: v, Text: b.GetString("body_lv"),
		URL: base + "/bulletins/" + b.Id, Unsubscribe: unsubscribe, PrivacyURL: base + "/privacy", Test: test,
	})
	if err != nil {
		return outbox.Message{}, err
	}
	subject := v.Title
	if test {
		subject = l.T("bulletins.mail.test_prefix") + " " + subject
	}
	return outbox.Message{
		Subject: subject, Text: text, HTML: html, Kind: mailBulletin, Ref: b.Id,
		Headers: map[string]string{
			"List-Unsubscribe":      "<" + unsubscribe + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	}, nil
}

// bodyCache keeps the rendered text of the bulletin being sent: thousands
// of mails share it, and Markdown with its sanitiser is the dearest part
// of writing one.
var bodyCache struct {
	sync.Mutex
	key  string
	html template.HTML
}

func cachedBody(b *core.Record) template.HTML {
	key := b.Id + "@" + b.GetString("updated")
	bodyCache.Lock()
	defer bodyCache.Unlock()
	if bodyCache.key != key {
		bodyCache.key, bodyCache.html = key, RenderMarkdown(b.GetString("body_lv"))
	}
	return bodyCache.html
}

// absolute makes the site's own links and images in a bulletin's text
// (an uploaded image is "/api/files/…") full addresses, as a mail needs.
func absolute(h template.HTML, base string) template.HTML {
	return template.HTML(sitePath.ReplaceAllString(string(h), `${1}="`+base+`/${2}`)) // #nosec: sanitised by RenderMarkdown, only the site's address added
}

// sitePath is a src or href on this site: "/x", never "//host".
var sitePath = regexp.MustCompile(`\b(src|href)="/([^/])`)

// dbxStatus is a filter on a record's status.
func dbxStatus(status string) dbx.Expression { return dbx.HashExp{"status": status} }
