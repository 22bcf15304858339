package bulletins

import (
	"database/sql"
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/i18n"
)

// apiSubscribe is POST /api/bulletins/subscribe {"email","locale"}: 202
// whoever the address is, 400 for a malformed address or an unknown
// language.
func apiSubscribe(e *core.RequestEvent) error {
	req, err := web.DecodeJSON(e, decodeRequest)
	if err != nil {
		return err
	}
	if err := Subscribe(e.App, req, SourceForm); err != nil {
		return subscribeError(e, err)
	}
	return e.JSON(http.StatusAccepted, map[string]any{"ok": true})
}

// decodeRequest reads {"email","locale"}; the locale defaults to the
// visitor's language.
func decodeRequest(data []byte, defaultLocale string) (Request, error) {
	req := Request{Locale: defaultLocale}
	o, err := web.ParseJSONObject(data)
	if err != nil {
		return req, err
	}
	o.Field("email", &req.Email, "Must be a string.")
	o.Field("locale", &req.Locale, "Must be a string.")
	return req, o.Check(req.Check)
}

// subscribeError is a 400 for input errors; anything else is logged and a
// 500 without details.
func subscribeError(e *core.RequestEvent, err error) error {
	var verrs validation.Errors
	if errors.As(err, &verrs) {
		return e.BadRequestError("Please check the highlighted fields.", verrs)
	}
	e.App.Logger().Error("bulletins: subscribe", "error", err)
	return e.InternalServerError("", nil)
}

// formData is the subscribe page's content.
type formData struct {
	Email, Locale string
	Locales       []string
	Errors        map[string]string // field → message id
}

func subscribePage(e *core.RequestEvent) error {
	return showForm(e, http.StatusOK, formData{Locale: web.Lang(e)})
}

func showForm(e *core.RequestEvent, status int, d formData) error {
	d.Locales = i18n.Supported
	return web.Render(e, status, "bulletins/subscribe", web.NewPage(e, "bulletins.subscribe.title", d))
}

// subscribeSubmit is the form's POST: the same "check your mail" page for
// every good address, the form again with the errors otherwise.
func subscribeSubmit(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	d := formData{Email: f.Get("email"), Locale: f.Get("locale")}
	if !web.CheckCSRF(e) {
		d.Errors = map[string]string{"form": "bulletins.error.expired"}
		return showForm(e, http.StatusForbidden, d)
	}
	req := Request{Email: d.Email, Locale: d.Locale}
	if err := Subscribe(e.App, req, SourceForm); err != nil {
		var verrs validation.Errors
		if !errors.As(err, &verrs) {
			return subscribeError(e, err)
		}
		d.Errors = map[string]string{}
		for k := range verrs {
			d.Errors[k] = "bulletins.error." + k
		}
		return showForm(e, http.StatusBadRequest, d)
	}
	return web.Show(e, "bulletins/check_mail", "bulletins.check_mail.title", nil)
}

// confirmLink is GET /b/confirm/{token}: opening the link in the mail
// confirms the subscription (again: nothing changes).
func confirmLink(e *core.RequestEvent) error {
	s, err := Confirm(e.App, e.Request.PathValue("token"))
	if errors.Is(err, sql.ErrNoRows) {
		return web.ErrorPage(e, http.StatusNotFound, "bulletins.confirm.gone.title", "bulletins.confirm.gone.text")
	}
	if err != nil {
		e.App.Logger().Error("bulletins: confirm", "error", err)
		return e.InternalServerError("", nil)
	}
	return web.Show(e, "bulletins/confirmed", "bulletins.confirmed.title", map[string]string{"Token": s.GetString("token")})
}

// unsubscribePage is GET /b/unsubscribe/{token}: a button, since mail
// scanners open links.
func unsubscribePage(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	if _, err := byToken(e.App, token); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return web.Show(e, "bulletins/unsubscribed", "bulletins.unsubscribed.title", nil)
		}
		e.App.Logger().Error("bulletins: unsubscribe page", "error", err)
		return e.InternalServerError("", nil)
	}
	return web.Show(e, "bulletins/unsubscribe", "bulletins.unsubscribe.title", map[string]string{"Token": token})
}

// unsubscribeNow is POST /b/unsubscribe/{token}, the one-click unsubscribe
// of RFC 8058 (mail clients post it without a CSRF token): the address is
// deleted at once. An unknown token gets the same answer: it was deleted
// already.
func unsubscribeNow(e *core.RequestEvent) error {
	if _, err := Unsubscribe(e.App, e.Request.PathValue("token")); err != nil {
		e.App.Logger().Error("bulletins: unsubscribe", "error", err)
		return e.InternalServerError("", nil)
	}
	return web.Show(e, "bulletins/unsubscribed", "bulletins.unsubscribed.title", nil)
}

// ConfirmData is what the confirmation mail templates receive.
type ConfirmData struct {
	L          *i18n.Localizer
	URL        string
	PrivacyURL string
}

// renderConfirm writes the confirmation mail to the subscriber ref in
// their language; it is obsolete once confirmed or unsubscribed.
func renderConfirm(app core.App, ref string) (outbox.Message, error) {
	s, err := app.FindRecordById(ColSubscribers, ref)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.GetString("status") != StatusPending) {
		return outbox.Message{}, outbox.ErrObsolete
	}
	if err != nil {
		return outbox.Message{}, err
	}
	l := web.Catalog().For(s.GetString("locale"))
	html, text, err := web.RenderMail(mailConfirm, ConfirmData{
		L: l, URL: baseURL(app) + "/b/confirm/" + s.GetString("token"), PrivacyURL: baseURL(app) + "/privacy",
	})
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{Subject: l.T("bulletins.mail.confirm.subject"), Text: text, HTML: html, Kind: mailConfirm, Ref: s.Id}, nil
}
