package web

import (
	"errors"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/contact"
)

// NameMessage is the message id a form shows beside a name that
// contact.Name refused with err: blank, too long, or not a name (a web or
// e-mail address, control or invisible characters in it).
func NameMessage(err error) string {
	var ve validation.Error
	if errors.As(err, &ve) {
		switch ve.Code() {
		case "validation_required":
			return "form.error.name_required"
		case "validation_length_too_long":
			return "form.error.name_too_long"
		}
	}
	return "form.error.name_invalid"
}

// CheckRecordName holds the names PocketBase's record API writes to the
// rules of every other entry point. Bound to the create and update
// requests of a collection whose "name" is a person's (registrations,
// volunteers; the batch API runs them too), it refuses a new or changed
// name that contact.Name refuses, with 400 and the error on "name", and
// stores it trimmed. Kopā's own entry points (the registration API and
// form, the sign-up, the walk-ins) apply contact.Name themselves. A name
// stored before these rules is not refused when something else of its
// record is updated.
func CheckRecordName(e *core.RecordRequestEvent) error {
	raw := e.Record.GetString("name")
	if e.Record.IsNew() || raw != e.Record.Original().GetString("name") {
		name, err := contact.Name(raw)
		if err != nil {
			return e.BadRequestError("Please check the highlighted fields.", validation.Errors{"name": err})
		}
		e.Record.Set("name", name)
	}
	return e.Next()
}
