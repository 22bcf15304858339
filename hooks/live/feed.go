package live

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/domain"
)

// feed binds the record hooks that turn committed changes into messages.
// PocketBase runs the After*Success hooks of a change made inside a
// transaction only once the transaction has committed, and never when it
// rolls back (core/db.go registers them with the transaction's OnComplete),
// so a rolled-back check-in reaches nobody.
func (h *hub) feed(app core.App) {
	app.OnRecordAfterCreateSuccess(domain.Checkins).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		rec := e.Record
		h.broadcast(rec.GetString("event"), true, func(m *Message) {
			m.Type = TypeCheckin
			m.At = changeTime(rec, "at")
			name := h.registrationName(rec.GetString("registration"))
			m.Name = &name
		})
		return err
	})
	// A check-in corrected at the door ("only two of the four came")
	// changes the people counted: the counts go out, with no name (nobody
	// new arrived).
	app.OnRecordAfterUpdateSuccess(domain.Checkins).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		h.broadcast(e.Record.GetString("event"), false, func(m *Message) {
			m.Type, m.At = TypeCheckin, now()
		})
		return err
	})
	app.OnRecordAfterDeleteSuccess(domain.Checkins).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		h.broadcast(e.Record.GetString("event"), true, func(m *Message) {
			m.Type, m.At, m.Removed = TypeCheckin, now(), true
		})
		return err
	})

	app.OnRecordAfterCreateSuccess(domain.Registrations).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		rec := e.Record
		h.broadcast(rec.GetString("event"), true, func(m *Message) {
			m.Type, m.At = registrationType(domain.RegistrationStatusOf(rec)), changeTime(rec, "")
		})
		return err
	})
	// An update is announced when it moved the registration to another
	// status (or event), or changed its party (seats given back). The state before the update is read from the
	// database just before the write: Original() is the record as last read,
	// which is stale for a record object saved more than once. A name or
	// e-mail edit, or retention's erasure, sends nothing.
	app.OnRecordUpdateExecute(domain.Registrations).BindFunc(func(e *core.RecordEvent) error {
		var row before
		err := e.App.DB().Select("status", "event", "party").From(domain.Registrations).
			Where(dbx.HashExp{"id": e.Record.LastSavedPK()}).One(&row)
		if err == nil {
			h.before.Store(e.Record, row)
		}
		return e.Next()
	})
	app.OnRecordAfterUpdateError(domain.Registrations).BindFunc(func(e *core.RecordErrorEvent) error {
		h.before.Delete(e.Record)
		return e.Next()
	})
	app.OnRecordAfterUpdateSuccess(domain.Registrations).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		rec := e.Record
		old := before{Status: domain.RegistrationStatusOf(rec.Original()), Event: rec.Original().GetString("event"), Party: rec.Original().GetInt("party")}
		if v, ok := h.before.LoadAndDelete(rec); ok {
			old = v.(before)
		}
		status, event := domain.RegistrationStatusOf(rec), rec.GetString("event")
		at := changeTime(rec, "")
		if status == domain.RegistrationCancelled {
			at = changeTime(rec, "cancelled_at")
		}
		if old.Event != "" && old.Event != event {
			// Moved to another event: it leaves the old one.
			h.broadcast(old.Event, true, func(m *Message) {
				m.Type, m.At = TypeCancellation, at
			})
		} else if status == old.Status {
			if max(old.Party, 1) == domain.Party(rec) {
				return err
			}
			// Seats given back (or a party changed by an organiser): the
			// counts change, the status does not.
			kind := TypeRegistration
			if domain.Party(rec) < max(old.Party, 1) {
				kind = TypeCancellation
			}
			h.broadcast(event, false, func(m *Message) {
				m.Type, m.At = kind, changeTime(rec, "")
			})
			return err
		}
		h.broadcast(event, true, func(m *Message) {
			m.Type, m.At = registrationType(status), at
		})
		return err
	})
	app.OnRecordAfterDeleteSuccess(domain.Registrations).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		h.broadcast(e.Record.GetString("event"), true, func(m *Message) {
			m.Type, m.At, m.Removed = TypeCancellation, now(), true
		})
		return err
	})

	// A new capacity changes the counts the dashboards show.
	app.OnRecordAfterUpdateSuccess(domain.Events).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		rec := e.Record
		h.broadcast(rec.Id, false, func(m *Message) {
			m.Type, m.At = TypeEvent, changeTime(rec, "")
		})
		return err
	})
	app.OnRecordAfterDeleteSuccess(domain.Events).BindFunc(func(e *core.RecordEvent) error {
		err := e.Next()
		h.closeRoom(e.Record.Id, CloseNotFound, "event deleted")
		return err
	})
}

// before is a registration's state before an update.
type before struct {
	Status domain.RegistrationStatus `db:"status"`
	Event  string                    `db:"event"`
	Party  int                       `db:"party"`
}

// registrationType names the message for a registration now in status.
func registrationType(status domain.RegistrationStatus) string {
	if status == domain.RegistrationCancelled {
		return TypeCancellation
	}
	return TypeRegistration
}

// registrationName is the name a check-in message carries ("" once erased).
func (h *hub) registrationName(id string) string {
	if id == "" {
		return ""
	}
	reg, err := h.app.FindRecordById(domain.Registrations, id)
	if err != nil {
		return ""
	}
	return reg.GetString("name")
}
