package registration_test

import (
	"testing"
	"time"

	"kopa/hooks/registration"
)

// TestTicketCodes: codes are valid, never repeat, and a code made later
// sorts after one made earlier (they go to the end of the ticket index).
func TestTicketCodes(t *testing.T) {
	seen := map[string]bool{}
	first := registration.NewCode()
	for range 10000 {
		c := registration.NewCode()
		if len(c) != 28 || !registration.ValidCode(c) {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("code %q made twice", c)
		}
		seen[c] = true
	}
	time.Sleep(2 * time.Millisecond)
	if last := registration.NewCode(); last[:8] <= first[:8] {
		t.Errorf("a later code %q does not sort after %q", last, first)
	}
}
