package registration

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/fastinsert"
)

// Prepared is a registration made ready to be decided: its record, id,
// ticket code and the values to store are built, which needs no writer. A
// caller that decides many registrations in one transaction of its own
// (package series: a standing place's seat in every session) prepares them
// before it takes the writer, and holds the writer only to decide.
type Prepared struct{ j *job }

// Prepare makes the registration of in at the event ready for DecideInTx.
// in must have been normalized.
func Prepare(app core.App, eventID string, in Input, now time.Time) (*Prepared, error) {
	j, err := prepareJob(app, eventID, in, now)
	if err != nil {
		return nil, err
	}
	return &Prepared{j: j}, nil
}

// Event is the id of the event p registers for.
func (p *Prepared) Event() string { return p.j.eventID }

// Result is what DecideInTx decided for p: as Create answers (ErrFull,
// ErrClosed, ErrNotFound, a validation.Errors of what the event does not
// allow, or a Result).
func (p *Prepared) Result() (Result, error) { return p.j.res, p.j.err }

// DecideInTx decides the prepared registrations in tx, the caller's
// transaction, each as Create decides one, as one batch: every event's
// state and seats are read once and kept up to date by the batch's own
// inserts, and the rows go in with the batch's prepared INSERT (a fast
// insert, see package fastinsert) instead of a save each. The rows' after-
// create hooks run when tx commits, as a save's would (nothing is
// announced when it rolls back). An error returned is the database's and
// must end tx; each registration's own outcome is its Result.
func DecideInTx(tx core.App, ps []*Prepared) error {
	info := tx.TxInfo()
	app := appOf(tx)
	w := newBatchWriter(tx)
	// Without a transaction to announce the rows at, or the app to
	// announce them on, they are saved through PocketBase.
	w.viaSave = info == nil || app == nil
	defer w.close()
	events := make([]string, len(ps))
	for i, p := range ps {
		events[i] = p.j.eventID
	}
	if err := w.readEvents(events); err != nil {
		return err
	}
	var created []*core.Record
	for _, p := range ps {
		j := p.j
		j.res, j.err, j.created = Result{}, nil, false
		if err := w.decide(j); err != nil {
			return err
		}
		if j.created {
			created = append(created, j.rec)
		}
	}
	if len(created) == 0 {
		return nil
	}
	info.OnComplete(func(txErr error) error {
		if txErr != nil {
			return nil
		}
		for _, r := range created {
			r.MarkAsNotNew()
			fastinsert.AnnounceCreate(app, r)
		}
		return nil
	})
	return nil
}

// appKey keeps, in the store an app shares with its transactions, the app
// itself: the after-create hooks of rows inserted in a transaction run on
// it once the transaction is over, as PocketBase runs a save's.
const appKey = "kopa.registration.app"

func appOf(tx core.App) core.App {
	app, _ := tx.Store().Get(appKey).(core.App)
	return app
}
