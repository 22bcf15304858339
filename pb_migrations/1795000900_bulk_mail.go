package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A bulletin queues one mail per subscriber at once: thousands of rows.
// They are bulk mail, sent when no other mail is due, so a ticket or an
// invitation queued meanwhile goes out before the rest of the bulletin
// instead of waiting behind it. The worker asks for "pending, not bulk,
// due, oldest first", then the same for bulk: one index answers both, and
// replaces the index on (status, next_attempt_at), whose questions it
// answers too: one index less to write for each of a bulletin's rows.
//
// Rows queued before have bulk false, as every row other than a
// bulletin's.
func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("mail_outbox")
		if err != nil {
			return err
		}
		c.Fields.Add(&core.BoolField{Name: "bulk"})
		c.RemoveIndex("idx_mail_outbox_status_next")
		c.AddIndex("idx_mail_outbox_bulk_next", false, "status, bulk, next_attempt_at", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("mail_outbox: bulk: %w", err)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("mail_outbox")
		if err != nil {
			return err
		}
		c.RemoveIndex("idx_mail_outbox_bulk_next")
		c.AddIndex("idx_mail_outbox_status_next", false, "status, next_attempt_at", "")
		c.Fields.RemoveByName("bulk")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("mail_outbox: bulk: %w", err)
		}
		return nil
	})
}
