// Command runtests runs the test binaries that `go test -c -o dir/` built,
// each in its package's folder and n at a time, as go test runs them, and
// prints go test's summary: "ok" and the time for a package that passed,
// its whole output and "FAIL" for one that did not.
//
//	go test -c -o bin/test/ ./...
//	go run ./internal/testrun/runtests -bin bin/test ./... -- -test.timeout=30m
//
// go test links every test binary afresh on every run, some seconds of a
// core each; `go test -c -o dir/` leaves a binary whose code did not change
// as it is, so that a run after a small change links only the binaries it
// touched.
//
// The packages run in the order given (the slowest first, so that none is
// left running alone at the end); a package named twice runs once, and one
// without tests is skipped.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "", "the folder of the test binaries (go test -c -o folder/)")
	parallel := flag.Int("p", runtime.NumCPU(), "test binaries run at once (go test -p)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: runtests -bin folder [-p n] packages... [-- test flags]")
		flag.PrintDefaults()
	}
	flag.Parse()
	testFlags, patterns := split(flag.Args())
	// As go test does: a test that calls os.Exit(0) fails.
	testFlags = append([]string{"-test.paniconexit0"}, testFlags...)
	if *bin == "" || len(patterns) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	pkgs, err := list(patterns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runtests:", err)
		os.Exit(2)
	}
	dir, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runtests:", err)
		os.Exit(2)
	}

	// An interrupt from the terminal reaches the test binaries too (they
	// are in the same process group); they end, and so does the run.
	signal.Ignore(os.Interrupt)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)

	var (
		mu      sync.Mutex
		running = map[*exec.Cmd]bool{}
		failed  bool
		stopped bool
		wg      sync.WaitGroup
	)
	go func() {
		for s := range term {
			mu.Lock()
			stopped = true
			for c := range running {
				_ = c.Process.Signal(s)
			}
			mu.Unlock()
		}
	}()
	// Each package's result is printed when it ends (go test holds results
	// back to print them in the packages' order).
	next := make(chan pkg)
	for range max(1, *parallel) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				var out bytes.Buffer
				c := exec.Command(filepath.Join(dir, p.binary()), testFlags...)
				c.Dir = p.Dir
				c.Env = append(os.Environ(), "PWD="+p.Dir)
				c.Stdout, c.Stderr = &out, &out
				mu.Lock()
				if stopped {
					mu.Unlock()
					continue
				}
				start := time.Now()
				err := c.Start()
				if err == nil {
					running[c] = true
				}
				mu.Unlock()
				if err == nil {
					err = c.Wait()
				}
				took := time.Since(start).Seconds()
				mu.Lock()
				delete(running, c)
				if err != nil {
					failed = true
					os.Stdout.Write(out.Bytes())
					if _, ok := err.(*exec.ExitError); !ok {
						fmt.Println(err)
					}
					fmt.Printf("FAIL\t%s\t%.3fs\n", p.ImportPath, took)
				} else {
					// A passing binary ends its output with PASS, which go
					// test leaves out.
					rest := bytes.TrimSuffix(out.Bytes(), []byte("PASS\n"))
					os.Stdout.Write(rest)
					fmt.Printf("ok  \t%s\t%.3fs\n", p.ImportPath, took)
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range pkgs {
		next <- p
	}
	close(next)
	wg.Wait()
	if failed || stopped {
		fmt.Println("FAIL")
		os.Exit(1)
	}
}

// split separates the package patterns from the test binaries' flags,
// which follow "--".
func split(args []string) (flags, patterns []string) {
	for i, a := range args {
		if a == "--" {
			return args[i+1:], args[:i]
		}
	}
	return nil, args
}

// pkg is a package with tests.
type pkg struct {
	ImportPath string
	Dir        string
}

// binary is the name `go test -c -o folder/` gives the package's test
// binary.
func (p pkg) binary() string { return path.Base(p.ImportPath) + ".test" }

// list returns the packages with tests that patterns name, in their order,
// each once (as go list gives them).
func list(patterns []string) ([]pkg, error) {
	args := append([]string{"list", "-f", "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}\t{{.Dir}}{{end}}"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []pkg
	named := map[string]string{} // binary name → import path
	for line := range strings.Lines(string(out)) {
		if importPath, dir, ok := strings.Cut(strings.TrimSpace(line), "\t"); ok {
			p := pkg{importPath, dir}
			// Two such packages would share one binary in the folder: one
			// package's tests would run twice and the other's never.
			if other, taken := named[p.binary()]; taken && other != importPath {
				return nil, fmt.Errorf("%s and %s would both be %s: test packages need names of their own", other, importPath, p.binary())
			}
			named[p.binary()] = importPath
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}
