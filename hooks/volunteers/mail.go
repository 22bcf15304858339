package volunteers

import (
	"net/url"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// Fact is one "label: value" line of a mail.
type Fact struct{ Label, Value string }

// Link is a button (HTML) or a labelled address (text) in a mail.
type Link struct{ Label, URL string }

// MailData is what the volunteer mail templates receive: every volunteer
// mail is a greeting, paragraphs, facts, maybe a code, buttons and notes,
// already in the volunteer's language.
type MailData struct {
	L          *i18n.Localizer
	Title      string
	Greeting   string
	Paras      []string
	Facts      []Fact
	Code       string
	Buttons    []Link
	Notes      []string
	PrivacyURL string
}

// render fills both templates.
func (d MailData) render() (html, text string, err error) {
	return web.RenderMail("volunteer_mail", d)
}

// baseURL is the public address saved in PocketBase's settings.
func baseURL(app core.App) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/")
}

// localeOf is the volunteer's language, Latvian when unset.
func localeOf(v *core.Record) string {
	if l := v.GetString("locale"); i18n.IsSupported(l) {
		return l
	}
	return i18n.Default
}

// newMail starts a mail to volunteer v in their language.
func newMail(app core.App, v *core.Record) (MailData, *i18n.Localizer) {
	l := web.Catalog().For(localeOf(v))
	return MailData{
		L: l, Greeting: l.T("mail.greeting", "Name", v.GetString("name")),
		PrivacyURL: baseURL(app) + "/privacy",
	}, l
}

// pageURL is an absolute address of a page on this site, opened in lang.
func pageURL(app core.App, path string, query url.Values, lang string) string {
	if query == nil {
		query = url.Values{}
	}
	query.Set("lang", lang)
	return baseURL(app) + path + "?" + query.Encode()
}

// localizeAuthMails replaces PocketBase's English verification and
// one-time code mails of volunteers with Kopā's, in the volunteer's
// language and pointing at Kopā's own pages. They are then queued in the
// outbox like every other mail (see outbox's OnMailerSend hook).
func localizeAuthMails(app core.App) {
	app.OnMailerRecordVerificationSend(domain.Volunteers).Bind(&hook.Handler[*core.MailerRecordEvent]{
		Id: "kopaVolunteerVerificationMail",
		Func: func(e *core.MailerRecordEvent) error {
			token, _ := e.Meta["token"].(string)
			if err := fill(e, confirmMail(e.App, e.Record, token)); err != nil {
				return err
			}
			return e.Next()
		},
	})
	app.OnMailerRecordOTPSend(domain.Volunteers).Bind(&hook.Handler[*core.MailerRecordEvent]{
		Id: "kopaVolunteerOTPMail",
		Func: func(e *core.MailerRecordEvent) error {
			otpID, _ := e.Meta["otpId"].(string)
			code, _ := e.Meta["password"].(string)
			if err := fill(e, codeMail(e.App, e.Record, otpID, code)); err != nil {
				return err
			}
			return e.Next()
		},
	})
}

// fill puts a built mail into PocketBase's message.
func fill(e *core.MailerRecordEvent, d MailData) error {
	html, text, err := d.render()
	if err != nil {
		return err
	}
	e.Message.Subject = d.Title
	e.Message.HTML = html
	e.Message.Text = text
	return nil
}

// confirmMail asks a new volunteer to confirm the address and choose a
// password.
func confirmMail(app core.App, v *core.Record, token string) MailData {
	d, l := newMail(app, v)
	d.Title = l.T("vmail.confirm.subject")
	d.Paras = []string{l.T("vmail.confirm.lead"), l.T("vmail.confirm.action")}
	d.Buttons = []Link{{l.T("vmail.confirm.button"), pageURL(app, "/volunteer/confirm", url.Values{"token": {token}}, l.Lang)}}
	d.Notes = []string{l.T("vmail.confirm.expires"), l.T("vmail.not_you")}
	return d
}

// codeMail carries a one-time login code.
func codeMail(app core.App, v *core.Record, otpID, code string) MailData {
	d, l := newMail(app, v)
	d.Title = l.T("vmail.code.subject", "Code", code)
	d.Paras = []string{l.T("vmail.code.lead")}
	d.Code = code
	d.Buttons = []Link{{l.T("vmail.code.button"), pageURL(app, "/volunteer/login-code", url.Values{"otp": {otpID}}, l.Lang)}}
	d.Notes = []string{l.T("vmail.code.expires", "Minutes", otpMinutes(app)), l.T("vmail.not_you")}
	return d
}

// alreadyMail tells the owner of an address that signed up again that
// they have an account, and how to log in.
func alreadyMail(app core.App, v *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	d.Title = l.T("vmail.already.subject")
	d.Paras = []string{l.T("vmail.already.lead"), l.T("vmail.already.action")}
	d.Buttons = []Link{
		{l.T("vmail.already.login"), pageURL(app, "/manage/login", url.Values{"next": {"/volunteer/me"}}, l.Lang)},
		{l.T("vmail.already.code"), pageURL(app, "/volunteer/login-code", nil, l.Lang)},
	}
	d.Notes = []string{l.T("vmail.not_you")}
	return message(v, "volunteer_already", v.Id, d)
}

// message makes an outbox message to volunteer v from a built mail.
func message(v *core.Record, kind, ref string, d MailData) (outbox.Message, error) {
	html, text, err := d.render()
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{To: v.Email(), Subject: d.Title, HTML: html, Text: text, Kind: kind, Ref: ref}, nil
}

// otpMinutes is how long a one-time code stays valid.
func otpMinutes(app core.App) int {
	col, err := app.FindCachedCollectionByNameOrId(domain.Volunteers)
	if err != nil || col.OTP.Duration <= 0 {
		return 3
	}
	return int((col.OTP.Duration + 59) / 60)
}
