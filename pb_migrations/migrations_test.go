package migrations_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/kopatest"
)

func TestSchemaApplies(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	for _, name := range []string{"organisers", "volunteers", "events", "registrations", "checkins", "shifts", "assignments"} {
		if _, err := app.FindCollectionByNameOrId(name); err != nil {
			t.Errorf("collection %s: %v", name, err)
		}
	}
	if _, err := app.FindCollectionByNameOrId("users"); err == nil {
		t.Error("the public users collection must not exist")
	}
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 2})
	r := kopatest.Registration(t, app, ev, "Anna", "anna@example.com", "confirmed")
	if code := r.GetString("ticket"); len(code) < 24 {
		t.Errorf("ticket code %q is too short", code)
	}
}

// TestMailTemplatesMigrationReverts: the newest migration (mails written
// when sent) can be reverted and applied again.
func TestMailTemplatesMigrationReverts(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	fields := func() (hasTemplate, subjectRequired bool, statuses []string) {
		t.Helper()
		c, err := app.FindCollectionByNameOrId("mail_outbox")
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := c.Fields.GetByName("subject").(*core.TextField)
		status, _ := c.Fields.GetByName("status").(*core.SelectField)
		return c.Fields.GetByName("template") != nil, subject.Required, status.Values
	}
	if tpl, req, st := fields(); !tpl || req || len(st) != 4 {
		t.Fatalf("applied: template %v, subject required %v, statuses %v", tpl, req, st)
	}
	reverted, err := runner.Down(1)
	if err != nil || len(reverted) != 1 || !strings.Contains(reverted[0], "1795000600") {
		t.Fatalf("down: %v %v", reverted, err)
	}
	if tpl, req, st := fields(); tpl || !req || len(st) != 3 {
		t.Fatalf("reverted: template %v, subject required %v, statuses %v", tpl, req, st)
	}
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	if tpl, req, st := fields(); !tpl || req || len(st) != 4 {
		t.Fatalf("applied again: template %v, subject required %v, statuses %v", tpl, req, st)
	}
}
