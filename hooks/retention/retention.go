// Package retention forgets personal data when it is no longer needed: the
// names and e-mail addresses of an event's registrations once the event
// ended more than the organisation's retention_days ago, and old mail.
// Statuses, check-ins and counts stay, so reports keep working. It also
// serves the privacy page, which says all this to the public.
package retention

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/settings"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Register runs the erasure when the server starts and every night, and
// serves the privacy page.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if _, err := Run(se.App, time.Now()); err != nil {
			se.App.Logger().Error("retention at start-up", "error", err)
		}
		se.Router.GET("/privacy", privacyPage)
		return se.Next()
	})
	app.Cron().MustAdd("kopaRetention", "15 2 * * *", func() {
		if _, err := Run(app, time.Now()); err != nil {
			app.Logger().Error("nightly retention", "error", err)
		}
	})
}

// Run erases the name and e-mail of every registration of an event that
// ended more than the retention period before now, and deletes sent or
// failed mail older than that period (mail holds names and addresses too).
// It returns how many registrations it erased.
func Run(app core.App, now time.Time) (int, error) {
	days := settings.Load(app).RetentionDays
	cutoff := domain.DateTime(now.UTC().AddDate(0, 0, -days))
	stamp := domain.DateTime(now)
	var erased int64
	err := app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery(`UPDATE registrations SET name = '', email = '', erased_at = {:now}, updated = {:now}
			WHERE erased_at = '' AND event IN (SELECT id FROM events WHERE ends_at != '' AND ends_at < {:cutoff})`).
			Bind(dbx.Params{"now": stamp.String(), "cutoff": cutoff.String()}).Execute()
		if err != nil {
			return fmt.Errorf("erase registrations: %w", err)
		}
		erased, _ = res.RowsAffected()
		if outboxExists(tx) != nil {
			return nil
		}
		_, err = tx.DB().NewQuery(`DELETE FROM ` + outbox.Collection + ` WHERE status != 'pending' AND updated < {:cutoff}`).
			Bind(dbx.Params{"cutoff": cutoff.String()}).Execute()
		if err != nil {
			return fmt.Errorf("delete old mail: %w", err)
		}
		return nil
	})
	if err == nil && erased > 0 {
		app.Logger().Info("personal data erased", "registrations", erased, "retention_days", days)
	}
	return int(erased), err
}

// ErrNotFound is returned by Erase for an unknown registration.
var ErrNotFound = errors.New("retention: no such registration")

// Erase forgets one registration's name and e-mail now, as when its
// retention period ends: for a person who asked to have their data deleted.
// Its status and check-in stay, so the event's counts do not change; the
// mail sent about it is deleted too. Erasing twice is harmless.
func Erase(app core.App, registrationID string, now time.Time) error {
	return app.RunInTransaction(func(tx core.App) error {
		r, err := tx.FindRecordById(domain.Registrations, registrationID)
		if err != nil {
			return ErrNotFound
		}
		if r.GetDateTime("erased_at").IsZero() {
			r.Set("name", "")
			r.Set("email", "")
			r.Set("erased_at", domain.DateTime(now))
			if err := tx.Save(r); err != nil {
				return fmt.Errorf("erase registration %s: %w", r.Id, err)
			}
		}
		if err := outboxExists(tx); err != nil {
			return nil
		}
		_, err = tx.DB().NewQuery(`DELETE FROM ` + outbox.Collection + ` WHERE ref = {:ref}`).
			Bind(dbx.Params{"ref": registrationID}).Execute()
		if err != nil {
			return fmt.Errorf("delete mail of registration %s: %w", registrationID, err)
		}
		return nil
	})
}

// outboxExists guards the mail clean-up on a database without the mail
// queue (an older schema).
func outboxExists(app core.App) error {
	_, err := app.FindCachedCollectionByNameOrId(outbox.Collection)
	return err
}

// PrivacyData is what the privacy page shows: the settings, and how many
// backups PocketBase keeps (0 when it makes none), since erased data lives
// on in a backup until that backup is replaced.
type PrivacyData struct {
	settings.Settings
	BackupsKeep int
}

func privacyPage(e *core.RequestEvent) error {
	d := PrivacyData{Settings: settings.Load(e.App)}
	if b := e.App.Settings().Backups; b.Cron != "" {
		d.BackupsKeep = b.CronMaxKeep
	}
	return web.Render(e, http.StatusOK, "privacy", web.NewPage(e, "privacy.title", d))
}
