package migrations_test

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/kopatest"
)

// TestSeriesPeopleFields: a series gets its own key when it is made, and
// neither the key nor a registration's kept person key is ever in an API
// answer (both hidden).
func TestSeriesPeopleFields(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	a, _ := kopatest.Series(t, app, kopatest.SeriesOpts{Weeks: 1})
	b, _ := kopatest.Series(t, app, kopatest.SeriesOpts{Weeks: 1})
	if sa, sb := a.GetString("salt"), b.GetString("salt"); len(sa) != 32 || sa == sb {
		t.Errorf("keys %q and %q", sa, sb)
	}
	for name, field := range map[string]string{"series": "salt", "registrations": "person"} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := c.Fields.GetByName(field).(*core.TextField)
		if !ok || !f.Hidden || f.Required {
			t.Errorf("%s.%s is not an optional hidden text", name, field)
		}
	}
}
