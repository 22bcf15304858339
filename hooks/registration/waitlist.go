package registration

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/domain"
)

// moveOnRaise runs when an event is saved: when its capacity was raised
// (or its limit lifted), the people on its waiting list are confirmed at
// once, in the order they came, as far as the new seats go (a party too big
// for them keeps its place, see promote), and mailed, so
// nobody who registers later takes a seat ahead of them. It runs in the
// transaction of the change, and reads the stored capacity there (a
// record's Original is stale when it was saved twice in memory), so the
// seats move exactly when the change commits. Bound to the record's update,
// it serves the console, the record API and the admin UI alike.
func moveOnRaise(e *core.RecordEvent) error {
	if domain.EventStatusOf(e.Record) != domain.EventPublished {
		return e.Next()
	}
	original := e.App
	defer func() { e.App = original }()
	return e.App.RunInTransaction(func(tx core.App) error {
		var was int
		err := tx.DB().Select("capacity").From(domain.Events).Where(dbx.HashExp{"id": e.Record.Id}).Row(&was)
		if err != nil {
			return fmt.Errorf("capacity of event %s: %w", e.Record.Id, err)
		}
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		capacity := e.Record.GetInt("capacity")
		raised := capacity != was && (capacity == 0 || capacity > was)
		if !raised || !time.Now().Before(e.Record.GetDateTime("ends_at").Time()) {
			return nil // nobody to promote into an event that is over
		}
		promoted, err := promote(tx, e.Record)
		if err != nil {
			return fmt.Errorf("move the waiting list of event %s: %w", e.Record.Id, err)
		}
		if len(promoted) > 0 {
			tx.Logger().Info("capacity raised, waiting list confirmed", "event", e.Record.Id, "confirmed", len(promoted))
		}
		return nil
	})
}
