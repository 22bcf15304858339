package bulletins

import (
	"database/sql"
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/web"
	"kopa/internal/domain"
)

// apiSend is POST /api/bulletins/{id}/send (organisers): 202
// {"queued":N}; 409 (data.code "sent") for a bulletin sent already, and
// nothing is queued; 400 with per-field errors for one that cannot be sent.
func apiSend(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in as an organiser.", nil)
	}
	if !domain.IsOrganiser(e.Auth) {
		return e.ForbiddenError("Only organisers send bulletins.", nil)
	}
	n, err := Send(e.App, e.Request.PathValue("id"))
	if err != nil {
		return sendError(e, err)
	}
	e.App.Logger().Info("bulletin queued", "bulletin", e.Request.PathValue("id"), "mails", n, "organiser", e.Auth.Id)
	return e.JSON(http.StatusAccepted, map[string]any{"queued": n})
}

// sendError is the answer to a send that did not happen.
func sendError(e *core.RequestEvent, err error) error {
	var verrs validation.Errors
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return e.NotFoundError("No such bulletin.", nil)
	case errors.Is(err, ErrSent):
		return web.CodeError(http.StatusConflict, "sent", "This bulletin was sent already; a bulletin is sent once.")
	case errors.As(err, &verrs):
		return e.BadRequestError("The bulletin cannot be sent yet.", verrs)
	}
	e.App.Logger().Error("bulletins: send", "error", err)
	return e.InternalServerError("", nil)
}

// guardStatus keeps the record API (the console's editor, the admin UI of
// an organiser) from marking a bulletin sent or unsent: only Send does, so
// a bulletin is mailed once. A new bulletin is a draft.
func guardStatus(e *core.RecordRequestEvent) error {
	if e.HasSuperuserAuth() {
		return e.Next()
	}
	r := e.Record
	errs := validation.Errors{}
	if r.IsNew() {
		if r.GetString("status") == "" {
			r.Set("status", BulletinDraft)
		}
		if r.GetString("status") != BulletinDraft {
			errs["status"] = validation.NewError("validation_bulletin_status", "A new bulletin is a draft; it is sent with the send action.")
		}
		if !r.GetDateTime("sent_at").IsZero() {
			errs["sent_at"] = validation.NewError("validation_bulletin_sent_at", "Set when the bulletin is sent.")
		}
	} else {
		o := r.Original()
		if r.GetString("status") != o.GetString("status") {
			errs["status"] = validation.NewError("validation_bulletin_status", "A bulletin is sent with the send action, once.")
		}
		if !r.GetDateTime("sent_at").Equal(o.GetDateTime("sent_at")) {
			errs["sent_at"] = validation.NewError("validation_bulletin_sent_at", "Set when the bulletin is sent.")
		}
	}
	if len(errs) > 0 {
		return e.BadRequestError("Please check the highlighted fields.", errs)
	}
	return e.Next()
}

// isValidation reports whether err is input's fault (per-field errors).
func isValidation(err error) bool {
	var verrs validation.Errors
	return errors.As(err, &verrs)
}
