package migrations_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
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

// TestMailTemplatesMigrationReverts: the mail-templates migration (mails
// written when sent) can be reverted, with those after it, and applied
// again.
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
	reverted, err := runner.Down(migrationsSince(t, "1795000600"))
	if err != nil || len(reverted) == 0 || !strings.Contains(reverted[len(reverted)-1], "1795000600") {
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

// TestRemindersMigration: the organisation's row gets a day's reminders
// (its 0 would mean none), registrations a reminded_at; reverting removes
// both and applying again brings them back.
func TestRemindersMigration(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	check := func(when string, want bool) {
		t.Helper()
		s, _ := app.FindCollectionByNameOrId("kopa_settings")
		r, _ := app.FindCollectionByNameOrId("registrations")
		if (s.Fields.GetByName("reminder_hours") != nil) != want || (r.Fields.GetByName("reminded_at") != nil) != want {
			t.Fatalf("%s: reminder_hours and reminded_at present: %v", when, !want)
		}
		if !want {
			return
		}
		row, err := app.FindRecordById("kopa_settings", "kopasettings000")
		if err != nil || row.GetInt("reminder_hours") != 24 {
			t.Errorf("%s: the row's reminder_hours %v %v", when, row, err)
		}
	}
	check("applied", true)
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	if _, err := runner.Down(migrationsSince(t, "1795000820")); err != nil {
		t.Fatal(err)
	}
	check("reverted", false)
	if _, err := runner.Up(); err != nil {
		t.Fatal(err)
	}
	check("applied again", true)
}

// migrationsSince counts the registered migrations from the one whose file
// name starts with prefix on: how many to revert to undo that one.
func migrationsSince(t testing.TB, prefix string) int {
	t.Helper()
	n := 0
	for _, m := range core.AppMigrations.Items() {
		if m.File >= prefix {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no migration %s", prefix)
	}
	return n
}

// TestMailQueuedByAnOlderKopaStillSends: rows an older Kopā queued, written
// when they were queued (a ticket mail with its QR code as a text to draw,
// an invitation, PocketBase's own mail), are still sent after the upgrade.
// Kopā's own mails are then written from their records, saying what is
// true when they go out; PocketBase's goes out as it was stored.
func TestMailQueuedByAnOlderKopaStillSends(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.Meta.AppURL = "https://kopa.example.org" })
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs"})
	reg := kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	starts := ev.GetDateTime("starts_at").Time()
	shift := kopatest.Shift(t, app, ev, "interpreting", starts, starts.Add(time.Hour))
	ivan := kopatest.Volunteer(t, app, "ivan@example.com", []string{"ru"}, []string{"interpreting"})
	olga := kopatest.Volunteer(t, app, "olga@example.com", []string{"ru"}, []string{"interpreting"})
	invited := kopatest.Assignment(t, app, shift, ivan, "invited")
	answered := kopatest.Assignment(t, app, shift, olga, "accepted") // answered in the portal meanwhile

	// The rows as the older Kopā stored them.
	old := func(id, to, kind, ref, subject, attachments string) {
		t.Helper()
		_, err := app.DB().Insert(outbox.Collection, dbx.Params{
			"id": id, "to": to, "template": "", "kind": kind, "ref": ref,
			"subject": subject, "text": "Written when queued", "html": "<p>Written when queued</p>", "attachments": attachments,
			"status": "pending", "attempts": 0, "next_attempt_at": types.NowDateTime().String(),
			"created": types.NowDateTime().String(), "updated": types.NowDateTime().String(),
		}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	qr := `[{"name":"ticket-qr.png","content_type":"image/png","data":null,"inline":true,"qr":"https://kopa.example.org/t/` + reg.GetString("ticket") + `"}]`
	old("oldticket000001", "amina@example.com", "ticket_confirmed", reg.Id, "Jūsu biļete: an old title", qr)
	old("oldinvite000001", "ivan@example.com", "volunteer_invite", invited.Id, "An old invitation", "[]")
	old("oldinvite000002", "olga@example.com", "volunteer_invite", answered.Id, "An old invitation", "[]")
	old("oldpbmail000001", "new@example.com", "pocketbase", "", "Verify your new@example.com email", "[]")

	// The upgrade: the migration runs on the rows the older Kopā left.
	if _, err := app.DB().Delete("_migrations", dbx.HashExp{"file": "1795000700_mail_by_template.go"}).Execute(); err != nil {
		t.Fatal(err)
	}
	if applied, err := core.NewMigrationsRunner(app, core.AppMigrations).Up(); err != nil || len(applied) != 1 {
		t.Fatalf("upgrade: %v %v", applied, err)
	}
	for id, template := range map[string]string{"oldticket000001": "ticket_confirmed", "oldinvite000001": "volunteer_invite", "oldpbmail000001": ""} {
		row, err := app.FindRecordById(outbox.Collection, id)
		if err != nil {
			t.Fatal(err)
		}
		if row.GetString("template") != template || (template != "" && row.GetString("text") != "") {
			t.Errorf("row %s after the upgrade: template %q, text %q; want template %q", id, row.GetString("template"), row.GetString("text"), template)
		}
	}

	if sent, err := outbox.Flush(app); sent != 3 || err != nil {
		t.Fatalf("Flush = %d, %v; want 3 sent", sent, err)
	}
	mp.WaitFor(t, 3, 10*time.Second)

	ticket := mp.To(t, "amina@example.com")
	if len(ticket) != 1 || ticket[0].Subject != "Jūsu biļete: Sarunu klubs" {
		t.Fatalf("ticket mail %+v", ticket)
	}
	m := mp.Message(t, ticket[0].ID)
	part, ok := m.Attachment("ticket-qr.png")
	if !ok {
		t.Fatalf("no QR code in the ticket mail: %+v", m.Inline)
	}
	if _, err := png.Decode(bytes.NewReader(mp.Attachment(t, m.ID, part.PartID))); err != nil {
		t.Errorf("the QR code is not a PNG: %v", err)
	}
	if want := "<oldticket000001@example.com>"; m.Header("Message-Id") != want {
		t.Errorf("Message-Id %q, want %q", m.Header("Message-Id"), want)
	}
	invite := mp.To(t, "ivan@example.com")
	if len(invite) != 1 || invite[0].Subject != "Can you help? Interpreting: Sarunu klubs (en)" {
		t.Errorf("invitation %+v", invite)
	}
	if len(mp.To(t, "olga@example.com")) != 0 {
		t.Error("an invitation answered meanwhile was sent")
	}
	if row, _ := app.FindRecordById(outbox.Collection, "oldinvite000002"); row.GetString("status") != outbox.StatusSkipped {
		t.Errorf("the answered invitation is %q, want skipped", row.GetString("status"))
	}
	pb := mp.To(t, "new@example.com")
	if len(pb) != 1 || pb[0].Subject != "Verify your new@example.com email" {
		t.Errorf("PocketBase's mail %+v", pb)
	} else if m := mp.Message(t, pb[0].ID); !strings.Contains(m.Text, "Written when queued") {
		t.Errorf("PocketBase's mail was not sent as stored: %q", m.Text)
	}
}
