package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Mails written when they are sent. A row with a template holds only the
// recipient, the template and the record it is about (ref); the outbox
// worker writes its subject and bodies from that record when it sends it,
// so the transaction that queues it stores a few short values, and the mail
// says what is true when it goes out. Such a row has no subject until then.
//
// A mail whose news is no longer true when it is due (a registration
// cancelled before its confirmation went out) ends as "skipped".
func init() {
	m.Register(func(app core.App) error {
		return changeOutbox(app, func(c *core.Collection) {
			c.Fields.Add(&core.TextField{Name: "template", Max: 100})
			if f, ok := c.Fields.GetByName("subject").(*core.TextField); ok {
				f.Required = false
			}
			if f, ok := c.Fields.GetByName("status").(*core.SelectField); ok {
				f.Values = []string{"pending", "sent", "failed", "skipped"}
			}
		})
	}, func(app core.App) error {
		if _, err := app.DB().NewQuery("DELETE FROM mail_outbox WHERE template != '' OR status = 'skipped'").Execute(); err != nil {
			return err
		}
		return changeOutbox(app, func(c *core.Collection) {
			c.Fields.RemoveByName("template")
			if f, ok := c.Fields.GetByName("subject").(*core.TextField); ok {
				f.Required = true
			}
			if f, ok := c.Fields.GetByName("status").(*core.SelectField); ok {
				f.Values = []string{"pending", "sent", "failed"}
			}
		})
	})
}

func changeOutbox(app core.App, change func(*core.Collection)) error {
	c, err := app.FindCollectionByNameOrId("mail_outbox")
	if err != nil {
		return fmt.Errorf("mail_outbox: %w", err)
	}
	change(c)
	if err := app.Save(c); err != nil {
		return fmt.Errorf("mail_outbox: %w", err)
	}
	return nil
}
