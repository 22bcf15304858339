package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Keeping people informed (issue 14): what an event's people are told when
// it changes, and what organisers wrote to them.
//
//   - events.sequence is the version of the event's calendar entry: it
//     grows with each change of time, place or title, so a calendar that
//     holds the entry takes the next file as its update.
//   - event_changes keeps, for each such change of a published event, what
//     people knew before it. The change notices are written from it when
//     they are sent; several quick edits make one run ("chain", the id of
//     its first change), and each person hears once what changed since
//     they last heard.
//   - event_messages records what organisers wrote to an event's people,
//     and to how many.
//
// Only Kopā writes these: organisers read them.

// messageAudiences are the groups a message can go to, frozen as they
// were when the collection was made.
var messageAudiences = []string{"confirmed", "waitlisted", "checked_in", "volunteers"}

func init() {
	m.Register(upEventNotices, downEventNotices)
}

func upEventNotices(app core.App) error {
	events, err := app.FindCollectionByNameOrId("events")
	if err != nil {
		return err
	}
	events.Fields.Add(&core.NumberField{Name: "sequence", OnlyInt: true, Min: types.Pointer(0.0)})
	if err := app.Save(events); err != nil {
		return fmt.Errorf("events.sequence: %w", err)
	}

	changes := core.NewBaseCollection("event_changes")
	changes.ListRule = types.Pointer(isOrganiser)
	changes.ViewRule = types.Pointer(isOrganiser)
	changes.Fields.Add(&core.RelationField{Name: "event", Required: true, CollectionId: events.Id, MaxSelect: 1, CascadeDelete: true})
	changes.Fields.Add(&core.TextField{Name: "chain", Required: true, Max: 30})
	// The event's starts_at, ends_at, venue and titles before the change.
	changes.Fields.Add(&core.JSONField{Name: "before", MaxSize: 8 << 10})
	changes.Fields.Add(&core.NumberField{Name: "sequence", OnlyInt: true, Min: types.Pointer(0.0)})
	timestamps(changes)
	changes.AddIndex("idx_event_changes_event", false, "event, created", "")
	if err := app.Save(changes); err != nil {
		return fmt.Errorf("event_changes: %w", err)
	}

	organisers, err := app.FindCollectionByNameOrId("organisers")
	if err != nil {
		return err
	}
	messages := core.NewBaseCollection("event_messages")
	messages.ListRule = types.Pointer(isOrganiser)
	messages.ViewRule = types.Pointer(isOrganiser)
	messages.Fields.Add(&core.RelationField{Name: "event", Required: true, CollectionId: events.Id, MaxSelect: 1, CascadeDelete: true})
	// {"lv","en","ru"}: each person reads their language's, else Latvian.
	messages.Fields.Add(&core.JSONField{Name: "subject", MaxSize: 8 << 10})
	messages.Fields.Add(&core.JSONField{Name: "body", MaxSize: 256 << 10})
	messages.Fields.Add(&core.SelectField{Name: "to", Required: true, Values: messageAudiences, MaxSelect: len(messageAudiences)})
	messages.Fields.Add(&core.NumberField{Name: "count", OnlyInt: true, Min: types.Pointer(0.0)})
	messages.Fields.Add(&core.RelationField{Name: "sent_by", CollectionId: organisers.Id, MaxSelect: 1})
	timestamps(messages)
	messages.AddIndex("idx_event_messages_event", false, "event, created", "")
	if err := app.Save(messages); err != nil {
		return fmt.Errorf("event_messages: %w", err)
	}
	return nil
}

func downEventNotices(app core.App) error {
	for _, name := range []string{"event_messages", "event_changes"} {
		if c, err := app.FindCollectionByNameOrId(name); err == nil {
			if err := app.Delete(c); err != nil {
				return fmt.Errorf("delete %s: %w", name, err)
			}
		}
	}
	events, err := app.FindCollectionByNameOrId("events")
	if err != nil {
		return nil
	}
	events.Fields.RemoveByName("sequence")
	return app.Save(events)
}
