package migrations

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"kopa/internal/ids"
)

// Each volunteer gets a personal code, shown as a QR code in their portal:
// the door scans it and records their arrival on their shift. The code is
// a secret like a ticket code (whoever holds it is let in as that
// volunteer), so it is a hidden field: PocketBase never serialises it and
// never lets a filter read it; Kopā's volunteers package shows it to the
// volunteer it belongs to and to organisers, nobody else.
//
// Assignments gain arrived_at: when the volunteer checked in on that
// shift. Hours count from it (see domain.ShiftHours).
//
// Every volunteer who signed up before this gets a code now.

// volunteerCodePattern is the shape of a code, frozen as this migration
// made it: "V-" and 28 letters and digits.
const volunteerCodePattern = "^V-[A-Za-z0-9]{28}$"

// volunteerCodeAutogenerate makes a new volunteer's code (PocketBase draws
// it from crypto/rand when a volunteer is created).
const volunteerCodeAutogenerate = "V-[A-Za-z0-9]{28}"

const volunteerCodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func init() {
	m.Register(func(app core.App) error {
		vols, err := app.FindCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		vols.Fields.Add(&core.TextField{Name: "code", Max: 30, Pattern: volunteerCodePattern, AutogeneratePattern: volunteerCodeAutogenerate, Hidden: true})
		if err := app.Save(vols); err != nil {
			return fmt.Errorf("volunteers: code: %w", err)
		}
		var existing []string
		if err := app.DB().Select("id").From("volunteers").Where(dbx.HashExp{"code": ""}).Column(&existing); err != nil {
			return fmt.Errorf("volunteers without a code: %w", err)
		}
		for _, id := range existing {
			code := "V-" + string(ids.Random(28, volunteerCodeAlphabet))
			if _, err := app.DB().Update("volunteers", dbx.Params{"code": code}, dbx.HashExp{"id": id}).Execute(); err != nil {
				return fmt.Errorf("volunteer %s: code: %w", id, err)
			}
		}
		// Required and unique only now that every row holds one.
		vols, err = app.FindCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		vols.Fields.GetByName("code").(*core.TextField).Required = true
		vols.AddIndex("idx_volunteers_code", true, "code", "")
		if err := app.Save(vols); err != nil {
			return fmt.Errorf("volunteers: code required: %w", err)
		}

		as, err := app.FindCollectionByNameOrId("assignments")
		if err != nil {
			return err
		}
		as.Fields.Add(&core.DateField{Name: "arrived_at"})
		if err := app.Save(as); err != nil {
			return fmt.Errorf("assignments: arrived_at: %w", err)
		}
		return nil
	}, func(app core.App) error {
		vols, err := app.FindCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		vols.RemoveIndex("idx_volunteers_code")
		vols.Fields.RemoveByName("code")
		if err := app.Save(vols); err != nil {
			return fmt.Errorf("volunteers: remove code: %w", err)
		}
		as, err := app.FindCollectionByNameOrId("assignments")
		if err != nil {
			return err
		}
		as.Fields.RemoveByName("arrived_at")
		if err := app.Save(as); err != nil {
			return fmt.Errorf("assignments: remove arrived_at: %w", err)
		}
		return nil
	})
}
