// Package bulletins is the NGO's newsletter: people subscribe with double
// opt-in (a public form and POST /api/bulletins/subscribe), confirm by
// opening the link in the mail, and unsubscribe with one click (RFC 8058),
// which deletes their address.
//
// What is stored of a subscriber is the address, the language of its
// mails, and when and where consent was given. Every subscribe request gets
// the same answer whoever the address is, so the form tells nobody who
// subscribed.
package bulletins

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/outbox"
	"kopa/internal/contact"
	"kopa/internal/i18n"
)

// Collections.
const (
	ColSubscribers = "subscribers"
	ColBulletins   = "bulletins"
)

// Subscriber statuses: an address is pending until the link in its
// confirmation mail is opened.
const (
	StatusPending   = "pending"
	StatusConfirmed = "confirmed"
)

// Where consent was given (a subscriber's consent_source).
const (
	SourceForm         = "form"
	SourceRegistration = "registration"
	SourceVolunteer    = "volunteer"
)

// Bulletin statuses.
const (
	BulletinDraft = "draft"
	BulletinSent  = "sent"
)

// mailConfirm is the template of the confirmation mail; ref: the subscriber.
const mailConfirm = "bulletin_confirm"

// resendAfter is how long a pending address waits before asking again
// sends the confirmation mail again: a form cannot be used to flood
// someone's mailbox.
const resendAfter = time.Hour

// tokenLength is the length of a subscriber's link secret.
const tokenLength = 24

// Register binds the subscribe API and pages and gives the outbox the
// writer of the confirmation mail.
func Register(app core.App) {
	outbox.Handle(mailConfirm, renderConfirm)
	outbox.Handle(mailBulletin, renderBulletin)
	outbox.Handle(mailBulletinTest, renderTest)
	app.OnRecordCreateRequest(ColBulletins).BindFunc(guardStatus)
	app.OnRecordUpdateRequest(ColBulletins).BindFunc(guardStatus)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		r := se.Router
		r.POST("/api/bulletins/subscribe", apiSubscribe)
		r.POST("/api/bulletins/{id}/send", apiSend)
		r.GET("/bulletins", archivePage)
		r.GET("/bulletins.atom", atomFeed)
		r.GET("/bulletins/subscribe", subscribePage)
		r.POST("/bulletins/subscribe", subscribeSubmit)
		r.GET("/bulletins/{id}", bulletinPage)
		r.GET("/b/confirm/{token}", confirmLink)
		r.GET("/b/unsubscribe/{token}", unsubscribePage)
		r.POST("/b/unsubscribe/{token}", unsubscribeNow)
		bindConsole(se)
		return se.Next()
	})
}

// Request is what a person asks for: an address and the language of the
// mails.
type Request struct {
	Email, Locale string
}

// Check normalises the address and checks both fields; its errors are
// validation.Errors keyed "email" and "locale".
func (r *Request) Check() error {
	errs := validation.Errors{}
	email, err := contact.Email(r.Email)
	if err != nil {
		errs["email"] = err
	}
	r.Email = email
	r.Locale = strings.TrimSpace(r.Locale)
	if !i18n.IsSupported(r.Locale) {
		errs["locale"] = validation.NewError("validation_invalid_value", "Must be one of lv, en, ru.")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Subscribe records the consent of a checked request given at source and
// queues the confirmation mail: for a new address, and again for a pending
// one whose last mail is older than resendAfter. A confirmed address is
// left as it is. The caller cannot tell these apart, and must not tell the
// person either.
func Subscribe(app core.App, req Request, source string) error {
	if err := req.Check(); err != nil {
		return err
	}
	return app.RunInTransaction(func(tx core.App) error {
		return subscribeTx(tx, req, source)
	})
}

// SubscribeTx is Subscribe inside the caller's transaction (a registration
// or a volunteer sign-up that ticked the box): the mail is queued only if
// that commits. req must have passed Check.
func SubscribeTx(tx core.App, req Request, source string) error {
	return subscribeTx(tx, req, source)
}

func subscribeTx(tx core.App, req Request, source string) error {
	now := types.NowDateTime()
	s, err := tx.FindFirstRecordByData(ColSubscribers, "email", req.Email)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		c, err := tx.FindCachedCollectionByNameOrId(ColSubscribers)
		if err != nil {
			return err
		}
		s = core.NewRecord(c)
		s.Set("email", req.Email)
		s.Set("status", StatusPending)
		s.Set("token", security.RandomString(tokenLength))
	case err != nil:
		return fmt.Errorf("find subscriber: %w", err)
	case s.GetString("status") == StatusConfirmed:
		return nil
	case now.Time().Sub(s.GetDateTime("mailed_at").Time()) < resendAfter:
		return nil
	}
	// Consent is what the person said last: their language and where.
	s.Set("locale", req.Locale)
	s.Set("consent_at", now)
	s.Set("consent_source", source)
	s.Set("mailed_at", now)
	if err := tx.Save(s); err != nil {
		return fmt.Errorf("save subscriber: %w", err)
	}
	return outbox.Defer(tx, outbox.Deferred{To: req.Email, Template: mailConfirm, Ref: s.Id})
}

// byToken finds the subscriber of a link's token.
func byToken(app core.App, token string) (*core.Record, error) {
	if len(token) != tokenLength {
		return nil, sql.ErrNoRows
	}
	return app.FindFirstRecordByFilter(ColSubscribers, "token = {:t}", dbx.Params{"t": token})
}

// Confirm confirms the subscription of token's subscriber. Opening the
// link again changes nothing.
func Confirm(app core.App, token string) (*core.Record, error) {
	s, err := byToken(app, token)
	if err != nil {
		return nil, err
	}
	if s.GetString("status") == StatusConfirmed {
		return s, nil
	}
	s.Set("status", StatusConfirmed)
	s.Set("confirmed_at", types.NowDateTime())
	if err := app.Save(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Unsubscribe deletes token's subscriber; it reports whether there was one.
func Unsubscribe(app core.App, token string) (bool, error) {
	s, err := byToken(app, token)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := app.Delete(s); err != nil {
		return false, err
	}
	return true, nil
}

// baseURL is the public address saved in PocketBase's settings.
func baseURL(app core.App) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/")
}

// UnsubscribeURL is the one-click address of a subscriber's mails.
func UnsubscribeURL(app core.App, s *core.Record) string {
	return baseURL(app) + "/b/unsubscribe/" + s.GetString("token")
}
