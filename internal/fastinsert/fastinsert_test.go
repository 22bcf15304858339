package fastinsert_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/attendance"
	"kopa/hooks/checkin"
	"kopa/hooks/registration"
	"kopa/hooks/series"
	"kopa/internal/domain"
	"kopa/internal/fastinsert"
	"kopa/internal/kopatest"
)

// TestFieldsFence: every field of registrations and checkins that a save
// fills or requires on create is filled by their fast insert, and every
// field a fast insert fills exists.
func TestFieldsFence(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	for _, p := range fastinsert.Paths {
		c, err := app.FindCollectionByNameOrId(p.Collection)
		if err != nil {
			t.Fatal(err)
		}
		if problems := p.Check(c); len(problems) > 0 {
			t.Errorf("the fast insert of %s (%s) no longer does what a save would:\n\t%s\n"+
				"Make it fill those fields as a save would, then list them in fastinsert.%s.Fills "+
				"(or save those rows through PocketBase).", p.Collection, p.Code, strings.Join(problems, "\n\t"), strings.ToUpper(p.Collection[:1])+p.Collection[1:])
		}
	}
}

// TestFieldsFenceCatches: a field added later that a save would generate,
// stamp or require is caught; a plain optional one, which a fast insert
// stores empty just as a save does, is not.
func TestFieldsFenceCatches(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	c, err := app.FindCollectionByNameOrId("checkins")
	if err != nil {
		t.Fatal(err)
	}
	c.Fields.Add(
		&core.TextField{Name: "badge", AutogeneratePattern: "[a-z]{8}"},
		&core.AutodateField{Name: "stamped", OnCreate: true},
		&core.NumberField{Name: "seat", Required: true},
		&core.PasswordField{Name: "pin"},
		&core.TextField{Name: "note"},
		&core.AutodateField{Name: "touched", OnUpdate: true},
	)
	p := fastinsert.Checkins
	p.Fills = append(p.Fills[:len(p.Fills):len(p.Fills)], "gone")
	got := strings.Join(p.Check(c), "\n")
	for _, want := range []string{`no field "gone"`, "checkins.badge is generated", "checkins.stamped gets the time", "checkins.seat is required", "checkins.pin is handled by the field's interceptor"} {
		if !strings.Contains(got, want) {
			t.Errorf("Check missed %q:\n%s", want, got)
		}
	}
	for _, quiet := range []string{"note", "touched"} {
		if strings.Contains(got, "checkins."+quiet+" ") {
			t.Errorf("Check complains of %s:\n%s", quiet, got)
		}
	}
}

// TestHooksFence: the handlers bound to the hooks a fast insert skips are
// those fastinsert.Skipped knows, PocketBase's and Kopā's.
func TestHooksFence(t *testing.T) {
	t.Parallel()
	bare := kopatest.NewApp(t)
	kopa := kopatest.NewApp(t, hooks.Default)
	for _, h := range fastinsert.Skipped {
		pb := h.Bound(bare)
		if pb != h.PocketBase {
			t.Errorf("PocketBase binds %d handlers to %s, fastinsert.Skipped says %d: read what the new ones do "+
				"when a row of a base collection is created; if it matters for registrations or checkins, "+
				"their fast inserts must do it too. Then update the number.", pb, h.Name, h.PocketBase)
		}
		if own := h.Bound(kopa) - pb; own != len(h.Kopa) {
			t.Errorf("Kopā binds %d handlers to %s, fastinsert.Skipped knows %d (%q). A handler for "+
				"registrations or checkins does not run when their fast inserts (%s; %s) store a row: "+
				"make them do what it does, or store those rows through PocketBase. Then list it in fastinsert.Skipped.",
				own, h.Name, len(h.Kopa), h.Kopa, fastinsert.Registrations.Code, fastinsert.Checkins.Code)
		}
	}
}

// TestHooksFenceCatches: one more handler on a skipped hook is counted.
func TestHooksFenceCatches(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	for _, h := range fastinsert.Skipped {
		if h.Name != "OnRecordCreate" {
			continue
		}
		before := h.Bound(app)
		app.OnRecordCreate("registrations").BindFunc(func(e *core.RecordEvent) error { return e.Next() })
		if h.Bound(app) != before+1 {
			t.Errorf("a new OnRecordCreate handler is not counted: %d, then %d", before, h.Bound(app))
		}
		return
	}
	t.Fatal("OnRecordCreate is not among the skipped hooks")
}

// TestStoredRowsPassASave: a registration and a check-in stored by the
// fast inserts of a whole Kopā have every field a save would have given
// them, and a save's validation (field rules and validate hooks) accepts
// them as they are.
func TestStoredRowsPassASave(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 10})
	in := registration.Input{Name: "  Amina Haddad ", Email: "Amina@Example.com", Locale: "ru", PhotoConsent: true, Interpretation: []string{"ar"}}
	if err := in.Normalize(); err != nil {
		t.Fatal(err)
	}
	res, err := registration.Create(app, ev.Id, in, time.Now())
	if err != nil || res.Status != string(domain.RegistrationConfirmed) {
		t.Fatalf("register: %+v %v", res, err)
	}
	r, err := app.FindRecordById("registrations", res.Registration.Id)
	if err != nil {
		t.Fatal(err)
	}
	if r.GetString("ticket") == "" || r.GetString("name") != "Amina Haddad" {
		t.Errorf("registration %v", r.FieldsData())
	}
	at := time.Now().Add(-time.Minute)
	if res, err := checkin.CheckIn(app, ev.Id, r.GetString("ticket"), domain.CheckinQR, at); err != nil || res.Result != checkin.OK {
		t.Fatalf("check in: %+v %v", res, err)
	}
	c, err := app.FindFirstRecordByData("checkins", "registration", r.Id)
	if err != nil {
		t.Fatal(err)
	}
	if c.GetInt("arrived") != 1 {
		t.Errorf("a check-in of one person stored arrived %d", c.GetInt("arrived"))
	}
	for _, row := range []*core.Record{r, c} {
		for _, f := range []string{"id", "created", "updated"} {
			if row.GetString(f) == "" {
				t.Errorf("%s stored without %s", row.Collection().Name, f)
			}
		}
		if err := app.Validate(row); err != nil {
			t.Errorf("a save would refuse the %s row a fast insert stored: %v\n%v", row.Collection().Name, err, row.FieldsData())
		}
	}
}

// TestSeatsInATransaction: the seats a standing place takes are inserted
// in its transaction by the fast insert (registration.DecideInTx); they
// pass a save's validation, and their after-create hooks run once the
// transaction commits, on the app itself (the counts learn of them), and
// not at all when it rolls back.
func TestSeatsInATransaction(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, sessions := kopatest.Series(t, app, kopatest.SeriesOpts{Weeks: 3, Capacity: 5})
	var announced, inTx atomic.Int32
	app.OnRecordAfterCreateSuccess(domain.Registrations).BindFunc(func(e *core.RecordEvent) error {
		announced.Add(1)
		if e.App.IsTransactional() {
			inTx.Add(1)
		}
		return e.Next()
	})
	if st, err := attendance.ForEvent(app, sessions[0].Id); err != nil || st.Confirmed != 0 {
		t.Fatalf("counts before: %+v %v", st, err)
	}

	// Rolled back: nothing stored, nothing announced.
	place := kopatest.Standing(t, app, s, "Olena Koval", "olena@example.com")
	rollback := errors.New("rolled back")
	err := app.RunInTransaction(func(tx core.App) error {
		seats, err := series.TakeSeats(tx, place, time.Now())
		if err != nil || len(seats) != 3 {
			t.Errorf("seats %+v %v", seats, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if n := announced.Load(); n != 0 {
		t.Errorf("%d seats of a rolled back transaction announced", n)
	}

	in := registration.Input{Name: " Amina Haddad", Email: "amina@example.com", Locale: "ar", Interpretation: []string{"ar"}}
	if err := in.Normalize(); err != nil {
		t.Fatal(err)
	}
	res, err := series.Join(app, s.Id, in, time.Now())
	if err != nil || len(res.Sessions) != 3 {
		t.Fatalf("join: %+v %v", res, err)
	}
	if n := announced.Load(); n != 3 || inTx.Load() != 0 {
		t.Errorf("%d seats announced (%d inside the transaction), want 3 after it", n, inTx.Load())
	}
	if st, err := attendance.ForEvent(app, sessions[0].Id); err != nil || st.Confirmed != 1 {
		t.Errorf("counts after: %+v %v", st, err)
	}
	seats, err := app.FindAllRecords(domain.Registrations, dbx.HashExp{"standing": res.Standing.Id})
	if err != nil || len(seats) != 3 {
		t.Fatalf("%d seats stored: %v", len(seats), err)
	}
	for _, r := range seats {
		for _, f := range []string{"id", "ticket", "created", "updated"} {
			if r.GetString(f) == "" {
				t.Errorf("seat stored without %s", f)
			}
		}
		if err := app.Validate(r); err != nil {
			t.Errorf("a save would refuse the seat a fast insert stored: %v\n%v", err, r.FieldsData())
		}
	}
}
