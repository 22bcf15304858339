package outbox

import (
	"fmt"
	"io"
	"net/mail"
	"sort"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// routePocketBaseMail puts every mail PocketBase itself sends (address
// verification, one-time codes, password resets, superuser alerts) into the
// outbox instead of handing it to SMTP at once, so those mails are as
// durable as Kopā's own: an SMTP outage delays them, it never loses them.
// They are the outbox's raw rows: PocketBase's message is stored whole,
// since its token or code cannot be made again when the mail is sent (see
// the package doc).
func routePocketBaseMail(app core.App) {
	app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
		Id: "kopaOutboxPocketBaseMail",
		Func: func(e *core.MailerEvent) error {
			msg := e.Message
			if msg == nil {
				return e.Next()
			}
			var atts []Attachment
			add := func(m map[string]io.Reader, inline bool) error {
				names := make([]string, 0, len(m))
				for n := range m {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					data, err := io.ReadAll(m[n])
					if err != nil {
						return fmt.Errorf("read attachment %s: %w", n, err)
					}
					atts = append(atts, Attachment{Name: n, Data: data, Inline: inline})
				}
				return nil
			}
			if err := add(msg.Attachments, false); err != nil {
				return err
			}
			if err := add(msg.InlineAttachments, true); err != nil {
				return err
			}
			recipients := append(append(append([]string{}, addrs(msg.To)...), addrs(msg.Cc)...), addrs(msg.Bcc)...)
			return e.App.RunInTransaction(func(tx core.App) error {
				for _, to := range recipients {
					if _, err := EnqueueRaw(tx, Message{To: to, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, Attachments: atts, Kind: "pocketbase"}); err != nil {
						return fmt.Errorf("queue PocketBase mail: %w", err)
					}
				}
				return nil
			})
			// e.Next() is not called: the outbox worker does the sending.
		},
	})
}

func addrs(list []mail.Address) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		if a.Address != "" {
			out = append(out, a.Address)
		}
	}
	return out
}
