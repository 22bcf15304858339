package groupcommit

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

// TestCommit: a batch that fails is run again a job at a time, so that only
// the failing jobs fail; a panic is an error.
func TestCommit(t *testing.T) {
	var runs [][]int
	run := func(batch []int) error {
		runs = append(runs, slices.Clone(batch))
		switch {
		case slices.Contains(batch, 2):
			return errors.New("two fails")
		case slices.Contains(batch, 3):
			panic("three panics")
		}
		return nil
	}
	errs := Commit([]int{1, 2, 3, 4}, run)
	if errs[0] != nil || errs[1] == nil || errs[2] == nil || errs[3] != nil {
		t.Errorf("errors %v", errs)
	}
	want := [][]int{{1, 2, 3, 4}, {1}, {2}, {3}, {4}}
	if !slices.EqualFunc(runs, want, slices.Equal) {
		t.Errorf("runs %v, want %v", runs, want)
	}
	if errs := Commit([]int{1, 4}, run); errs[0] != nil || errs[1] != nil {
		t.Errorf("a batch that commits: %v", errs)
	}
}

// TestQueue: every job submitted is run exactly once, in batches of at most
// max, and answered with its own error.
func TestQueue(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	q := New(5, func(batch []int) error {
		if len(batch) > 5 {
			t.Errorf("batch of %d", len(batch))
		}
		if slices.Contains(batch, 7) {
			return errors.New("seven fails")
		}
		mu.Lock()
		defer mu.Unlock()
		for _, j := range batch {
			seen[j]++
		}
		return nil
	})
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = q.Submit(i) })
	}
	wg.Wait()
	for i := range n {
		if (errs[i] != nil) != (i == 7) || (seen[i] != 1) != (i == 7) {
			t.Errorf("job %d: error %v, committed %d times", i, errs[i], seen[i])
		}
	}
}
