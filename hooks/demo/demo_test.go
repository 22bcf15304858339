package demo_test

import (
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"kopa/hooks/demo"
	"kopa/hooks/settings"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

func TestSeedOnceWithFreshPassword(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

	first, err := demo.Seed(app, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Seeded || first.Events != 5+2*4+3 {
		t.Fatalf("first run: %+v", first)
	}
	second, err := demo.Seed(app, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if second.Seeded {
		t.Fatal("second run seeded again")
	}
	if n, _ := app.CountRecords("events"); n != int64(first.Events) {
		t.Fatalf("events after two runs: %d, want %d", n, first.Events)
	}
	if n, _ := app.CountRecords("organisers"); n != 1 {
		t.Fatalf("organisers after two runs: %d", n)
	}

	org, err := app.FindAuthRecordByEmail("organisers", demo.OrganiserEmail)
	if err != nil {
		t.Fatal(err)
	}
	if !org.ValidatePassword(second.Password) || org.ValidatePassword(first.Password) {
		t.Error("the printed password must be the one that works now")
	}

	counts := map[string]int{}
	recs, err := app.FindAllRecords("events")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		counts[r.GetString("kind")]++
		if r.GetString("status") != "published" {
			t.Errorf("%s is not published", r.GetString("title_en"))
		}
		if !r.GetDateTime("starts_at").Time().After(now) {
			t.Errorf("%s is not in the coming weeks", r.GetString("title_en"))
		}
		for _, f := range []string{"title_lv", "title_en", "title_ru", "summary_lv", "summary_en", "summary_ru"} {
			if r.GetString(f) == "" {
				t.Errorf("%s has no %s", r.GetString("title_lv"), f)
			}
		}
	}
	// Families: the cultural visits take parties and people without an
	// e-mail address, the discussions couples, with children minded.
	for _, r := range recs {
		switch r.GetString("kind") {
		case domain.KindCulture:
			if domain.MaxParty(r) != 6 || !domain.EmailOptional(r) {
				t.Errorf("%s: max_party %d, email_optional %v", r.GetString("title_en"), domain.MaxParty(r), domain.EmailOptional(r))
			}
		case domain.KindDiscussion:
			if domain.MaxParty(r) != 2 || !domain.OffersChildcare(r) {
				t.Errorf("%s: max_party %d, childcare %v", r.GetString("title_en"), domain.MaxParty(r), domain.OffersChildcare(r))
			}
		case domain.KindClub:
			if r.GetInt("max_party") != 1 {
				t.Errorf("%s: max_party %d, want 1", r.GetString("title_en"), r.GetInt("max_party"))
			}
		}
	}
	if counts["discussion"] != 5 || counts["club"] != 8 || counts["culture"] != 3 {
		t.Errorf("kinds: %v", counts)
	}
	// Each club is a weekly series of its four sessions.
	if n, _ := app.CountRecords(domain.Series); n != 2 {
		t.Errorf("%d series, want the two clubs", n)
	}
	if n, _ := app.CountRecords(domain.Events, dbx.NewExp("series != ''")); n != 8 {
		t.Errorf("%d sessions in a series, want the clubs' 8", n)
	}
	if s := settings.Load(app); s.ContactEmail != demo.ContactEmail {
		t.Errorf("the demo organisation's contact: %+v", s)
	}
}

func TestSeedLeavesARealDatabaseAlone(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	kopatest.Event(t, app, kopatest.EventOpts{Title: "Real event"})
	res, err := demo.Seed(app, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Seeded {
		t.Fatal("seeded a database that already had events")
	}
	if n, _ := app.CountRecords("events"); n != 1 {
		t.Fatalf("events: %d", n)
	}
	if s := settings.Load(app); s.ContactEmail != "" {
		t.Errorf("a demo contact on a real database: %+v", s)
	}
}
