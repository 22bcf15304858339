package live_test

import (
	"testing"
	"time"

	"kopa/hooks/live"
	"kopa/hooks/registration"
	"kopa/internal/kopatest"
)

// TestPartiesOnTheDashboard: the counts on the socket are people: a party
// checked in is its people in the counts and the arrivals, a correction of
// who arrived and seats given back send the new counts.
func TestPartiesOnTheDashboard(t *testing.T) {
	t.Parallel()
	f := setup(t)
	family := kopatest.Registration(t, f.app, f.event, "Amina Haddad", "amina@example.org", "confirmed")
	family.Set("party", 4)
	if err := f.app.Save(family); err != nil {
		t.Fatal(err)
	}
	rec := newCheckin(t, f.app, family)
	rec.Set("arrived", 3)
	if err := f.app.Save(rec); err != nil {
		t.Fatal(err)
	}
	conn, snap := f.open(t, f.orgToken, f.event.Id)
	if snap.Stats.Confirmed != 4 || snap.Stats.CheckedIn != 3 || len(snap.Arrivals) != 3 {
		t.Fatalf("snapshot %+v with %d arrivals: want 4 confirmed, 3 checked in and arrived", snap.Stats, len(snap.Arrivals))
	}

	rec.Set("arrived", 4)
	if err := f.app.Save(rec); err != nil {
		t.Fatal(err)
	}
	m, raw := next(t, conn)
	if m.Type != live.TypeCheckin || m.Stats.CheckedIn != 4 || m.Name != nil {
		t.Fatalf("after the correction: %s", raw)
	}

	if _, _, err := registration.GiveBack(f.app, family.GetString("ticket"), 2, time.Now()); err != nil {
		t.Fatal(err)
	}
	m, raw = next(t, conn)
	if m.Type != live.TypeCancellation || m.Stats.Confirmed != 2 {
		t.Fatalf("after two seats were given back: %s", raw)
	}
	noPersonalData(t, raw, family)
}
