package retention_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/attendance"
	"kopa/hooks/checkin"
	"kopa/internal/kopatest"
)

// TestErasedAtStartUp: registrations of an event that ended 31 days ago lose
// their names and e-mails when the server starts; statuses, check-ins and
// counts stay; an event that ended 29 days ago is untouched.
func TestErasedAtStartUp(t *testing.T) {
	app := kopatest.NewApp(t, hooks.Default)
	old := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(-31*24*time.Hour - 3*time.Hour)})
	recent := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(-29 * 24 * time.Hour)})
	a := kopatest.Registration(t, app, old, "Amina", "amina@example.com", "confirmed")
	kopatest.Registration(t, app, old, "Olek", "olek@example.com", "cancelled")
	keep := kopatest.Registration(t, app, recent, "Ivan", "ivan@example.com", "confirmed")
	if _, err := checkin.CheckInRegistration(app, old.Id, a.Id, "manual", time.Now().Add(-31*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	before, _ := attendance.ForEvent(app, old.Id)

	kopatest.Serve(t, app) // start-up runs the erasure

	rows, _ := app.FindAllRecords("registrations")
	for _, r := range rows {
		if r.GetString("event") == old.Id {
			if r.GetString("name") != "" || r.GetString("email") != "" || r.GetDateTime("erased_at").IsZero() {
				t.Errorf("not erased: %v", r.PublicExport())
			}
		}
	}
	k, _ := app.FindRecordById("registrations", keep.Id)
	if k.GetString("name") != "Ivan" || k.GetString("email") != "ivan@example.com" {
		t.Error("a recent event's registration was erased")
	}
	attendance.Invalidate(app, old.Id)
	after, _ := attendance.ForEvent(app, old.Id)
	if after != before {
		t.Errorf("counts changed: %+v → %+v", before, after)
	}
	if n, _ := app.CountRecords("checkins"); n != 1 {
		t.Error("check-ins were lost")
	}
}

func TestPrivacyPage(t *testing.T) {
	for _, s := range []tests.ApiScenario{
		{Name: "lv", Method: http.MethodGet, URL: "/privacy", ExpectedStatus: 200, ExpectedContent: []string{"Privātums", "30 dienas", "Pilsonību"}},
		{Name: "en", Method: http.MethodGet, URL: "/privacy?lang=en", ExpectedStatus: 200, ExpectedContent: []string{"30 days after an event ends", "never ask"}},
		{Name: "ru", Method: http.MethodGet, URL: "/privacy?lang=ru", ExpectedStatus: 200, ExpectedContent: []string{"через 30 дней"}},
	} {
		s.TestAppFactory = kopatest.Factory(hooks.Default)
		s.Test(t)
	}
}
