package registration

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/outbox"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

func input(t *testing.T, name string) Input {
	t.Helper()
	in := Input{Name: name, Email: name + "@example.com", Locale: "lv"}
	if err := in.Normalize(); err != nil {
		t.Fatal(err)
	}
	return in
}

// newJob prepares a job as Create does, without queueing it.
func newJob(t *testing.T, app core.App, eventID string, in Input) *job {
	t.Helper()
	col, err := app.FindCachedCollectionByNameOrId("registrations")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(col)
	r.Id = core.GenerateDefaultRandomId()
	r.Load(map[string]any{"ticket": NewCode(), "event": eventID, "name": in.Name, "email": in.Email, "locale": in.Locale, "status": domain.RegistrationConfirmed})
	export, err := r.DBExport(app)
	if err != nil {
		t.Fatal(err)
	}
	return &job{eventID: eventID, in: in, now: time.Now(), rec: r, params: dbx.Params(export)}
}

func count(t *testing.T, app core.App, table string) int {
	t.Helper()
	var n int
	if err := app.DB().NewQuery("SELECT count(*) FROM " + table).Row(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBatchFailureFailsOnlyItsOwnRegistration: when one registration of a
// batch fails in the database, the batch's transaction stores nothing, and
// every other registration of it is decided again on its own and stored,
// with its mail.
func TestBatchFailureFailsOnlyItsOwnRegistration(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	registerMail()
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 3, Waitlist: true})

	var batch []*job
	for i := range 5 {
		batch = append(batch, newJob(t, app, ev.Id, input(t, fmt.Sprintf("p%d", i))))
	}
	// The third cannot be written: a column the table does not have.
	batch[2].params["no_such_column"] = "x"

	commitBatch(app, batch)

	for i, j := range batch {
		if i == 2 {
			if j.err == nil || j.created {
				t.Errorf("bad job: err %v, created %v", j.err, j.created)
			}
			continue
		}
		if j.err != nil || !j.created {
			t.Errorf("job %d: err %v, created %v", i, j.err, j.created)
		}
	}
	// Decided again one by one, in order: three seats, then the list.
	confirmed, waitlisted := string(domain.RegistrationConfirmed), string(domain.RegistrationWaitlisted)
	want := []string{confirmed, confirmed, "", confirmed, waitlisted}
	for i, j := range batch {
		if j.res.Status != want[i] {
			t.Errorf("job %d: %q, want %q", i, j.res.Status, want[i])
		}
	}
	if batch[4].res.Position != 1 {
		t.Errorf("position %d", batch[4].res.Position)
	}
	if n := count(t, app, "registrations"); n != 4 {
		t.Errorf("%d registrations stored, want 4", n)
	}
	if n := count(t, app, outbox.Collection); n != 4 {
		t.Errorf("%d mails queued, want 4", n)
	}
}

// TestCreateInsideACallersTransaction: Create given a transaction's app
// decides inside it. The registration and its mail commit or roll back with
// the caller's work, and PocketBase's hooks (here the cached counts) run
// only after the commit.
func TestCreateInsideACallersTransaction(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	attendance.Register(app)
	registerMail()
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 10})
	if _, err := attendance.ForEvent(app, ev.Id); err != nil { // cache the counts
		t.Fatal(err)
	}

	rollback := errors.New("changed my mind")
	err := app.RunInTransaction(func(tx core.App) error {
		res, err := Create(tx, ev.Id, input(t, "anna"), time.Now())
		if err != nil || res.Status != string(domain.RegistrationConfirmed) {
			t.Fatalf("in a transaction: %+v %v", res, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if n := count(t, app, "registrations"); n != 0 {
		t.Fatalf("rolled back, yet %d registrations", n)
	}
	if n := count(t, app, outbox.Collection); n != 0 {
		t.Fatalf("rolled back, yet %d mails", n)
	}

	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := Create(tx, ev.Id, input(t, "anna"), time.Now()); err != nil {
			return err
		}
		// The same address again in the same transaction is known.
		res, err := Create(tx, ev.Id, input(t, "anna"), time.Now())
		if err != nil || res.Status != StatusExists {
			t.Errorf("again: %+v %v", res, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, app, "registrations"); n != 1 {
		t.Errorf("%d registrations", n)
	}
	if n := count(t, app, outbox.Collection); n != 2 {
		t.Errorf("%d mails, want the ticket and the ticket again", n)
	}
	st, err := attendance.ForEvent(app, ev.Id)
	if err != nil || st.Confirmed != 1 {
		t.Errorf("counts after commit: %+v %v", st, err)
	}
}
