package attendance_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestCachedCountsFollowEveryChange compares the cached counts with a fresh
// count after each kind of change, including a rolled-back one.
func TestCachedCountsFollowEveryChange(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, attendance.Register)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 5, Waitlist: true})
	check := func(step string, want domain.Stats) {
		t.Helper()
		got, err := attendance.ForEvent(app, ev.Id)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: cached %+v, want %+v", step, got, want)
		}
		var fresh domain.Stats
		_ = app.RunInTransaction(func(tx core.App) error { fresh, _ = attendance.ForEvent(tx, ev.Id); return nil })
		if fresh != want {
			t.Fatalf("%s: counted %+v, want %+v", step, fresh, want)
		}
	}
	check("empty", domain.Stats{Capacity: 5})
	a := kopatest.Registration(t, app, ev, "A", "a@example.com", "confirmed")
	check("one confirmed", domain.Stats{Capacity: 5, Confirmed: 1})
	b := kopatest.Registration(t, app, ev, "B", "b@example.com", "waitlisted")
	check("one waitlisted", domain.Stats{Capacity: 5, Confirmed: 1, Waitlisted: 1})
	col, _ := app.FindCollectionByNameOrId("checkins")
	in := core.NewRecord(col)
	in.Load(map[string]any{"registration": a.Id, "event": ev.Id, "at": time.Now().UTC().Format("2006-01-02 15:04:05.000Z"), "method": "qr"})
	if err := app.Save(in); err != nil {
		t.Fatal(err)
	}
	check("checked in", domain.Stats{Capacity: 5, Confirmed: 1, Waitlisted: 1, CheckedIn: 1})
	b.Set("status", "confirmed")
	if err := app.Save(b); err != nil {
		t.Fatal(err)
	}
	check("promoted", domain.Stats{Capacity: 5, Confirmed: 2, CheckedIn: 1})
	ev.Set("capacity", 10)
	if err := app.Save(ev); err != nil {
		t.Fatal(err)
	}
	check("capacity changed", domain.Stats{Capacity: 10, Confirmed: 2, CheckedIn: 1})
	err := app.RunInTransaction(func(tx core.App) error {
		r := core.NewRecord(a.Collection())
		r.Load(map[string]any{"event": ev.Id, "name": "C", "status": "confirmed"})
		if err := tx.Save(r); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("expected the rollback")
	}
	check("rolled back", domain.Stats{Capacity: 10, Confirmed: 2, CheckedIn: 1})
	if err := app.Delete(in); err != nil {
		t.Fatal(err)
	}
	check("check-in deleted", domain.Stats{Capacity: 10, Confirmed: 2})
	a.Set("status", "cancelled")
	if err := app.Save(a); err != nil {
		t.Fatal(err)
	}
	check("cancelled", domain.Stats{Capacity: 10, Confirmed: 1, Cancelled: 1})
}

// TestCountsArePeople: a party counts as its people wherever the counts
// go, confirmed, waiting and cancelled alike, and a check-in as the people
// it let in (one where it says nothing); the list of registrations carries
// each party, its children to mind and who arrived.
func TestCountsArePeople(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, attendance.Register)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 10, Waitlist: true})
	reg := func(name string, status domain.RegistrationStatus, party, childcare int) *core.Record {
		return kopatest.Party(t, app, kopatest.Registration(t, app, ev, name, name+"@example.com", status), party, childcare)
	}
	check := func(step string, want domain.Stats) {
		t.Helper()
		got, err := attendance.ForEvent(app, ev.Id) // cached
		if err != nil || got != want {
			t.Fatalf("%s: cached %+v (%v), want %+v", step, got, err, want)
		}
		attendance.Invalidate(app, ev.Id)
		if fresh, err := attendance.ForEvent(app, ev.Id); err != nil || fresh != want {
			t.Fatalf("%s: counted %+v (%v), want %+v", step, fresh, err, want)
		}
	}
	family := reg("family", "confirmed", 4, 2)
	check("a family of four", domain.Stats{Capacity: 10, Confirmed: 4})
	// Counted, then one more party arrives: the cache adds its people.
	couple := kopatest.Registration(t, app, ev, "couple", "couple@example.com", "waitlisted")
	couple.Set("party", 2)
	if err := app.Save(couple); err != nil {
		t.Fatal(err)
	}
	check("a couple waiting", domain.Stats{Capacity: 10, Confirmed: 4, Waitlisted: 2})
	col, _ := app.FindCollectionByNameOrId("checkins")
	checkIn := func(r *core.Record, arrived int) {
		c := core.NewRecord(col)
		c.Load(map[string]any{"registration": r.Id, "event": ev.Id, "at": time.Now().UTC().Format("2006-01-02 15:04:05.000Z"), "method": "qr", "arrived": arrived})
		if err := app.Save(c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := attendance.ForEvent(app, ev.Id); err != nil { // cached before the check-in
		t.Fatal(err)
	}
	checkIn(family, 3)
	check("three of the family came", domain.Stats{Capacity: 10, Confirmed: 4, Waitlisted: 2, CheckedIn: 3})
	single := reg("single", "confirmed", 1, 0)
	checkIn(single, 0)
	check("a check-in without a count is one person", domain.Stats{Capacity: 10, Confirmed: 5, Waitlisted: 2, CheckedIn: 4})
	couple.Set("status", "cancelled")
	if err := app.Save(couple); err != nil {
		t.Fatal(err)
	}
	check("the couple cancelled", domain.Stats{Capacity: 10, Confirmed: 5, Cancelled: 2, CheckedIn: 4})

	rows, err := attendance.Registrations(app, ev.Id, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]int{}
	for _, r := range rows {
		got[r.Name] = [3]int{r.Party, r.Childcare, r.Arrived}
	}
	want := map[string][3]int{"family": {4, 2, 3}, "couple": {2, 0, 0}, "single": {1, 0, 1}}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: party, childcare, arrived %v, want %v", name, got[name], w)
		}
	}
}
