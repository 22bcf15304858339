package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// kopa_settings holds the organisation's own settings (one row): how long
// personal data is kept, and who the public contacts about it. Nightly
// backups are switched on here too, where none are scheduled.
func init() {
	m.Register(func(app core.App) error {
		c := core.NewBaseCollection("kopa_settings")
		c.ListRule = types.Pointer(isOrganiser)
		c.ViewRule = types.Pointer(isOrganiser)
		c.UpdateRule = types.Pointer(isOrganiser)
		c.Fields.Add(&core.NumberField{Name: "retention_days", Required: true, OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(3650.0)})
		c.Fields.Add(&core.TextField{Name: "org_name", Max: 200})
		c.Fields.Add(&core.EmailField{Name: "contact_email"})
		c.Fields.Add(&core.TextField{Name: "contact_phone", Max: 40})
		timestamps(c)
		if err := app.Save(c); err != nil {
			return fmt.Errorf("kopa_settings: %w", err)
		}
		row := core.NewRecord(c)
		row.Id = "kopasettings000"
		row.Set("retention_days", 30)
		row.Set("org_name", "Kopā")
		if err := app.Save(row); err != nil {
			return fmt.Errorf("kopa_settings row: %w", err)
		}
		s := app.Settings()
		if s.Backups.Cron == "" {
			s.Backups.Cron = "0 3 * * *"
			s.Backups.CronMaxKeep = 7
			return app.Save(s)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId("kopa_settings")
		if err != nil {
			return nil
		}
		return app.Delete(c)
	})
}
