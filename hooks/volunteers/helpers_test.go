package volunteers_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
)

func body(s string) *strings.Reader { return strings.NewReader(s) }

// outboxRows returns the queued mails of a kind ("" for all).
func outboxRows(t testing.TB, app core.App, kind string) []*core.Record {
	t.Helper()
	rows, err := app.FindAllRecords(outbox.Collection)
	if err != nil {
		t.Fatal(err)
	}
	var out []*core.Record
	for _, r := range rows {
		if kind == "" || r.GetString("kind") == kind {
			out = append(out, r)
		}
	}
	return out
}

// written is the mail a queued row sends, as the outbox writes it now:
// Kopā's volunteer mails are written when they are sent.
func written(t testing.TB, app core.App, row *core.Record) outbox.Message {
	t.Helper()
	msg, err := outbox.Content(app, row)
	if err != nil {
		t.Fatalf("the mail of row %s: %v", row.Id, err)
	}
	return msg
}

func count(t testing.TB, app core.App, collection string) int {
	t.Helper()
	n, err := app.CountRecords(collection)
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}
