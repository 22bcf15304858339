package series

import (
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/internal/domain"
	"kopa/internal/groupcommit"
	"kopa/internal/kopatest"
)

// TestJoinBatch: standing places committed in one transaction each get
// their own answer: a second place of an address in the same batch is
// "exists", and the seats of all share the sessions' capacity. When one
// place of a batch cannot be written, the others are committed on their
// own and nothing of it is stored.
func TestJoinBatch(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, registration.Register, Register)
	s, sessions := kopatest.Series(t, app, kopatest.SeriesOpts{Weeks: 2, Capacity: 1, Waitlist: true})
	now := time.Now()
	newJob := func(email string) *joinJob {
		t.Helper()
		in := registration.Input{Name: "Person " + email, Email: email + "@example.com", Locale: "lv"}
		if err := in.Normalize(); err != nil {
			t.Fatal(err)
		}
		j, err := prepareJoin(app, s.Id, in, now)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	seats := func(j *joinJob) []string {
		var out []string
		for _, seat := range j.res.Sessions {
			out = append(out, seat.Status)
		}
		return out
	}

	a, again, c := newJob("anna"), newJob("anna"), newJob("cem")
	if err := joinBatch(app, []*joinJob{a, again, c}); err != nil {
		t.Fatal(err)
	}
	if a.res.Status != StatusStanding || again.res.Status != registration.StatusExists || c.res.Status != StatusStanding {
		t.Fatalf("answers %q, %q, %q", a.res.Status, again.res.Status, c.res.Status)
	}
	if again.res.Standing.Id != a.st.Id {
		t.Errorf("exists answered with place %s, want %s", again.res.Standing.Id, a.st.Id)
	}
	if got := seats(a); len(got) != 2 || got[0] != "confirmed" || got[1] != "confirmed" {
		t.Errorf("first place's seats %v", got)
	}
	if got := seats(c); len(got) != 2 || got[0] != "waitlisted" || got[1] != "waitlisted" {
		t.Errorf("second place's seats %v", got)
	}

	e, bad := newJob("ella"), newJob("fran")
	bad.st.Id = e.st.Id // its row cannot be written beside e's
	errs := groupcommit.Commit([]*joinJob{e, bad}, func(batch []*joinJob) error { return joinBatch(app, batch) })
	if errs[0] != nil || e.res.Status != StatusStanding {
		t.Errorf("good place: %v, %q", errs[0], e.res.Status)
	}
	if errs[1] == nil {
		t.Error("a place that cannot be written was answered")
	}

	if n, _ := app.CountRecords(domain.Standing); n != 3 {
		t.Errorf("%d standing places, want 3", n)
	}
	for i, ev := range sessions {
		confirmed, _ := app.CountRecords(domain.Registrations, dbx.HashExp{"event": ev.Id, "status": "confirmed"})
		waiting, _ := app.CountRecords(domain.Registrations, dbx.HashExp{"event": ev.Id, "status": "waitlisted"})
		if confirmed != 1 || waiting != 2 {
			t.Errorf("session %d: %d confirmed, %d waiting; want 1 and 2", i, confirmed, waiting)
		}
	}
	if n, _ := app.CountRecords(domain.Registrations, dbx.HashExp{"email": "fran@example.com"}); n != 0 {
		t.Errorf("%d seats of the place that failed", n)
	}
	kinds := map[string]int{}
	rows, err := app.FindAllRecords(outbox.Collection)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		kinds[r.GetString("kind")]++
	}
	if kinds["series_"+MailWelcome] != 3 || kinds["series_"+MailAgain] != 1 || len(rows) != 4 {
		t.Errorf("mails %v, want 3 welcome and 1 again", kinds)
	}
}
