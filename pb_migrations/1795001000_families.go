package migrations

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Families come together: one registration may hold a party of several
// people, and capacity counts people, not registrations.
//
//   - events gain max_party (the largest party one registration may hold,
//     1 to 20; 1 unless an organiser says more), email_optional (people
//     without an e-mail address may register) and childcare (the event
//     offers child minding);
//   - registrations gain party (people coming, the registrant included)
//     and childcare (children among them who need minding);
//   - checkins gain arrived (how many of the party came through the door).
//
// Every row written before this holds one person: existing events get
// max_party 1, existing registrations party 1, and existing check-ins
// arrived 1. The fields are not required, so a record written without them
// (PocketBase's number fields store 0 then) still saves; Kopā's domain
// package reads 0 as 1 for max_party and party.

// maxPartyLimit is the largest party any event may allow, frozen as this
// migration made it.
const maxPartyLimit = 20.0

func init() {
	m.Register(func(app core.App) error {
		events, err := app.FindCollectionByNameOrId("events")
		if err != nil {
			return err
		}
		events.Fields.Add(&core.NumberField{Name: "max_party", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(maxPartyLimit)})
		events.Fields.Add(&core.BoolField{Name: "email_optional"})
		events.Fields.Add(&core.BoolField{Name: "childcare"})
		if err := app.Save(events); err != nil {
			return fmt.Errorf("events: party, e-mail and childcare: %w", err)
		}

		regs, err := app.FindCollectionByNameOrId("registrations")
		if err != nil {
			return err
		}
		regs.Fields.Add(&core.NumberField{Name: "party", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(maxPartyLimit)})
		regs.Fields.Add(&core.NumberField{Name: "childcare", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(maxPartyLimit)})
		if err := app.Save(regs); err != nil {
			return fmt.Errorf("registrations: party and childcare: %w", err)
		}

		checkins, err := app.FindCollectionByNameOrId("checkins")
		if err != nil {
			return err
		}
		checkins.Fields.Add(&core.NumberField{Name: "arrived", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(maxPartyLimit)})
		if err := app.Save(checkins); err != nil {
			return fmt.Errorf("checkins: arrived: %w", err)
		}

		// Everything before this held one person.
		for _, u := range []struct{ table, field string }{
			{"events", "max_party"}, {"registrations", "party"}, {"checkins", "arrived"},
		} {
			if _, err := app.DB().Update(u.table, dbx.Params{u.field: 1}, dbx.HashExp{u.field: 0}).Execute(); err != nil {
				return fmt.Errorf("%s: %s of the existing rows: %w", u.table, u.field, err)
			}
		}
		return nil
	}, func(app core.App) error {
		for _, c := range []struct {
			name   string
			fields []string
		}{
			{"events", []string{"max_party", "email_optional", "childcare"}},
			{"registrations", []string{"party", "childcare"}},
			{"checkins", []string{"arrived"}},
		} {
			col, err := app.FindCollectionByNameOrId(c.name)
			if err != nil {
				return err
			}
			for _, f := range c.fields {
				col.Fields.RemoveByName(f)
			}
			if err := app.Save(col); err != nil {
				return fmt.Errorf("%s: remove %v: %w", c.name, c.fields, err)
			}
		}
		return nil
	})
}
