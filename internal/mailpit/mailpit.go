// Package mailpit runs a real mailpit SMTP server for tests and reads what
// it received through mailpit's REST API. Tests of every feature that sends
// mail use it, so mail is checked as a recipient would see it.
//
// The mailpit binary comes from `make test` (go install
// github.com/axllent/mailpit); Start looks for it on PATH, then in
// $(go env GOPATH)/bin.
package mailpit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options change how the server behaves; the zero value accepts every
// recipient and any (or no) SMTP login, without TLS.
type Options struct {
	// AllowedRecipients is a regular expression; recipients that do not
	// match are rejected at RCPT TO with a permanent "550" error.
	AllowedRecipients string
	// Login, as "user:password", makes the server require exactly that
	// SMTP login (PLAIN or LOGIN).
	Login string
	// TLS gives the server a self-signed certificate for 127.0.0.1 (see
	// RootCAs) and makes it offer STARTTLS.
	TLS bool
	// RequireSTARTTLS refuses mail sent before STARTTLS; ImplicitTLS makes
	// the SMTP port speak TLS from the first byte. Each implies TLS.
	RequireSTARTTLS, ImplicitTLS bool
	// Args are extra mailpit flags, e.g. "--enable-chaos".
	Args []string
}

// Server is one running (or stopped) mailpit process bound to loopback.
type Server struct {
	bin      string
	args     []string
	smtpPort int
	httpPort int
	client   *http.Client
	roots    *x509.CertPool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	output *lockedWriter
}

// Start launches mailpit with default options; see StartWith.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith launches mailpit on free loopback ports with a database in a
// temporary folder, waits until it accepts SMTP and answers its API, and
// stops it when the test ends.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		t.Fatalf("mailpit: %v (run make test, which installs it)", err)
	}
	dir := t.TempDir()
	var extra []string
	var roots *x509.CertPool
	if o.Login != "" {
		file := filepath.Join(dir, "smtp-auth")
		if err := os.WriteFile(file, []byte(o.Login+"\n"), 0o600); err != nil {
			t.Fatalf("mailpit: %v", err)
		}
		extra = append(extra, "--smtp-auth-file", file)
	} else {
		extra = append(extra, "--smtp-auth-accept-any")
	}
	if o.TLS || o.RequireSTARTTLS || o.ImplicitTLS {
		cert, key, pool, err := selfSigned(dir)
		if err != nil {
			t.Fatalf("mailpit: %v", err)
		}
		roots = pool
		extra = append(extra, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
	}
	switch {
	case o.RequireSTARTTLS:
		extra = append(extra, "--smtp-require-starttls")
	case o.ImplicitTLS:
		extra = append(extra, "--smtp-require-tls")
	default:
		// Logins over plain SMTP on loopback keep tests simple.
		extra = append(extra, "--smtp-auth-allow-insecure")
	}
	if o.AllowedRecipients != "" {
		extra = append(extra, "--smtp-allowed-recipients", o.AllowedRecipients)
	}
	extra = append(extra, o.Args...)
	var lastErr error
	// A free port found here can be taken by someone else before mailpit
	// binds it; a few fresh tries make that race harmless.
	for try := 0; try < 3; try++ {
		s := &Server{bin: bin, roots: roots, client: &http.Client{Timeout: 10 * time.Second}}
		if s.smtpPort, err = freePort(); err != nil {
			t.Fatalf("mailpit: %v", err)
		}
		if s.httpPort, err = freePort(); err != nil {
			t.Fatalf("mailpit: %v", err)
		}
		s.args = []string{
			"--smtp", s.smtpAddr(),
			"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.httpPort)),
			"--database", filepath.Join(dir, fmt.Sprintf("mailpit-%d.db", try)),
			"--max", "100000",
			"--smtp-disable-rdns",
			"--disable-version-check",
		}
		s.args = append(s.args, extra...)
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.stop)
			return s
		}
	}
	t.Fatalf("mailpit: %v", lastErr)
	return nil
}

// SMTPHost is the address the SMTP server listens on.
func (s *Server) SMTPHost() string { return "127.0.0.1" }

// SMTPPort is the SMTP server's port; it stays the same across Restart.
func (s *Server) SMTPPort() int { return s.smtpPort }

// RootCAs trusts the server's certificate; nil without TLS.
func (s *Server) RootCAs() *x509.CertPool { return s.roots }

// APIURL is the base address of mailpit's web UI and REST API.
func (s *Server) APIURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.httpPort) }

// Stop takes the server down, so connections to its SMTP port are refused
// until Restart. Messages received so far are kept.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

// Restart brings a stopped server back up on the same ports and database.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stop()
	if err := s.start(); err != nil {
		t.Fatalf("mailpit restart: %v", err)
	}
}

func (s *Server) smtpAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.smtpPort)) }

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &lockedWriter{}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited, s.output = cmd, exited, out

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("exited at start-up: %s", out.String())
		default:
		}
		if s.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("not ready after 15s: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready reports whether both the API and the SMTP port answer.
func (s *Server) ready() bool {
	res, err := s.client.Get(s.APIURL() + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false
	}
	// A plain TCP connect is enough even for implicit TLS: it only shows
	// that the port is open.
	c, err := net.DialTimeout("tcp", s.smtpAddr(), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
}

// kill ends the process (politely first) and waits until it has exited,
// so its ports are free when it returns. s.mu is held.
func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Address is a mail address as mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Summary is one message in the list of received messages.
type Summary struct {
	ID          string
	MessageID   string
	From        Address
	To          []Address
	Subject     string
	Created     time.Time
	Size        int
	Attachments int
	Snippet     string
}

// Part is an attachment or an inline part of a message.
type Part struct {
	PartID      string
	FileName    string
	ContentType string
	ContentID   string
	Size        int
}

// Message is a received message in full.
type Message struct {
	ID         string
	MessageID  string
	From       Address
	To         []Address
	Cc         []Address
	Bcc        []Address
	ReplyTo    []Address
	ReturnPath string
	Subject    string
	Date       time.Time
	// Username is the SMTP login the sender used, if any.
	Username    string
	Text        string
	HTML        string
	Size        int
	Inline      []Part
	Attachments []Part
	// Headers holds every header of the message, keyed as mailpit
	// returns them (canonical MIME form, e.g. "Message-Id").
	Headers map[string][]string
}

// Header returns the first value of a header, matching its name without
// regard to case.
func (m Message) Header(name string) string {
	for k, v := range m.Headers {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Attachment returns the attachment or inline part with the given file
// name, or false.
func (m Message) Attachment(name string) (Part, bool) {
	for _, p := range append(append([]Part(nil), m.Attachments...), m.Inline...) {
		if p.FileName == name {
			return p, true
		}
	}
	return Part{}, false
}

// Messages lists every received message, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var all []Summary
	for start := 0; ; {
		var page struct {
			Total    int
			Messages []Summary `json:"messages"`
		}
		s.getJSON(t, fmt.Sprintf("/api/v1/messages?start=%d&limit=500", start), &page)
		all = append(all, page.Messages...)
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.Total {
			return all
		}
	}
}

// To lists the received messages addressed to addr, newest first.
func (s *Server) To(t testing.TB, addr string) []Summary {
	t.Helper()
	var out []Summary
	for _, m := range s.Messages(t) {
		for _, to := range m.To {
			if strings.EqualFold(to.Address, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Message fetches one message in full, with its headers.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.getJSON(t, "/api/v1/message/"+url.PathEscape(id), &m)
	s.getJSON(t, "/api/v1/message/"+url.PathEscape(id)+"/headers", &m.Headers)
	return m
}

// Attachment downloads the decoded bytes of one part of a message.
func (s *Server) Attachment(t testing.TB, id, partID string) []byte {
	t.Helper()
	return s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/part/"+url.PathEscape(partID))
}

// Raw downloads a message exactly as it was received over SMTP.
func (s *Server) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/raw")
}

// WaitFor waits until at least n messages have been received and returns
// them; the test fails if that takes longer than timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Summary {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages(t)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit: %d message(s) after %s, want %d", len(msgs), timeout, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// DeleteAll removes every received message.
func (s *Server) DeleteAll(t testing.TB) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, s.APIURL()+"/api/v1/messages", nil)
	if err != nil {
		t.Fatalf("mailpit: %v", err)
	}
	s.do(t, req)
}

func (s *Server) getJSON(t testing.TB, path string, into any) {
	t.Helper()
	body := s.get(t, path)
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("mailpit: GET %s: %v in %q", path, err, body)
	}
}

func (s *Server) get(t testing.TB, path string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.APIURL()+path, nil)
	if err != nil {
		t.Fatalf("mailpit: %v", err)
	}
	return s.do(t, req)
}

func (s *Server) do(t testing.TB, req *http.Request) []byte {
	t.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("mailpit: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("mailpit: %s %s: %v", req.Method, req.URL.Path, err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mailpit: %s %s: %s %s", req.Method, req.URL.Path, res.Status, body)
	}
	return body
}

// findBinary looks for mailpit on PATH, then where `go install` puts it.
func findBinary() (string, error) {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		dirs = append(dirs, filepath.SplitList(strings.TrimSpace(string(out)))...)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.SplitList(gp)...)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "bin", "mailpit")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("mailpit binary not found on PATH or in $(go env GOPATH)/bin")
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedWriter collects mailpit's output; the process writes from its own
// goroutine while a failing start reads it.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir and
// returns their files and a pool that trusts the certificate.
func selfSigned(dir string) (certFile, keyFile string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "mailpit test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "smtp-cert.pem"), filepath.Join(dir, "smtp-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool, nil
}
