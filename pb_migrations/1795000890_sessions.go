package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The sign-ins of organisers and volunteers on Kopā's pages, so that
// logging out ends one on the server (see hooks/web's session.go). A
// session is whose it is (the auth collection's id and the record's) and
// until when it lasts; its id travels in the session's token. No rules:
// only superusers see sessions through the API, and only Kopā writes them.
func init() {
	m.Register(func(app core.App) error {
		c := core.NewBaseCollection("sessions")
		c.Fields.Add(&core.TextField{Name: "collection_ref", Required: true, Max: 100})
		c.Fields.Add(&core.TextField{Name: "record_ref", Required: true, Max: 100})
		c.Fields.Add(&core.DateField{Name: "expires", Required: true})
		timestamps(c)
		c.AddIndex("idx_sessions_record", false, "record_ref", "")
		c.AddIndex("idx_sessions_expires", false, "expires", "")
		if err := app.Save(c); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("sessions")
		if err != nil {
			return nil
		}
		return app.Delete(c)
	})
}
