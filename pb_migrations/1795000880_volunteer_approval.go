package migrations

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Volunteers work with vulnerable people, so an organiser approves each one
// before they are matched, invited, take a shift or work a door. Volunteers
// gain a status and a note only organisers read and write (references
// checked, the date of safeguarding training…).
//
// Everyone who volunteered before this existed was already trusted with
// shifts: they become approved, so nothing changes for them. New sign-ups
// start pending.
//
// The note is a hidden field: PocketBase never serialises it, never lets a
// filter or sort of the record API read it, and drops it from the body of a
// write, for anyone but a superuser. Kopā's volunteers package opens it to
// organisers (reading and writing) and to nobody else, so a volunteer cannot
// read their own note, not even by filtering on it.

// volunteerStatuses are the values of volunteers.status, frozen as this
// migration made them.
var volunteerStatuses = []string{"pending", "approved", "paused"}

// volunteerNotesMax is the longest note, in characters.
const volunteerNotesMax = 5000

func init() {
	m.Register(func(app core.App) error {
		vols, err := app.FindCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		vols.Fields.Add(&core.SelectField{Name: "status", Values: volunteerStatuses, MaxSelect: 1})
		vols.Fields.Add(&core.TextField{Name: "notes", Max: volunteerNotesMax, Hidden: true})
		vols.AddIndex("idx_volunteers_status", false, "status", "")
		if err := app.Save(vols); err != nil {
			return fmt.Errorf("volunteers: status and notes: %w", err)
		}
		// The existing volunteers keep the trust they had.
		if _, err := app.DB().Update("volunteers", dbx.Params{"status": "approved"}, dbx.HashExp{"status": ""}).Execute(); err != nil {
			return fmt.Errorf("volunteers: approve the existing: %w", err)
		}
		// A required field only now that every row holds a value.
		vols, err = app.FindCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		vols.Fields.GetByName("status").(*core.SelectField).Required = true
		if err := app.Save(vols); err != nil {
			return fmt.Errorf("volunteers: status required: %w", err)
		}
		return nil
	}, func(app core.App) error {
		vols, err := app.FindCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		vols.RemoveIndex("idx_volunteers_status")
		vols.Fields.RemoveByName("status")
		vols.Fields.RemoveByName("notes")
		if err := app.Save(vols); err != nil {
			return fmt.Errorf("volunteers: remove status and notes: %w", err)
		}
		return nil
	})
}
