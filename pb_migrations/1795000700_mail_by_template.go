package migrations

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Every mail Kopā's features queue is written when it is sent. Before, the
// volunteer mails (and, for a while, the ticket mails) were written when
// they were queued: the row held the subject, the bodies and the
// attachments, a ticket's QR code as a text for the worker to draw. Now a
// row names its template and the record it is about, and the outbox worker
// writes the mail from that record when it sends it.
//
// Rows an older Kopā queued that still wait to be sent, or failed and may
// be retried from the console, are given that form: their kind is the
// template that writes them now, and their ref is the record that template
// reads (the registration, the assignment, the volunteer), so they send
// what is true when they go out. Other rows stay as they are and are sent
// as stored: PocketBase's own mails and rows a superuser wrote.
//
// The schema does not change. Reverting gives the volunteer mails that
// still wait no writer an older Kopā knows, so, as reverting 1795000600
// does with its rows, it deletes them; the ticket mails stay, an older
// Kopā writes those.

// mailTemplatesByKind are the kinds of mail an older Kopā wrote when it
// queued them, frozen as they were; each is now the name of its template.
var mailTemplatesByKind = []any{
	"ticket_confirmed", "ticket_waitlisted", "ticket_promoted", "ticket_again", "ticket_event_cancelled",
	"volunteer_invite", "volunteer_withdrawn", "volunteer_reminder", "volunteer_already",
}

var volunteerMailTemplates = []any{"volunteer_invite", "volunteer_withdrawn", "volunteer_reminder", "volunteer_already"}

func init() {
	m.Register(func(app core.App) error {
		_, err := app.DB().Update("mail_outbox", dbx.Params{
			"template":    dbx.NewExp("[[kind]]"),
			"subject":     "",
			"text":        "",
			"html":        "",
			"attachments": "[]",
		}, dbx.And(
			dbx.HashExp{"template": "", "status": []any{"pending", "failed"}},
			dbx.NewExp("[[ref]] != ''"),
			dbx.In("kind", mailTemplatesByKind...),
		)).Execute()
		if err != nil {
			return fmt.Errorf("mail_outbox: queued mails by template: %w", err)
		}
		return nil
	}, func(app core.App) error {
		_, err := app.DB().Delete("mail_outbox", dbx.And(
			dbx.In("template", volunteerMailTemplates...),
			dbx.In("status", "pending", "failed"),
		)).Execute()
		if err != nil {
			return fmt.Errorf("mail_outbox: volunteer mails by template: %w", err)
		}
		return nil
	})
}
