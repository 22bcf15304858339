// Package records holds what Kopā's fast write paths share: they store
// rows with their own prepared SQL instead of PocketBase's record save, and
// then tell the rest of the app, as a save would have.
package records

import (
	"context"

	"github.com/pocketbase/pocketbase/core"
)

// AnnounceCreate runs the after-create hooks of a record stored outside
// PocketBase's save, as PocketBase runs them for a record it saves itself:
// the counts, the live dashboards and realtime subscribers learn of it.
// A hook's failure is logged; the row is stored already.
func AnnounceCreate(app core.App, r *core.Record) {
	e := &core.ModelEvent{App: app, Context: context.Background(), Type: core.ModelEventTypeCreate}
	e.Model = r
	if err := app.OnModelAfterCreateSuccess().Trigger(e); err != nil {
		app.Logger().Warn("after-create hooks failed", "collection", r.Collection().Name, "id", r.Id, "error", err)
	}
}
