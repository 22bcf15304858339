package registration

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/settings"
	"kopa/internal/contact"
	"kopa/internal/domain"
)

// ReminderJob is the id of the cron job that reminds people of their
// events; it runs every minute.
const ReminderJob = "kopaReminders"

// MinNotice is how long before an event starts a registration must have
// been made to be reminded: someone who registered in the last hour has
// their ticket mail in front of them.
const MinNotice = time.Hour

// reminderBatch is how many reminders one transaction queues: a big event
// is reminded in a few short transactions, none of which holds up
// registrations for long.
const reminderBatch = 200

// registerReminders schedules the reminders on PocketBase's cron.
func registerReminders(app core.App) {
	app.Cron().MustAdd(ReminderJob, "* * * * *", func() {
		n, err := SendReminders(app, time.Now())
		if err != nil {
			app.Logger().Error("reminders", "error", err, "queued", n)
			return
		}
		if n > 0 {
			app.Logger().Info("reminders queued", "count", n)
		}
	})
}

// SendReminders queues one reminder mail for every confirmed registration
// of a published event that starts within the organisation's
// reminder_hours of now, made at least MinNotice before the start and not
// reminded yet. Each registration is marked reminded (reminded_at) in the
// transaction that queues its mail, so a registration is reminded once,
// however often this runs. With reminder_hours 0 nobody is reminded. It
// returns how many reminders were queued.
func SendReminders(app core.App, now time.Time) (int, error) {
	hours := settings.Load(app).ReminderHours
	if hours <= 0 {
		return 0, nil
	}
	until := now.Add(time.Duration(hours) * time.Hour)
	queued := 0
	for {
		n, more, err := remindBatch(app, now, until)
		queued += n
		if err != nil || !more {
			return queued, err
		}
	}
}

// due is a registration a reminder is due for.
type due struct {
	ID    string `db:"id"`
	Email string `db:"email"`
}

// remindBatch marks up to reminderBatch due registrations reminded and
// queues their mails, in one transaction. more reports that there may be
// others.
func remindBatch(app core.App, now, until time.Time) (queued int, more bool, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		queued = 0
		var rows []due
		err := tx.DB().Select("r.id", "r.email").From(domain.Registrations+" r").
			InnerJoin(domain.Events+" e", dbx.NewExp("e.id = r.event")).
			Where(dbx.HashExp{"r.status": domain.RegistrationConfirmed, "e.status": domain.EventPublished}).
			AndWhere(dbx.NewExp(`r.email != '' AND (r.reminded_at = '' OR r.reminded_at IS NULL)
				AND e.starts_at > {:now} AND e.starts_at <= {:until}
				AND r.created <= strftime('%Y-%m-%d %H:%M:%fZ', e.starts_at, {:notice})`, dbx.Params{
				"now": domain.DateTime(now).String(), "until": domain.DateTime(until).String(),
				"notice": fmt.Sprintf("-%d seconds", int(MinNotice/time.Second)),
			})).
			OrderBy("e.starts_at", "r.rowid").Limit(reminderBatch).All(&rows)
		if err != nil {
			return fmt.Errorf("due reminders: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		more = len(rows) == reminderBatch
		ids := make([]any, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		// Marked in one statement: nothing reads reminded_at but this job,
		// so the registrations' record hooks (counts, live dashboards)
		// have nothing to learn from it.
		_, err = tx.DB().Update(domain.Registrations, dbx.Params{"reminded_at": domain.DateTime(now).String()}, dbx.In("id", ids...)).Execute()
		if err != nil {
			return fmt.Errorf("mark reminded: %w", err)
		}
		w := outbox.NewWriter(tx)
		defer w.Close()
		for _, r := range rows {
			if _, err := contact.Email(r.Email); err != nil {
				// Stored past the registration's checks (the admin UI):
				// marked, so it does not hold up the others, and left.
				tx.Logger().Warn("no reminder to an address that is not valid", "registration", r.ID)
				continue
			}
			if err := w.Add(reminderMail(r.ID, r.Email)); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return queued, more, nil
}

// reminderMail is the outbox entry of the reminder of registration id.
func reminderMail(id, email string) outbox.Deferred {
	return outbox.Deferred{To: email, Template: "ticket_" + MailReminder, Ref: id, Kind: "ticket_" + MailReminder}
}
