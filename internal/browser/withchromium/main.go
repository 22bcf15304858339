// Command withchromium runs a command, make test's go test, with one
// headless Chromium for all of its test processes: it starts the browser,
// gives its DevTools address to the command in browser.SharedEnv, and ends
// it when the command ends. Each package's browser tests then open their
// tabs (each in a browser context of its own) in that one browser instead of
// starting a Chromium per package, some seconds of a core each.
//
//	go run ./internal/browser/withchromium go test ./...
//
// When Chromium cannot start, the command runs without it (the browser
// tests say why).
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"kopa/internal/browser"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: withchromium command [argument...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	ws, stop, err := browser.StartShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withchromium: no shared Chromium:", err)
	} else {
		cmd.Env = append(cmd.Env, browser.SharedEnv+"="+ws)
	}
	// An interrupt from the terminal reaches the command too (it is in the
	// same process group), a termination is passed on to it: either way,
	// wait for it to end, then end the browser.
	signal.Ignore(os.Interrupt)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	code := 0
	err = cmd.Start()
	if err == nil {
		go func() {
			for s := range term {
				_ = cmd.Process.Signal(s)
			}
		}()
		err = cmd.Wait()
	}
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(os.Stderr, "withchromium:", err)
			code = 1
		} else if code = exit.ExitCode(); code < 0 {
			code = 1 // ended by a signal
		}
	}
	if stop != nil {
		stop()
	}
	os.Exit(code)
}
