package migrations_test

import (
	"testing"

	"kopa/internal/kopatest"
)

func TestSchemaApplies(t *testing.T) {
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
