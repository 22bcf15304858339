package series_test

import (
	"testing"

	"kopa/internal/testrun"
)

// TestMain lets the tests share what is costly to make (the migrated
// database, Chromium, the kopa binary) and ends it afterwards.
func TestMain(m *testing.M) { testrun.Main(m) }
