// Package testrun lets the tests of one test process share what is costly
// to make (a built binary, a running Chromium, a migrated database) and
// ends it when the process's tests are over, so nothing is left behind in
// the temporary folder.
//
// A package whose tests share fixtures runs them through Main:
//
//	func TestMain(m *testing.M) { testrun.Main(m) }
//
// Without it (a package that has no such TestMain), Share makes a fixture
// for each test and ends it with the test: slower, never wrong.
package testrun

import (
	"os"
	"sync"
	"testing"
)

var (
	mu      sync.Mutex
	running bool
	shared  = map[string]*entry{}
	atExit  []func()
)

// entry is one shared fixture; once guards its making, so tests that ask
// for it at the same time (t.Parallel) wait for one maker.
type entry struct {
	once  sync.Once
	value any
	err   error
}

// Main runs the package's tests, then ends every shared fixture (the last
// made first) and exits with the tests' status.
func Main(m *testing.M) {
	mu.Lock()
	running = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	running = false
	fs := atExit
	atExit, shared = nil, map[string]*entry{}
	mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	os.Exit(code)
}

// Share returns the process's fixture named key, made by make on first
// use. make returns the fixture and the function that ends it; under Main
// that runs when the tests are over, otherwise the fixture is made for t
// alone and ended with t. An error of make is returned to every test that
// asks for key.
func Share[T any](t testing.TB, key string, make func() (T, func(), error)) (T, error) {
	t.Helper()
	mu.Lock()
	if !running {
		mu.Unlock()
		v, end, err := make()
		if err == nil && end != nil {
			t.Cleanup(end)
		}
		return v, err
	}
	e, ok := shared[key]
	if !ok {
		e = &entry{}
		shared[key] = e
	}
	mu.Unlock()
	e.once.Do(func() {
		v, end, err := make()
		e.value, e.err = v, err
		if err == nil && end != nil {
			mu.Lock()
			atExit = append(atExit, end)
			mu.Unlock()
		}
	})
	v, _ := e.value.(T)
	return v, e.err
}
