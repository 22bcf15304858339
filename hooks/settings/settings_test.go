package settings_test

import (
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/settings"
	"kopa/internal/kopatest"
)

// TestBoundsAgreeWithTheSchema: every setting is a column of kopa_settings,
// and the bounds the console checks are the columns' own.
func TestBoundsAgreeWithTheSchema(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	c, err := app.FindCollectionByNameOrId(settings.Collection)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[settings.Settings]()) {
		if name := f.Tag.Get("json"); c.Fields.GetByName(name) == nil {
			t.Errorf("%s: no column %q", f.Name, name)
		}
	}
	days, ok := c.Fields.GetByName("retention_days").(*core.NumberField)
	if !ok || days.Min == nil || days.Max == nil || *days.Min != settings.MinRetentionDays || *days.Max != settings.MaxRetentionDays {
		t.Errorf("retention_days: %+v", c.Fields.GetByName("retention_days"))
	}
	hours, ok := c.Fields.GetByName("reminder_hours").(*core.NumberField)
	if !ok || !hours.OnlyInt || hours.Min == nil || hours.Max == nil || *hours.Min != settings.MinReminderHours || *hours.Max != settings.MaxReminderHours {
		t.Errorf("reminder_hours: %+v", c.Fields.GetByName("reminder_hours"))
	}
	missed, ok := c.Fields.GetByName("series_missed_limit").(*core.NumberField)
	if !ok || !missed.OnlyInt || missed.Min == nil || missed.Max == nil || *missed.Min != settings.MinMissedLimit || *missed.Max != settings.MaxMissedLimit {
		t.Errorf("series_missed_limit: %+v", c.Fields.GetByName("series_missed_limit"))
	}
	for name, max := range map[string]int{"org_name": settings.MaxOrgName, "contact_phone": settings.MaxContactPhone} {
		if f, ok := c.Fields.GetByName(name).(*core.TextField); !ok || f.Max != max {
			t.Errorf("%s: %+v, want at most %d characters", name, c.Fields.GetByName(name), max)
		}
	}
}

// TestDefaults: the row the migration makes holds the defaults; a column
// left empty reads as its default, and without a row every one does, until
// Save makes the row again.
func TestDefaults(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, settings.Register)
	if s := settings.Load(app); s != settings.Defaults() || s.RetentionDays != 30 || s.OrgName != "Kopā" || s.ReminderHours != 24 || s.SeriesMissedLimit != 2 {
		t.Errorf("a new database's settings: %+v", s)
	}
	if err := settings.Save(app, settings.Settings{RetentionDays: 9, ContactPhone: "+371 20000000"}); err != nil {
		t.Fatal(err)
	}
	if s := settings.Load(app); s.RetentionDays != 9 || s.OrgName != "Kopā" || s.ContactPhone != "+371 20000000" {
		t.Errorf("an empty name: %+v", s)
	}
	rows, _ := app.FindAllRecords(settings.Collection)
	for _, r := range rows {
		if err := app.Delete(r); err != nil {
			t.Fatal(err)
		}
	}
	if s := settings.Load(app); s != settings.Defaults() {
		t.Errorf("without a row: %+v", s)
	}
	want := settings.Settings{RetentionDays: 14, OrgName: "Drošā māja", ContactEmail: "info@example.org"}
	if err := settings.Save(app, want); err != nil {
		t.Fatal(err)
	}
	if n, _ := app.CountRecords(settings.Collection); n != 1 {
		t.Errorf("%d rows", n)
	}
	if s := settings.Load(app); s != want {
		t.Errorf("saved %+v, read %+v", want, s)
	}
}

// TestNoReminders: reminder_hours 0 is a setting of its own (no
// reminders), read as it is stored, not replaced by the default.
func TestNoReminders(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, settings.Register)
	s := settings.Load(app)
	s.ReminderHours = 0
	if err := settings.Save(app, s); err != nil {
		t.Fatal(err)
	}
	if got := settings.Load(app); got.ReminderHours != 0 || got.RetentionDays != 30 {
		t.Errorf("no reminders read as %+v", got)
	}
	s.ReminderHours = 48
	if err := settings.Save(app, s); err != nil {
		t.Fatal(err)
	}
	if got := settings.Load(app); got.ReminderHours != 48 {
		t.Errorf("48 hours read as %d", got.ReminderHours)
	}
}

// TestCopyFollowsTheRow: the app's copy follows a change made past Save
// (the admin UI's record API), and a transaction reads its own change while
// the copy keeps what is committed, also after a rollback.
func TestCopyFollowsTheRow(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, settings.Register)
	settings.Load(app) // the copy is made
	rows, _ := app.FindAllRecords(settings.Collection)
	rows[0].Set("org_name", "Drošā māja")
	if err := app.Save(rows[0]); err != nil {
		t.Fatal(err)
	}
	if s := settings.Load(app); s.OrgName != "Drošā māja" {
		t.Errorf("the copy kept %q", s.OrgName)
	}
	rollback := errors.New("roll back")
	err := app.RunInTransaction(func(tx core.App) error {
		if err := settings.Save(tx, settings.Settings{RetentionDays: 5}); err != nil {
			return err
		}
		if s := settings.Load(tx); s.RetentionDays != 5 {
			t.Errorf("the transaction reads %d days", s.RetentionDays)
		}
		if s := settings.Load(app); s.RetentionDays != 30 {
			t.Errorf("outside the transaction: %d days", s.RetentionDays)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if s := settings.Load(app); s.RetentionDays != 30 || s.OrgName != "Drošā māja" {
		t.Errorf("after the rollback: %+v", s)
	}
}

// TestPhoneURL: only digits and a leading + reach the link.
func TestPhoneURL(t *testing.T) {
	for phone, want := range map[string]string{
		"+371 20 000 000": "tel:+37120000000", "(+371) 2000": "tel:3712000", "ask at the door": "", "": "",
	} {
		if got := (settings.Settings{ContactPhone: phone}).PhoneURL(); string(got) != want {
			t.Errorf("%q: %q, want %q", phone, got, want)
		}
	}
}

// TestFooterShowsTheContact: every page's footer says how to reach the
// organisation once an organiser has set a contact, and follows a change
// at once.
func TestFooterShowsTheContact(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	srv := kopatest.Serve(t, app)
	page := func() string {
		t.Helper()
		res, err := http.Get(srv.URL + "/?lang=en")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if p := page(); strings.Contains(p, `class="contact"`) {
		t.Error("a footer contact without any set")
	}
	if err := settings.Save(app, settings.Settings{RetentionDays: 30, OrgName: "Drošā māja", ContactEmail: "info@example.org"}); err != nil {
		t.Fatal(err)
	}
	if p := page(); !strings.Contains(p, "Contact Drošā māja:") || !strings.Contains(p, `href="mailto:info@example.org"`) {
		t.Error("the footer lacks the contact")
	}
	if err := settings.Save(app, settings.Settings{RetentionDays: 30, OrgName: "Drošā māja", ContactPhone: "+371 20000000"}); err != nil {
		t.Fatal(err)
	}
	if p := page(); strings.Contains(p, "info@example.org") || !strings.Contains(p, `href="tel:&#43;37120000000"`) {
		t.Error("the footer did not follow the change")
	}
}
