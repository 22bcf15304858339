package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Families in weekly series. A standing place holds a party as a
// registration does: party (people coming every week, the registrant
// included; 0 is read as 1) and childcare (children among them who need
// minding); each session's seat takes them over. A series has what its
// sessions take from it about families: max_party (0 is read as 1),
// email_optional and childcare, as events have them.
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
		series, err := app.FindCollectionByNameOrId("series")
		if err != nil {
			return err
		}
		series.Fields.Add(&core.NumberField{Name: "max_party", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(maxPartyLimit)})
		series.Fields.Add(&core.BoolField{Name: "email_optional"})
		series.Fields.Add(&core.BoolField{Name: "childcare"})
		if err := app.Save(series); err != nil {
			return fmt.Errorf("series: party, e-mail and childcare: %w", err)
		}
		return nil
	}, func(app core.App) error {
		st, err := app.FindCollectionByNameOrId("standing")
		if err != nil {
			return err
		}
		st.Fields.RemoveByName("party")
		st.Fields.RemoveByName("childcare")
		if err := app.Save(st); err != nil {
			return err
		}
		series, err := app.FindCollectionByNameOrId("series")
		if err != nil {
			return err
		}
		for _, f := range []string{"max_party", "email_optional", "childcare"} {
			series.Fields.RemoveByName(f)
		}
		return app.Save(series)
	})
}
