package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// A standing place holds a party as a registration does: party (people
// coming every week, the registrant included; 0 is read as 1) and
// childcare (children among them who need minding). Each session's seat
// takes them over.
func init() {
	m.Register(func(app core.App) error {
		st, err := app.FindCollectionByNameOrId("standing")
		if err != nil {
			return err
		}
		st.Fields.Add(&core.NumberField{Name: "party", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(maxPartyLimit)})
		st.Fields.Add(&core.NumberField{Name: "childcare", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(maxPartyLimit)})
		if err := app.Save(st); err != nil {
			return fmt.Errorf("standing: party and childcare: %w", err)
		}
		return nil
	}, func(app core.App) error {
		st, err := app.FindCollectionByNameOrId("standing")
		if err != nil {
			return err
		}
		st.Fields.RemoveByName("party")
		st.Fields.RemoveByName("childcare")
		return app.Save(st)
	})
}
