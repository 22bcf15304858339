package manage

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/security"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/contact"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/ids"
)

// Organiser accounts. An organiser invites another from the console: the
// account is made (unconfirmed, with a password nobody knows) and mailed a
// link to choose a password. A forgotten password is reset the same way,
// from the login page. Both links carry PocketBase's own password-reset
// token (signed with the account's token key, so a new password ends the
// link, and every session); an invitation's lasts InviteValid, a reset's
// as long as the organisers collection says (30 minutes by default). The
// page behind the link, /manage/reset, does what PocketBase's
// confirm-password-reset does. The mails go through the outbox as raw
// mails, like PocketBase's own, stored whole since the token cannot be
// made again; PocketBase's own reset request
// (POST /api/collections/organisers/request-password-reset) sends Kopā's
// mail too.

// InviteValid is how long an invitation's link works: a colleague may not
// read their mail the same day.
const InviteValid = 7 * 24 * time.Hour

// The length of a password, in characters and bytes (bcrypt reads 72).
const (
	minPassword = 8
	maxPassword = 71
)

// Kinds of the organisers' account mails in the outbox.
const (
	mailOrganiserInvite = "organiser_invite"
	mailPasswordReset   = "password_reset"
)

// accountMail is the data of the shared mail layout (templates/mail/
// volunteer_mail).
type accountMail struct {
	L          *i18n.Localizer
	Title      string
	Greeting   string
	Paras      []string
	Facts      []struct{ Label, Value string }
	Code       string
	Buttons    []struct{ Label, URL string }
	Notes      []string
	PrivacyURL string
	Footer     string
}

// passwordMail writes the mail with the link to choose a password: an
// invitation (from is the inviting organiser's name) or a reset (from
// empty).
func passwordMail(app core.App, rec *core.Record, token, lang, from string) (outbox.Message, error) {
	d, base := newAccountMail(app, rec, lang)
	l := d.L
	link := base + "/manage/reset?" + url.Values{"token": {token}, "lang": {lang}}.Encode()
	kind := mailPasswordReset
	if from != "" {
		kind = mailOrganiserInvite
		d.Title = l.T("manage.omail.invite.subject")
		d.Paras = []string{l.T("manage.omail.invite.lead", "Name", from), l.T("manage.omail.invite.action")}
		d.Buttons = []struct{ Label, URL string }{{l.T("manage.omail.invite.button"), link}}
		d.Notes = []string{l.T("manage.omail.invite.expires", "Days", int(InviteValid/(24*time.Hour)))}
	} else {
		d.Title = l.T("manage.omail.reset.subject")
		d.Paras = []string{l.T("manage.omail.reset.lead")}
		d.Buttons = []struct{ Label, URL string }{{l.T("manage.omail.reset.button"), link}}
		d.Notes = []string{l.T("manage.omail.reset.expires"), l.T("manage.omail.reset.not_you")}
	}
	html, text, err := d.render()
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{To: rec.Email(), Subject: d.Title, HTML: html, Text: text, Kind: kind, Ref: rec.Id}, nil
}

// newAccountMail starts a mail to the organiser rec in lang, with its
// greeting, privacy link and footer; base is the site's public address.
func newAccountMail(app core.App, rec *core.Record, lang string) (d accountMail, base string) {
	l := web.Catalog().For(lang)
	base = strings.TrimRight(app.Settings().Meta.AppURL, "/")
	return accountMail{L: l, Greeting: l.T("mail.greeting", "Name", rec.GetString("name")), PrivacyURL: base + "/privacy", Footer: l.T("manage.omail.footer")}, base
}

// render writes the mail's HTML and text parts.
func (d accountMail) render() (html, text string, err error) {
	return web.RenderMail("volunteer_mail", d)
}

// inviteToken is PocketBase's password-reset token of rec, valid for
// InviteValid: PocketBase's confirm-password-reset takes it as any other.
func inviteToken(rec *core.Record) (string, error) {
	return security.NewJWT(map[string]any{
		core.TokenClaimType:         core.TokenTypePasswordReset,
		core.TokenClaimId:           rec.Id,
		core.TokenClaimCollectionId: rec.Collection().Id,
		core.TokenClaimEmail:        rec.Email(),
	}, rec.TokenKey()+rec.Collection().PasswordResetToken.Secret, InviteValid)
}

// localizeResetMail replaces PocketBase's own reset mail of organisers
// (its record API's request-password-reset) with Kopā's, in Latvian,
// pointing at /manage/reset. It is then queued as a raw mail by the
// outbox's OnMailerSend hook.
func localizeResetMail(app core.App) {
	app.OnMailerRecordPasswordResetSend(domain.Organisers).Bind(&hook.Handler[*core.MailerRecordEvent]{
		Id: "kopaOrganiserResetMail",
		Func: func(e *core.MailerRecordEvent) error {
			token, _ := e.Meta["token"].(string)
			msg, err := passwordMail(e.App, e.Record, token, i18n.Default, "")
			if err != nil {
				return err
			}
			e.Message.Subject, e.Message.HTML, e.Message.Text = msg.Subject, msg.HTML, msg.Text
			return e.Next()
		},
	})
}

// localizeCodeMail replaces PocketBase's English one-time code mail of
// organisers (the console's two-step sign-in, see web's loginSendCode) with
// Kopā's, in the login page's language (Latvian when the code was asked for
// through PocketBase's API). It is then queued as a raw mail.
func localizeCodeMail(app core.App) {
	app.OnMailerRecordOTPSend(domain.Organisers).Bind(&hook.Handler[*core.MailerRecordEvent]{
		Id: "kopaOrganiserCodeMail",
		Func: func(e *core.MailerRecordEvent) error {
			otpID, _ := e.Meta["otpId"].(string)
			code, _ := e.Meta["password"].(string)
			lang := web.CodeLang(otpID)
			if lang == "" {
				lang = i18n.Default
			}
			d, _ := newAccountMail(e.App, e.Record, lang)
			l := d.L
			d.Title, d.Paras, d.Code = l.T("manage.omail.code.subject"), []string{l.T("manage.omail.code.lead")}, code
			minutes := int(e.Record.Collection().OTP.Duration / 60)
			d.Notes = []string{l.T("manage.omail.code.expires", "Minutes", minutes), l.T("manage.omail.code.not_you")}
			html, text, err := d.render()
			if err != nil {
				return err
			}
			e.Message.Subject, e.Message.HTML, e.Message.Text = d.Title, html, text
			return e.Next()
		},
	})
}

// OrganisersData is what /manage/organisers shows.
type OrganisersData struct {
	Organisers []OrganiserRow
	Name       string
	Email      string
	Errors     map[string]string
	Invited    string
}

// OrganiserRow is one organiser in the list.
type OrganiserRow struct {
	Name, Email string
	// Invited: they have not chosen a password yet.
	Invited bool
}

func organisersPage(e *core.RequestEvent) error {
	return showOrganisers(e, http.StatusOK, OrganisersData{Invited: e.Request.URL.Query().Get("invited")})
}

func showOrganisers(e *core.RequestEvent, status int, d OrganisersData) error {
	recs, err := e.App.FindAllRecords(domain.Organisers)
	if err != nil {
		return err
	}
	for _, r := range recs {
		d.Organisers = append(d.Organisers, OrganiserRow{Name: r.GetString("name"), Email: r.Email(), Invited: !r.Verified()})
	}
	if d.Invited != "" {
		if _, err := contact.Email(d.Invited); err != nil {
			d.Invited = ""
		}
	}
	return web.Render(e, status, "manage/organisers", web.NewConsolePage(e, "manage.org.title", d))
}

// organiserInvite makes the account and queues its invitation in one
// transaction: no account without its mail.
func organiserInvite(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	d := OrganisersData{Name: f.Get("name"), Email: f.Get("email"), Errors: map[string]string{}}
	name, errName := contact.Name(d.Name)
	email, errEmail := contact.Email(d.Email)
	if errName != nil {
		d.Errors["name"] = "manage.org.error.name"
	}
	if errEmail != nil || email == "" {
		d.Errors["email"] = "manage.org.error.email"
	}
	if len(d.Errors) == 0 {
		if _, err := e.App.FindAuthRecordByEmail(domain.Organisers, email); err == nil {
			d.Errors["email"] = "manage.org.error.exists"
		}
	}
	if len(d.Errors) > 0 {
		return showOrganisers(e, http.StatusBadRequest, d)
	}
	from := e.Auth.GetString("name")
	if from == "" {
		from = e.Auth.Email()
	}
	lang := web.Lang(e)
	err = e.App.RunInTransaction(func(tx core.App) error {
		col, err := tx.FindCachedCollectionByNameOrId(domain.Organisers)
		if err != nil {
			return err
		}
		rec := core.NewRecord(col)
		rec.Set("name", name)
		rec.SetEmail(email)
		rec.SetVerified(false)
		// A password nobody knows until they choose their own.
		rec.SetPassword(string(ids.Random(40, ids.Alphabet)))
		if err := tx.Save(rec); err != nil {
			return err
		}
		token, err := inviteToken(rec)
		if err != nil {
			return err
		}
		msg, err := passwordMail(tx, rec, token, lang, from)
		if err != nil {
			return err
		}
		_, err = outbox.EnqueueRaw(tx, msg)
		return err
	})
	if err != nil {
		var verr validation.Errors
		if errors.As(err, &verr) {
			d.Errors["email"] = "manage.org.error.email"
			return showOrganisers(e, http.StatusBadRequest, d)
		}
		return err
	}
	e.App.Logger().Info("organiser invited", "by", e.Auth.Id)
	return e.Redirect(http.StatusSeeOther, "/manage/organisers?invited="+url.QueryEscape(email))
}

// ForgotData is what /manage/forgot shows.
type ForgotData struct {
	Email string
	Sent  bool
	Error string
}

func forgotPage(e *core.RequestEvent) error {
	return web.Show(e, "manage/forgot", "manage.forgot.title", ForgotData{})
}

// forgotSubmit mails an organiser a link to choose a new password. The
// answer is the same whether the address is an organiser's or not.
func forgotSubmit(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	d := ForgotData{Email: strings.TrimSpace(f.Get("email"))}
	if !web.CheckCSRF(e) {
		d.Error = "error.csrf"
		return web.Render(e, http.StatusBadRequest, "manage/forgot", web.NewPage(e, "manage.forgot.title", d))
	}
	email, err := contact.Email(d.Email)
	if err != nil || email == "" {
		d.Error = "manage.forgot.error.email"
		return web.Render(e, http.StatusBadRequest, "manage/forgot", web.NewPage(e, "manage.forgot.title", d))
	}
	if rec, err := e.App.FindAuthRecordByEmail(domain.Organisers, email); err == nil {
		token, err := rec.NewPasswordResetToken()
		if err != nil {
			return err
		}
		msg, err := passwordMail(e.App, rec, token, web.Lang(e), "")
		if err != nil {
			return err
		}
		if _, err := outbox.EnqueueRaw(e.App, msg); err != nil {
			return err
		}
	}
	d.Sent = true
	return web.Show(e, "manage/forgot", "manage.forgot.title", d)
}

// ResetData is what /manage/reset shows.
type ResetData struct {
	Token  string
	Bad    bool // the link is unknown, used or expired
	Errors map[string]string
}

// resetAccount is the organiser a reset link is for, or nil.
func resetAccount(app core.App, token string) *core.Record {
	if token == "" || len(token) > 2048 {
		return nil
	}
	rec, err := app.FindAuthRecordByToken(token, core.TokenTypePasswordReset)
	if err != nil || rec.Collection().Name != domain.Organisers {
		return nil
	}
	return rec
}

func resetPage(e *core.RequestEvent) error {
	token := e.Request.URL.Query().Get("token")
	e.Response.Header().Set("Referrer-Policy", "no-referrer")
	d := ResetData{Token: token, Bad: resetAccount(e.App, token) == nil}
	status := http.StatusOK
	if d.Bad {
		status = http.StatusBadRequest
	}
	return web.Render(e, status, "manage/reset", web.NewPage(e, "manage.reset.title", d))
}

// resetSubmit sets the organiser's new password, as PocketBase's
// confirm-password-reset does: the address is confirmed with it, and the
// new password ends the link and every session of the account.
func resetSubmit(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	d := ResetData{Token: f.Get("token"), Errors: map[string]string{}}
	fail := func() error {
		return web.Render(e, http.StatusBadRequest, "manage/reset", web.NewPage(e, "manage.reset.title", d))
	}
	if !web.CheckCSRF(e) {
		d.Errors["password"] = "error.csrf"
		return fail()
	}
	rec := resetAccount(e.App, d.Token)
	if rec == nil {
		d.Bad = true
		return fail()
	}
	pw, again := f.Get("password"), f.Get("password_again")
	switch {
	case utf8.RuneCountInString(pw) < minPassword || len(pw) > maxPassword:
		d.Errors["password"] = "manage.reset.error.length"
	case pw != again:
		d.Errors["password_again"] = "manage.reset.error.again"
	}
	if len(d.Errors) > 0 {
		return fail()
	}
	rec.SetPassword(pw)
	// The link was mailed to the address: it is confirmed now.
	rec.SetVerified(true)
	// A new token key ends the link and every older token of the account.
	rec.RefreshTokenKey()
	if err := e.App.Save(rec); err != nil {
		d.Errors["password"] = "manage.reset.error.length"
		return fail()
	}
	e.App.Logger().Info("organiser password set", "organiser", rec.Id)
	return e.Redirect(http.StatusSeeOther, "/manage/login?reset=1")
}
