// Package retention forgets personal data when it is no longer needed: the
// names and e-mail addresses of an event's registrations once the event
// ended more than retention_days ago, and old mail. Statuses, check-ins and
// counts stay, so reports keep working. It also serves the privacy page,
// which says all this to the public.
package retention

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
)

// DefaultDays is how long personal data is kept after an event ends when
// nothing else is set.
const DefaultDays = 30

// Settings are the organisation's own settings (collection kopa_settings).
type Settings struct {
	RetentionDays int
	OrgName       string
	ContactEmail  string
	ContactPhone  string
}

// Load reads the settings, with defaults where the row is missing.
func Load(app core.App) Settings {
	s := Settings{RetentionDays: DefaultDays, OrgName: "Kopā"}
	rows, err := app.FindRecordsByFilter("kopa_settings", "", "created", 1, 0)
	if err != nil || len(rows) == 0 {
		return s
	}
	r := rows[0]
	if d := r.GetInt("retention_days"); d > 0 {
		s.RetentionDays = d
	}
	if n := r.GetString("org_name"); n != "" {
		s.OrgName = n
	}
	s.ContactEmail, s.ContactPhone = r.GetString("contact_email"), r.GetString("contact_phone")
	return s
}

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
	days := Load(app).RetentionDays
	cutoff, _ := types.ParseDateTime(now.UTC().AddDate(0, 0, -days))
	stamp, _ := types.ParseDateTime(now.UTC())
	var erased int64
	err := app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery(`UPDATE registrations SET name = '', email = '', erased_at = {:now}, updated = {:now}
			WHERE erased_at = '' AND event IN (SELECT id FROM events WHERE ends_at != '' AND ends_at < {:cutoff})`).
			Bind(dbx.Params{"now": stamp.String(), "cutoff": cutoff.String()}).Execute()
		if err != nil {
			return fmt.Errorf("erase registrations: %w", err)
		}
		erased, _ = res.RowsAffected()
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

func privacyPage(e *core.RequestEvent) error {
	return web.Render(e, http.StatusOK, "privacy", web.NewPage(e, "privacy.title", Load(e.App)))
}
