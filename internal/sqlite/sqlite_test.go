package sqlite_test

import (
	"path/filepath"
	"testing"

	"kopa/internal/sqlite"
)

// TestConnect: every connection has PocketBase's settings and the small
// page cache.
func TestConnect(t *testing.T) {
	db, err := sqlite.Connect(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "busy_timeout": "10000", "foreign_keys": "1",
		"synchronous": "1", "temp_store": "2", "cache_size": "-2000",
	} {
		var got string
		if err := db.NewQuery("PRAGMA " + pragma).Row(&got); err != nil {
			t.Fatalf("%s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("%s = %s, want %s", pragma, got, want)
		}
	}
}
