// Package groupcommit decides work that needs SQLite's one writer a batch
// at a time, in one transaction per batch (a group commit). When each
// request held the writer for a transaction of its own, a burst queued
// behind it one BEGIN…COMMIT at a time; a queue takes what has arrived
// while the previous batch was written and commits it in one go. Every job
// still gets its own answer: when a batch's transaction fails, each of its
// jobs is run again in a transaction of its own, so that one failing job
// cannot fail the others.
package groupcommit

import (
	"fmt"
	"sync"
)

// Queue batches the jobs submitted to it. Its goroutine runs while there is
// work and ends when the queue is empty, so an idle queue holds none.
type Queue[J any] struct {
	max int
	run func(batch []J) error

	mu      sync.Mutex
	waiting []*entry[J]
	running bool
}

type entry[J any] struct {
	job  J
	err  error
	done chan struct{}
}

// New makes a queue that commits batches of at most max jobs with run. run
// decides a batch in one transaction, setting each job's outcome on the
// job; an error it returns (or a panic) means nothing of the batch was
// stored, and it must set the outcomes afresh each time it is called.
func New[J any](max int, run func(batch []J) error) *Queue[J] {
	return &Queue[J]{max: max, run: run}
}

// Submit queues j and waits until its batch is committed. The error is
// that of the transaction that decided j on its own, when it failed; j's
// own outcome is on j.
func (q *Queue[J]) Submit(j J) error {
	e := &entry[J]{job: j, done: make(chan struct{})}
	q.mu.Lock()
	q.waiting = append(q.waiting, e)
	if !q.running {
		q.running = true
		go q.loop()
	}
	q.mu.Unlock()
	<-e.done
	return e.err
}

func (q *Queue[J]) loop() {
	for {
		q.mu.Lock()
		n := min(len(q.waiting), q.max)
		if n == 0 {
			q.running = false
			q.waiting = nil
			q.mu.Unlock()
			return
		}
		batch := q.waiting[:n:n]
		q.waiting = q.waiting[n:]
		q.mu.Unlock()
		jobs := make([]J, n)
		for i, e := range batch {
			jobs[i] = e.job
		}
		for i, err := range Commit(jobs, q.run) {
			batch[i].err = err
			close(batch[i].done)
		}
	}
}

// Commit decides batch with run. When that fails, nothing of it was
// stored; each job is then decided again on its own. The errors are each
// job's: nil where the transaction that decided it committed.
func Commit[J any](batch []J, run func(batch []J) error) []error {
	errs := make([]error, len(batch))
	err := safely(batch, run)
	switch {
	case err == nil:
	case len(batch) == 1:
		errs[0] = err
	default:
		for i := range batch {
			errs[i] = safely(batch[i:i+1:i+1], run)
		}
	}
	return errs
}

// safely is run(batch), turning a panic into an error.
func safely[J any](batch []J, run func(batch []J) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("group commit: %v", p)
		}
	}()
	return run(batch)
}
