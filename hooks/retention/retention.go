// Package retention forgets personal data when it is no longer needed: the
// names and e-mail addresses of an event's registrations once the event
// ended more than the organisation's retention_days ago, those of a
// standing place once it and its last session ended that long ago, and old
// mail. Statuses, check-ins and counts stay, so reports keep working (a
// series' returning people too: see keepPeople). It also serves the privacy
// page, which says all this to the public.
package retention

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

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
// ended more than the retention period before now, and of every standing
// place that ended, and whose last session ended, more than that period
// before now (see eraseStanding); and it deletes sent or failed mail older
// than that period (mail holds names and addresses too). It returns how
// many registrations it erased.
func Run(app core.App, now time.Time) (int, error) {
	days := settings.Load(app).RetentionDays
	cutoff := domain.DateTime(now.UTC().AddDate(0, 0, -days))
	stamp := domain.DateTime(now)
	var erased, standing int64
	err := app.RunInTransaction(func(tx core.App) error {
		if err := keepPeople(tx, cutoff); err != nil {
			return err
		}
		res, err := tx.DB().NewQuery(`UPDATE registrations SET name = '', email = '', erased_at = {:now}, updated = {:now}
			WHERE erased_at = '' AND event IN (SELECT id FROM events WHERE ends_at != '' AND ends_at < {:cutoff})`).
			Bind(dbx.Params{"now": stamp.String(), "cutoff": cutoff.String()}).Execute()
		if err != nil {
			return fmt.Errorf("erase registrations: %w", err)
		}
		erased, _ = res.RowsAffected()
		if standing, err = eraseStanding(tx, stamp, cutoff); err != nil {
			return err
		}
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
	if err == nil && erased+standing > 0 {
		app.Logger().Info("personal data erased", "registrations", erased, "standing_places", standing, "retention_days", days)
	}
	return int(erased), err
}

// keepPeople keeps, before retention erases them, who the registrations of
// their own in a series' sessions were: the keyed hash of each address
// under its series' key (domain.PersonKey) goes to registrations.person, so
// the series' report counts the same returning people after the erasure as
// before. A standing place's seats need nothing: the place is the person.
func keepPeople(tx core.App, cutoff types.DateTime) error {
	var rows []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
		Salt  string `db:"salt"`
	}
	err := tx.DB().NewQuery(`SELECT r.id, r.email, s.salt FROM registrations r
			JOIN events e ON e.id = r.event JOIN series s ON s.id = e.series
			WHERE r.erased_at = '' AND r.email != '' AND r.standing = '' AND e.series != ''
				AND e.ends_at != '' AND e.ends_at < {:cutoff}`).
		Bind(dbx.Params{"cutoff": cutoff.String()}).All(&rows)
	if err != nil {
		return fmt.Errorf("people of series to erase: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	q := tx.DB().NewQuery("UPDATE registrations SET person = {:person} WHERE id = {:id}").Prepare()
	defer q.Close()
	for _, r := range rows {
		if _, err := q.Bind(dbx.Params{"person": domain.PersonKey(r.Salt, r.Email), "id": r.ID}).Execute(); err != nil {
			return fmt.Errorf("keep the person of registration %s: %w", r.ID, err)
		}
	}
	return nil
}

// eraseStanding erases the name and e-mail of every standing place whose
// retention period is over: the later of its end and the end of the last
// session it held a seat in (a seat it gave up does not count) ended before
// cutoff. A place that has not ended lasts as long as its series, so its
// end is that of the series' last session; it is ended when it is erased,
// so a series extended later gives it no seat it has no name for. Its
// seats are registrations and are erased with their sessions' (Run).
func eraseStanding(tx core.App, stamp, cutoff types.DateTime) (int64, error) {
	res, err := tx.DB().NewQuery(`UPDATE standing SET name = '', email = '', erased_at = {:now}, updated = {:now},
			status = {:ended}, ended_at = CASE WHEN ended_at = '' THEN {:now} ELSE ended_at END
		WHERE erased_at = '' AND MAX(
			CASE WHEN status = {:ended} THEN CASE WHEN ended_at != '' THEN ended_at ELSE updated END
				ELSE COALESCE((SELECT MAX(e.ends_at) FROM events e WHERE e.series = standing.series), created) END,
			COALESCE((SELECT MAX(e.ends_at) FROM registrations r JOIN events e ON e.id = r.event
				WHERE r.standing = standing.id AND r.status != {:cancelled}), '')
		) < {:cutoff}`).
		Bind(dbx.Params{"now": stamp.String(), "cutoff": cutoff.String(),
			"ended": domain.StandingEnded, "cancelled": domain.RegistrationCancelled}).Execute()
	if err != nil {
		return 0, fmt.Errorf("erase standing places: %w", err)
	}
	return res.RowsAffected()
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
			if err := keepPerson(tx, r); err != nil {
				return err
			}
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

// keepPerson keeps who registration r of a series' session was, as
// keepPeople does, before Erase erases it: the series' report does not
// change when one person asks to be forgotten.
func keepPerson(tx core.App, r *core.Record) error {
	if r.GetString("email") == "" || domain.StandingOf(r) != "" {
		return nil
	}
	var salt string
	err := tx.DB().NewQuery(`SELECT s.salt FROM events e JOIN series s ON s.id = e.series WHERE e.id = {:event}`).
		Bind(dbx.Params{"event": r.GetString("event")}).Row(&salt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a series' session
	}
	if err != nil {
		return fmt.Errorf("series of registration %s: %w", r.Id, err)
	}
	r.Set("person", domain.PersonKey(salt, r.GetString("email")))
	return nil
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
