package retention_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks"
	"kopa/hooks/attendance"
	"kopa/hooks/checkin"
	"kopa/hooks/outbox"
	"kopa/hooks/reports"
	"kopa/hooks/retention"
	"kopa/hooks/settings"
	"kopa/internal/kopatest"
)

const day = 24 * time.Hour

// mail queues a mail with the given status, last changed ago.
func mail(t *testing.T, app core.App, to, status string, ago time.Duration) *core.Record {
	t.Helper()
	r, err := outbox.EnqueueRaw(app, outbox.Message{To: to, Subject: "Biļete", Text: "x", Kind: "ticket_confirmed"})
	if err != nil {
		t.Fatal(err)
	}
	stamp, _ := types.ParseDateTime(time.Now().Add(-ago))
	_, err = app.DB().Update(outbox.Collection, dbx.Params{"status": status, "updated": stamp.String()}, dbx.HashExp{"id": r.Id}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestErasedAtStartUp: registrations of an event that ended 31 days ago lose
// their names and e-mails when the server starts; statuses, check-ins,
// counts and the attendance report stay; an event that ended 29 days ago is
// untouched. Sent mail older than the period goes too.
func TestErasedAtStartUp(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	old := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(-31*day - 3*time.Hour)})
	recent := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(-29 * day)})
	a := kopatest.Registration(t, app, old, "Amina", "amina@example.com", "confirmed")
	kopatest.Registration(t, app, old, "Olek", "olek@example.com", "cancelled")
	kopatest.Registration(t, app, old, "Мария", "maria@example.com", "waitlisted")
	keep := kopatest.Registration(t, app, recent, "Ivan", "ivan@example.com", "confirmed")
	if _, err := checkin.CheckInRegistration(app, old.Id, a.Id, "manual", time.Now().Add(-31*day)); err != nil {
		t.Fatal(err)
	}
	oldSent := mail(t, app, "amina@example.com", outbox.StatusSent, 31*day)
	oldFailed := mail(t, app, "olek@example.com", outbox.StatusFailed, 31*day)
	oldPending := mail(t, app, "late@example.com", outbox.StatusPending, 31*day)
	newSent := mail(t, app, "ivan@example.com", outbox.StatusSent, 29*day)
	before, _ := attendance.ForEvent(app, old.Id)
	from, to := time.Now().Add(-40*day), time.Now()
	repBefore, _ := reports.Attendance(app, from, to)

	kopatest.Serve(t, app) // start-up runs the erasure

	rows, _ := app.FindRecordsByFilter("registrations", "event = {:e}", "", 0, 0, dbx.Params{"e": old.Id})
	if len(rows) != 3 {
		t.Fatalf("%d registrations of the old event", len(rows))
	}
	statuses := map[string]bool{}
	for _, r := range rows {
		if r.GetString("name") != "" || r.GetString("email") != "" || r.GetDateTime("erased_at").IsZero() {
			t.Errorf("not erased: %v", r.PublicExport())
		}
		statuses[r.GetString("status")] = true
	}
	if len(statuses) != 3 {
		t.Errorf("statuses changed: %v", statuses)
	}
	k, _ := app.FindRecordById("registrations", keep.Id)
	if k.GetString("name") != "Ivan" || k.GetString("email") != "ivan@example.com" || !k.GetDateTime("erased_at").IsZero() {
		t.Error("a recent event's registration was erased")
	}
	attendance.Invalidate(app, old.Id)
	after, _ := attendance.ForEvent(app, old.Id)
	if after != before || after.Confirmed != 1 || after.CheckedIn != 1 || after.Waitlisted != 1 || after.Cancelled != 1 {
		t.Errorf("counts changed: %+v → %+v", before, after)
	}
	repAfter, _ := reports.Attendance(app, from, to)
	if repAfter.Totals["discussion"].Registered != repBefore.Totals["discussion"].Registered || repAfter.Totals["discussion"].CheckedIn != 1 {
		t.Errorf("report changed: %+v → %+v", repBefore.Totals["discussion"], repAfter.Totals["discussion"])
	}
	if n, _ := app.CountRecords("checkins"); n != 1 {
		t.Error("check-ins were lost")
	}
	for _, c := range []struct {
		r    *core.Record
		kept bool
	}{{oldSent, false}, {oldFailed, false}, {oldPending, true}, {newSent, true}} {
		_, err := app.FindRecordById(outbox.Collection, c.r.Id)
		if (err == nil) != c.kept {
			t.Errorf("mail to %s (%s): kept %v, want %v", c.r.GetString("to"), c.r.GetString("status"), err == nil, c.kept)
		}
	}
}

// TestRunFollowsTheSetting: the period is the organisers' retention_days,
// and running again erases nothing more.
func TestRunFollowsTheSetting(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s := settings.Load(app)
	if s.RetentionDays != 30 {
		t.Fatalf("default retention %d days", s.RetentionDays)
	}
	s.RetentionDays = 7
	if err := settings.Save(app, s); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)
	// Ended 8 days and 1 hour before now, and 6 days before now.
	gone := kopatest.Event(t, app, kopatest.EventOpts{Starts: now.Add(-8*day - 3*time.Hour)})
	stays := kopatest.Event(t, app, kopatest.EventOpts{Starts: now.Add(-6*day - 2*time.Hour)})
	kopatest.Registration(t, app, gone, "Amina", "amina@example.com", "confirmed")
	kopatest.Registration(t, app, gone, "Olek", "olek@example.com", "waitlisted")
	kopatest.Registration(t, app, stays, "Ivan", "ivan@example.com", "confirmed")

	n, err := retention.Run(app, now)
	if err != nil || n != 2 {
		t.Fatalf("erased %d, %v", n, err)
	}
	if n, err := retention.Run(app, now); err != nil || n != 0 {
		t.Fatalf("second run erased %d, %v", n, err)
	}
	if r, _ := app.FindFirstRecordByData("registrations", "email", "ivan@example.com"); r == nil {
		t.Error("the registration of an event that ended 6 days ago was erased")
	}
	// A week later it goes too.
	if n, _ := retention.Run(app, now.Add(2*day)); n != 1 {
		t.Errorf("erased %d a week later", n)
	}
}

// TestNightlyJob: the erasure is a PocketBase cron job.
func TestNightlyJob(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(-40 * day)})
	kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	for _, j := range app.Cron().Jobs() {
		if j.Id() == "kopaRetention" {
			if j.Expression() != "15 2 * * *" {
				t.Errorf("runs at %q", j.Expression())
			}
			j.Run()
			if r, _ := app.FindFirstRecordByData("registrations", "event", ev.Id); r.GetString("email") != "" {
				t.Error("the nightly job erased nothing")
			}
			return
		}
	}
	t.Fatal("no nightly retention job")
}

// TestErase: one person's data, on request, now; the counts stay.
func TestErase(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	r := kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	other := kopatest.Registration(t, app, ev, "Ivan", "ivan@example.com", "confirmed")
	if _, err := outbox.EnqueueRaw(app, outbox.Message{To: "amina@example.com", Subject: "Biļete", Text: "x", Kind: "ticket_confirmed", Ref: r.Id}); err != nil {
		t.Fatal(err)
	}
	before, _ := attendance.ForEvent(app, ev.Id)
	for range 2 { // twice is harmless
		if err := retention.Erase(app, r.Id, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := app.FindRecordById("registrations", r.Id)
	if got.GetString("name") != "" || got.GetString("email") != "" || got.GetDateTime("erased_at").IsZero() || got.GetString("status") != "confirmed" {
		t.Errorf("erased: %v", got.PublicExport())
	}
	if o, _ := app.FindRecordById("registrations", other.Id); o.GetString("email") != "ivan@example.com" {
		t.Error("someone else was erased")
	}
	if n, _ := app.CountRecords(outbox.Collection); n != 0 {
		t.Error("their mail is still queued")
	}
	if after, _ := attendance.ForEvent(app, ev.Id); after != before {
		t.Errorf("counts changed: %+v → %+v", before, after)
	}
	if err := retention.Erase(app, "nosuchregistr00", time.Now()); err != retention.ErrNotFound {
		t.Errorf("unknown registration: %v", err)
	}
}

// TestBackupsScheduled: a new database backs itself up nightly and keeps a
// week of backups.
func TestBackupsScheduled(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	if b := app.Settings().Backups; b.Cron != "0 3 * * *" || b.CronMaxKeep != 7 {
		t.Errorf("backups %q keep %d", b.Cron, b.CronMaxKeep)
	}
}

func TestPrivacyPage(t *testing.T) {
	t.Parallel()
	withContact := func(t testing.TB) *tests.TestApp {
		app := kopatest.NewApp(t, hooks.Default)
		if err := settings.Save(app, settings.Settings{RetentionDays: 21, OrgName: "Drošā māja", ContactEmail: "info@example.org", ContactPhone: "+371 20000000"}); err != nil {
			t.Fatal(err)
		}
		return app
	}
	for _, s := range []tests.ApiScenario{
		{Name: "lv", Method: http.MethodGet, URL: "/privacy", ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="lv">`, "Privātums", "30 dienas pēc pasākuma beigām", "Pilsonību", "pēdējās 7", "Vērsieties pie jebkura organizatora"}},
		{Name: "en", Method: http.MethodGet, URL: "/privacy?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="en">`, "30 days after the event ends", "never ask", "latest 7 backups"}},
		{Name: "ru", Method: http.MethodGet, URL: "/privacy?lang=ru", ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="ru">`, "через 30 дней", "последние 7"}},
		{Name: "the organisers' settings", Method: http.MethodGet, URL: "/privacy?lang=en", ExpectedStatus: 200, TestAppFactory: withContact,
			ExpectedContent:    []string{"Drošā māja collects", "21 days after the event ends", `href="mailto:info@example.org"`, `href="tel:&#43;37120000000"`, "371 20000000", "Contact Drošā māja:"},
			NotExpectedContent: []string{"Ask any of the organisers"}},
		{Name: "one day (ru)", Method: http.MethodGet, URL: "/privacy?lang=ru", ExpectedStatus: 200,
			TestAppFactory: func(t testing.TB) *tests.TestApp {
				app := kopatest.NewApp(t, hooks.Default)
				if err := settings.Save(app, settings.Settings{RetentionDays: 1}); err != nil {
					t.Fatal(err)
				}
				return app
			},
			ExpectedContent: []string{"через 1 день после окончания"}},
	} {
		if s.TestAppFactory == nil {
			s.TestAppFactory = kopatest.Factory(hooks.Default)
		}
		s.Test(t)
	}
}
