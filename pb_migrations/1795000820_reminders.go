package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Reminders before an event. kopa_settings gains reminder_hours: how long
// before an event starts its confirmed registrations are reminded (0 sends
// no reminders, at most a week); the organisation's row starts at a day.
// registrations gain reminded_at, set in the transaction that queues the
// reminder, so each registration is reminded once.
func init() {
	m.Register(func(app core.App) error {
		s, err := app.FindCollectionByNameOrId("kopa_settings")
		if err != nil {
			return fmt.Errorf("kopa_settings: %w", err)
		}
		s.Fields.Add(&core.NumberField{Name: "reminder_hours", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(168.0)})
		if err := app.Save(s); err != nil {
			return fmt.Errorf("kopa_settings: %w", err)
		}
		// 0 is a value of its own (no reminders), so the rows there are
		// get the default here, not by being left empty.
		if _, err := app.DB().NewQuery("UPDATE kopa_settings SET reminder_hours = 24").Execute(); err != nil {
			return fmt.Errorf("kopa_settings: %w", err)
		}
		r, err := app.FindCollectionByNameOrId("registrations")
		if err != nil {
			return fmt.Errorf("registrations: %w", err)
		}
		r.Fields.Add(&core.DateField{Name: "reminded_at"})
		if err := app.Save(r); err != nil {
			return fmt.Errorf("registrations: %w", err)
		}
		return nil
	}, func(app core.App) error {
		for name, field := range map[string]string{"kopa_settings": "reminder_hours", "registrations": "reminded_at"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			c.Fields.RemoveByName(field)
			if err := app.Save(c); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	})
}
