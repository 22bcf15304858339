package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A series' returning people outlive the erasure of names. Its report counts
// the people who came to 2, 4 or 8 of its sessions: a standing place's
// seats are one person by the place, a registration of its own is a person
// by its e-mail address. Retention erases the address, so before it does it
// keeps a keyed hash of it:
//
//   - series gain salt, a random key of their own (hidden: no API answer
//     shows it), set when a series is created;
//   - registrations gain person, the address's hash under its series' key,
//     written when retention erases a registration of a series' session
//     (hidden too). Nothing else writes it; no fast insert needs it.
//
// The hash tells apart the people of one series and nothing more: it is
// not the address, and another series' key gives another hash.

// seriesSaltPattern yields the 32-letter key of a series.
const seriesSaltPattern = "[A-Za-z0-9]{32}"

func init() {
	m.Register(func(app core.App) error {
		series, err := app.FindCollectionByNameOrId("series")
		if err != nil {
			return err
		}
		series.Fields.Add(&core.TextField{Name: "salt", Hidden: true, Max: 64, AutogeneratePattern: seriesSaltPattern})
		if err := app.Save(series); err != nil {
			return fmt.Errorf("series: salt: %w", err)
		}
		// Series made before this get their key here.
		if _, err := app.DB().NewQuery("UPDATE series SET salt = lower(hex(randomblob(16))) WHERE salt = ''").Execute(); err != nil {
			return fmt.Errorf("series: salt: %w", err)
		}
		regs, err := app.FindCollectionByNameOrId("registrations")
		if err != nil {
			return err
		}
		regs.Fields.Add(&core.TextField{Name: "person", Hidden: true, Max: 64})
		if err := app.Save(regs); err != nil {
			return fmt.Errorf("registrations: person: %w", err)
		}
		return nil
	}, func(app core.App) error {
		for name, field := range map[string]string{"series": "salt", "registrations": "person"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			c.Fields.RemoveByName(field)
			if err := app.Save(c); err != nil {
				return fmt.Errorf("%s: remove %s: %w", name, field, err)
			}
		}
		return nil
	})
}
