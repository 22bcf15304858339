package outbox

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// QueuedSince reports whether a mail of kind about the record ref was
// queued after since, whatever became of it (sent, waiting, skipped). A
// feature that mails on a stranger's request (a ticket sent again) asks it
// before queueing another. The outbox's index on (ref, kind) answers it.
func QueuedSince(app core.App, ref, kind string, since time.Time) (bool, error) {
	stamp, err := types.ParseDateTime(since.UTC())
	if err != nil {
		return false, err
	}
	var n int
	// "ref != ''" repeats the partial index's condition, so SQLite uses it.
	err = app.DB().NewQuery("SELECT count(*) FROM (SELECT 1 FROM {{" + Collection + "}} WHERE [[ref]] = {:ref} AND [[ref]] != '' AND [[kind]] = {:kind} AND [[created]] > {:since} LIMIT 1)").
		Bind(dbx.Params{"ref": ref, "kind": kind, "since": stamp.String()}).Row(&n)
	if err != nil {
		return false, fmt.Errorf("look for a recent %s mail: %w", kind, err)
	}
	return n > 0, nil
}
