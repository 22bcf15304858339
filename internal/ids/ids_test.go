package ids_test

import (
	"regexp"
	"sort"
	"testing"
	"time"

	"kopa/internal/ids"
)

func TestOrderedIDs(t *testing.T) {
	shape := regexp.MustCompile(`^[a-z0-9]{15}$`) // PocketBase's id field pattern
	seen := map[string]bool{}
	var list []string
	for i := 0; i < 5000; i++ {
		id := ids.Ordered()
		if !shape.MatchString(id) {
			t.Fatalf("id %q is not a PocketBase id", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		list = append(list, id)
		if i%1000 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	// Ids made in different milliseconds sort by time.
	for i := 1000; i < len(list); i += 1000 {
		if list[i-1000] >= list[i] {
			t.Errorf("%q (earlier) sorts after %q", list[i-1000], list[i])
		}
	}
	if !sort.StringsAreSorted([]string{list[0], list[len(list)-1]}) {
		t.Error("the first id sorts after the last")
	}
}

func TestRandomIsUniform(t *testing.T) {
	const alphabet = "abc"
	counts := map[byte]int{}
	for _, c := range ids.Random(30000, alphabet) {
		counts[c]++
	}
	for _, c := range []byte(alphabet) {
		if n := counts[c]; n < 9400 || n > 10600 { // ±6%, about 7 standard deviations
			t.Errorf("%c drawn %d times of 30000", c, n)
		}
	}
	if len(counts) != 3 {
		t.Errorf("characters outside the alphabet: %v", counts)
	}
}
