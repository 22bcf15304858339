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
