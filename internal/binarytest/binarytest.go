// Package binarytest builds the real kopa binary and runs it as a separate
// process on loopback, for tests that must crash it (SIGKILL), restart it
// and talk to it only over HTTP.
package binarytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"kopa/internal/testrun"
)

// BinEnv names the variable that gives a kopa binary built beforehand:
// `make test` builds bin/kopa once and passes it to every test process.
const BinEnv = "KOPA_BIN"

// moduleRoot is the folder of go.mod, found from this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Build returns the kopa binary: $KOPA_BIN when set (a relative path is
// taken from the module's root), otherwise one built
// for this test process (once, as `make build` builds it, so the build
// cache serves both) in a temporary folder that is removed when the
// process's tests are over (see testrun).
func Build(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(BinEnv); bin != "" {
		if !filepath.IsAbs(bin) { // relative to where go test was started: the module's root
			bin = filepath.Join(moduleRoot(), bin)
		}
		if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
			t.Fatalf("%s=%s: not a binary (%v)", BinEnv, bin, err)
		}
		return bin
	}
	bin, err := testrun.Share(t, "binarytest.kopa", build)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func build() (string, func(), error) {
	dir, err := os.MkdirTemp("", "kopa-bin-")
	if err != nil {
		return "", nil, err
	}
	remove := func() { _ = os.RemoveAll(dir) }
	bin := filepath.Join(dir, "kopa")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = moduleRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		remove()
		return "", nil, fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, remove, nil
}

// Server is a running kopa process.
type Server struct {
	Bin, DataDir, Addr string
	URL                string
	cmd                *exec.Cmd
	log                *bytes.Buffer
	Client             *http.Client
	// SuperToken is a superuser's token (valid across restarts).
	SuperToken string
}

// Start creates a superuser in a fresh data folder and starts the server.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{Bin: Build(t), DataDir: t.TempDir(), Client: &http.Client{Timeout: 30 * time.Second}}
	if out, err := exec.Command(s.Bin, "superuser", "upsert", "root@example.org", "root-password-123", "--dir", s.DataDir).CombinedOutput(); err != nil {
		t.Fatalf("superuser: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	l.Close()
	s.URL = "http://" + s.Addr
	s.Restart(t)
	t.Cleanup(func() { s.Kill(t) })
	var auth struct{ Token string }
	s.JSON(t, http.MethodPost, "/api/collections/_superusers/auth-with-password", "", map[string]any{"identity": "root@example.org", "password": "root-password-123"}, 200, &auth)
	s.SuperToken = auth.Token
	return s
}

// Restart starts the process (again) on the same address and data folder
// and waits until it answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.log = &bytes.Buffer{}
	s.cmd = exec.Command(s.Bin, "serve", "--http", s.Addr, "--dir", s.DataDir)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := s.Client.Get(s.URL + "/api/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server did not start: %s", s.log.String())
}

// Kill ends the process with SIGKILL: no shutdown hooks, no flushing.
func (s *Server) Kill(t testing.TB) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = s.cmd.Process.Wait()
	s.cmd = nil
}

// Do sends a JSON request and returns the status and body.
func (s *Server) Do(method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := s.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, err
}

// JSON sends a request, fails the test unless the status is want, and
// decodes the answer into out (if not nil).
func (s *Server) JSON(t testing.TB, method, path, token string, body any, want int, out any) {
	t.Helper()
	st, data, err := s.Do(method, path, token, body)
	if err != nil || st != want {
		t.Fatalf("%s %s: %d %v %s", method, path, st, err, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// Stop ends the process with SIGTERM, as a service manager does on a
// restart, and waits for it to exit.
func (s *Server) Stop(t testing.TB) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = s.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		t.Errorf("the server did not stop within 20 s of SIGTERM")
	}
	s.cmd = nil
}
