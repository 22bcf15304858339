// Package retention forgets personal data when it is no longer needed: the
// names and e-mail addresses of an event's registrations once the event
// ended more than retention_days ago, and old mail. Statuses, check-ins and
// counts stay, so reports keep working. It also serves the privacy page,
// which says all this to the public.
package retention

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// DefaultDays is how long personal data is kept after an event ends when
// nothing else is set.
const DefaultDays = 30

// Bounds of the retention period, as the kopa_settings collection has them.
const (
	MinDays = 1
	MaxDays = 3650
)

// SettingsCollection is the single-row collection of the organisation's own
// settings.
const SettingsCollection = domain.Settings

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
	rows, err := app.FindRecordsByFilter(SettingsCollection, "", "created", 1, 0)
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

// Save stores the settings in the single row (creating it if an organiser
// deleted it in the admin UI).
func Save(app core.App, s Settings) error {
	rows, err := app.FindRecordsByFilter(SettingsCollection, "", "created", 1, 0)
	if err != nil {
		return err
	}
	var r *core.Record
	if len(rows) > 0 {
		r = rows[0]
	} else {
		c, err := app.FindCachedCollectionByNameOrId(SettingsCollection)
		if err != nil {
			return err
		}
		r = core.NewRecord(c)
	}
	r.Load(map[string]any{"retention_days": s.RetentionDays, "org_name": s.OrgName, "contact_email": s.ContactEmail, "contact_phone": s.ContactPhone})
	return app.Save(r)
}

// Register runs the erasure when the server starts and every night, and
// serves the privacy page.
func Register(app core.App) {
	web.SetOrgSource(footerOrg)
	// The footer's copy of the settings is dropped when they change.
	for _, h := range []*hook.TaggedHook[*core.RecordEvent]{
		app.OnRecordAfterCreateSuccess(SettingsCollection),
		app.OnRecordAfterUpdateSuccess(SettingsCollection),
		app.OnRecordAfterDeleteSuccess(SettingsCollection),
	} {
		h.BindFunc(func(e *core.RecordEvent) error {
			orgCacheOf(e.App).invalidate()
			return e.Next()
		})
	}
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
	Settings
	BackupsKeep int
}

const orgKey = "kopa.org"

// orgCache keeps the footer's contact until the settings change. Reading
// happens outside the app's store lock (the read itself uses that store),
// and a change during a read wins over the read's older result.
type orgCache struct {
	mu    sync.Mutex
	valid bool
	gen   uint64
	org   web.Org
}

func orgCacheOf(app core.App) *orgCache {
	return app.Store().GetOrSet(orgKey, func() any { return &orgCache{} }).(*orgCache)
}

func (c *orgCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.valid = false
	c.mu.Unlock()
}

// footerOrg is the organisation's contact for every page's footer.
func footerOrg(app core.App) web.Org {
	c := orgCacheOf(app)
	c.mu.Lock()
	if c.valid {
		org := c.org
		c.mu.Unlock()
		return org
	}
	gen := c.gen
	c.mu.Unlock()
	s := Load(app)
	org := web.Org{Name: s.OrgName, Email: s.ContactEmail, Phone: s.ContactPhone, PhoneURL: PrivacyData{Settings: s}.PhoneURL()}
	c.mu.Lock()
	if c.gen == gen {
		c.org, c.valid = org, true
	}
	c.mu.Unlock()
	return org
}

// PhoneURL is a tel: link to the contact phone, built from its digits and
// a leading + only, so it is safe to put in an href.
func (d PrivacyData) PhoneURL() template.URL {
	var b strings.Builder
	for i, r := range d.ContactPhone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String())
}

func privacyPage(e *core.RequestEvent) error {
	d := PrivacyData{Settings: Load(e.App)}
	if b := e.App.Settings().Backups; b.Cron != "" {
		d.BackupsKeep = b.CronMaxKeep
	}
	return web.Render(e, http.StatusOK, "privacy", web.NewPage(e, "privacy.title", d))
}
