// Package settings keeps the organisation's own settings: the single row of
// the kopa_settings collection, with a default for whatever the row leaves
// empty. Every page reads them (its footer shows the contact), so an app
// keeps a copy, dropped whenever the row changes.
package settings

import (
	"encoding/json"
	"fmt"
	"html/template"
	"reflect"
	"strings"
	"sync"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/internal/domain"
)

// Collection is the single-row collection of the organisation's settings.
const Collection = domain.Settings

// Settings are the organisation's own settings, one field for each column of
// kopa_settings (named by its json tag). A new setting is a field here, its
// default and bounds below, and a migration that adds its column; Load and
// Save carry every field by its tag. A setting whose zero means something
// of its own (reminder_hours 0: no reminders) is tagged settings:"zero":
// its column is read as it is, never replaced by the default, so its
// migration gives the rows there the default itself.
type Settings struct {
	// RetentionDays is how long personal data is kept after an event ends.
	RetentionDays int `json:"retention_days"`
	// OrgName, ContactEmail and ContactPhone say who runs Kopā and how the
	// public reaches them (every page's footer, the privacy page).
	OrgName      string `json:"org_name"`
	ContactEmail string `json:"contact_email"`
	ContactPhone string `json:"contact_phone"`
	// ReminderHours is how long before an event starts its confirmed
	// registrations are reminded of it; 0 sends no reminders.
	ReminderHours int `json:"reminder_hours" settings:"zero"`
	// SeriesMissedLimit is how many sessions in a row a standing place may
	// miss (confirmed, not checked in, not skipped) before it pauses; 0
	// never pauses one.
	SeriesMissedLimit int `json:"series_missed_limit" settings:"zero"`
}

// Defaults are the settings of a row that sets nothing: a column the row
// leaves empty (0 or "") takes its default from here.
func Defaults() Settings {
	return Settings{RetentionDays: 30, OrgName: "Kopā", ReminderHours: 24, SeriesMissedLimit: 2}
}

// Bounds of the settings, as their columns in kopa_settings have them (a
// test holds both together). Texts are counted in characters.
const (
	MinRetentionDays = 1
	MaxRetentionDays = 3650
	MaxOrgName       = 200
	MaxContactPhone  = 40
	MinReminderHours = 0
	MaxReminderHours = 7 * 24
	MinMissedLimit   = 0
	MaxMissedLimit   = domain.MaxMissedLimit
)

// PhoneURL is a tel: link to the contact phone, built from its digits and
// a leading + only, so it is safe to put in an href.
func (s Settings) PhoneURL() template.URL {
	var b strings.Builder
	for i, r := range s.ContactPhone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String())
}

// Register keeps the app's copy of the settings: it is dropped whenever the
// row is created, changed or deleted, once the change is committed. An app
// without Register reads the row every time.
func Register(app core.App) {
	app.Store().GetOrSet(cacheKey, func() any { return &cache{} })
	for _, h := range []*hook.TaggedHook[*core.RecordEvent]{
		app.OnRecordAfterCreateSuccess(Collection),
		app.OnRecordAfterUpdateSuccess(Collection),
		app.OnRecordAfterDeleteSuccess(Collection),
	} {
		h.BindFunc(func(e *core.RecordEvent) error {
			if c, ok := e.App.Store().Get(cacheKey).(*cache); ok {
				c.invalidate()
			}
			return e.Next()
		})
	}
}

// Load returns the settings. Outside a transaction it is the app's copy;
// inside one it is the row as that transaction sees it, which is not kept
// (the transaction may still roll back). A row that cannot be read gives
// the defaults.
func Load(app core.App) Settings {
	c, ok := app.Store().Get(cacheKey).(*cache)
	if !ok || app.IsTransactional() {
		s, err := read(app)
		if err != nil {
			app.Logger().Error("read the settings", "error", err)
		}
		return s
	}
	return c.get(app)
}

// Save stores s in the single row, creating it if an organiser deleted it
// in the admin UI. PocketBase checks the row against its collection's bounds.
func Save(app core.App, s Settings) error {
	cols, err := columns(s)
	if err != nil {
		return err
	}
	rows, err := app.FindRecordsByFilter(Collection, "", "created", 1, 0)
	if err != nil {
		return fmt.Errorf("find the settings: %w", err)
	}
	var r *core.Record
	if len(rows) > 0 {
		r = rows[0]
	} else {
		c, err := app.FindCachedCollectionByNameOrId(Collection)
		if err != nil {
			return err
		}
		r = core.NewRecord(c)
	}
	r.Load(cols)
	return app.Save(r)
}

// read reads the row: the oldest one, should the admin UI have made more.
// A column the row leaves empty keeps its default (unless its zero is a
// value, see Settings), and so does every column when there is no row.
func read(app core.App) (Settings, error) {
	s := Defaults()
	rows, err := app.FindRecordsByFilter(Collection, "", "created", 1, 0)
	if err != nil || len(rows) == 0 {
		return s, err
	}
	set := map[string]any{}
	for k, v := range rows[0].FieldsData() {
		if !validation.IsEmpty(v) || zeroIsValue[k] {
			set[k] = v
		}
	}
	b, err := json.Marshal(set)
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil {
		return Defaults(), fmt.Errorf("settings row %s: %w", rows[0].Id, err)
	}
	return s, nil
}

// zeroIsValue are the columns whose zero is a setting of its own (tagged
// settings:"zero").
var zeroIsValue = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Settings]()) {
		if f.Tag.Get("settings") == "zero" {
			m[strings.Split(f.Tag.Get("json"), ",")[0]] = true
		}
	}
	return m
}()

// columns is s as the row's values, by column name.
func columns(s Settings) (map[string]any, error) {
	var cols map[string]any
	b, err := json.Marshal(s)
	if err == nil {
		err = json.Unmarshal(b, &cols)
	}
	return cols, err
}

const cacheKey = "kopa.settings"

// cache is an app's copy of the settings. The row is read outside the app's
// store lock, since reading it uses that store (PocketBase's cache of
// collections): a copy made inside Store().GetOrSet deadlocks. A change
// committed during a read wins over that read's older result.
type cache struct {
	mu    sync.Mutex
	valid bool
	gen   uint64
	s     Settings
}

func (c *cache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.valid = false
	c.mu.Unlock()
}

func (c *cache) get(app core.App) Settings {
	c.mu.Lock()
	if c.valid {
		s := c.s
		c.mu.Unlock()
		return s
	}
	gen := c.gen
	c.mu.Unlock()
	s, err := read(app)
	if err != nil {
		app.Logger().Error("read the settings", "error", err)
		return s // not kept: the next page tries again
	}
	c.mu.Lock()
	if c.gen == gen {
		c.s, c.valid = s, true
	}
	c.mu.Unlock()
	return s
}
