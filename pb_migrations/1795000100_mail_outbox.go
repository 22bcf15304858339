package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// mail_outbox holds every mail before it is sent: written in the same
// transaction as the thing it is about, sent later by the outbox worker
// (package hooks/outbox), so an SMTP outage delays mail but never loses it.
func init() {
	m.Register(upMailOutbox, downMailOutbox)
}

func upMailOutbox(app core.App) error {
	c := core.NewBaseCollection("mail_outbox")
	// Organisers see failed mails and their last error in the admin UI.
	// Rows are written only by Kopā itself (and superusers): an organiser
	// who could create one could send any mail under Kopā's name.
	c.ListRule = types.Pointer(isOrganiser)
	c.ViewRule = types.Pointer(isOrganiser)
	c.CreateRule = nil
	c.UpdateRule = nil
	c.DeleteRule = nil

	c.Fields.Add(&core.EmailField{Name: "to", Required: true})
	c.Fields.Add(&core.TextField{Name: "subject", Required: true, Max: 300})
	c.Fields.Add(&core.TextField{Name: "text", Max: 200_000})
	c.Fields.Add(&core.TextField{Name: "html", Max: 500_000})
	// Attachments are kept out of API answers (superusers still see them):
	// a QR code in every row of a list is weight nobody reads.
	c.Fields.Add(&core.JSONField{Name: "attachments", MaxSize: 2 << 20, Hidden: true})
	c.Fields.Add(&core.TextField{Name: "kind", Max: 50})
	c.Fields.Add(&core.TextField{Name: "ref", Max: 100})
	c.Fields.Add(&core.SelectField{Name: "status", Required: true, Values: []string{"pending", "sent", "failed"}, MaxSelect: 1})
	c.Fields.Add(&core.NumberField{Name: "attempts", OnlyInt: true, Min: types.Pointer(0.0)})
	c.Fields.Add(&core.DateField{Name: "next_attempt_at"})
	c.Fields.Add(&core.TextField{Name: "last_error", Max: 1000})
	c.Fields.Add(&core.DateField{Name: "sent_at"})
	timestamps(c)
	// The worker asks for "pending and due, oldest first".
	c.AddIndex("idx_mail_outbox_status_next", false, "status, next_attempt_at", "")
	// Features look up the mails they sent about one record.
	c.AddIndex("idx_mail_outbox_ref", false, "ref, kind", "ref != ''")
	if err := app.Save(c); err != nil {
		return fmt.Errorf("mail_outbox: %w", err)
	}
	return nil
}

func downMailOutbox(app core.App) error {
	c, err := app.FindCollectionByNameOrId("mail_outbox")
	if err != nil {
		return nil
	}
	return app.Delete(c)
}
