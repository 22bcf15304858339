package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/jordan-wright/email"
	"github.com/pocketbase/pocketbase/core"
)

// The message is built by github.com/jordan-wright/email, but the SMTP
// dialogue is ours: the library's Send* functions dial without a timeout,
// always greet as "localhost" (PocketBase's SMTP settings have LocalName),
// open one connection per mail and return one opaque error. The worker
// needs deadlines, one connection for a batch, and to tell "the server is
// down" from "the server refuses this recipient".

// Time limits of one SMTP conversation.
const (
	dialTimeout = 10 * time.Second
	mailTimeout = time.Minute // greeting, or one whole mail including DATA
)

// rootCAs is nil (the system's roots) except in tests, which trust their
// own certificate for the TLS and STARTTLS cases.
var rootCAs *x509.CertPool

// sendErr is why one mail was not sent.
type sendErr struct {
	err error
	// session: the server could not be reached, or refused us or our
	// sender. Not this mail's fault; it does not count towards maxAttempts.
	session bool
	// permanent: the server refused this recipient for good (5xx at RCPT);
	// retrying cannot help.
	permanent bool
}

func (e *sendErr) Error() string { return e.err.Error() }
func (e *sendErr) Unwrap() error { return e.err }

// session is one SMTP connection, reused for the mails of a flush.
type session struct {
	conn   net.Conn
	client *smtp.Client
	stop   func() bool
}

// dialSMTP connects, greets, secures and logs in as the settings say:
// implicit TLS when SMTP.TLS is set, otherwise STARTTLS when the server
// offers it.
func dialSMTP(ctx context.Context, cfg core.SMTPConfig) (*session, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tlsConfig := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: rootCAs}
	if cfg.TLS {
		conn = tls.Client(conn, tlsConfig)
	}
	// Closing the connection is the one way to interrupt a blocked read
	// when the app shuts down.
	s := &session{conn: conn, stop: context.AfterFunc(ctx, func() { conn.Close() })}
	fail := func(err error) (*session, error) {
		s.close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(mailTimeout))
	if s.client, err = smtp.NewClient(conn, cfg.Host); err != nil {
		return fail(err)
	}
	localName := cfg.LocalName
	if localName == "" {
		localName = "localhost"
	}
	if err := s.client.Hello(localName); err != nil {
		return fail(err)
	}
	if !cfg.TLS {
		if ok, _ := s.client.Extension("STARTTLS"); ok {
			if err := s.client.StartTLS(tlsConfig); err != nil {
				return fail(fmt.Errorf("starttls: %w", err))
			}
		}
	}
	if cfg.Username != "" || cfg.Password != "" {
		if ok, _ := s.client.Extension("AUTH"); ok {
			var auth smtp.Auth
			if strings.EqualFold(cfg.AuthMethod, "LOGIN") {
				auth = &loginAuth{user: cfg.Username, pass: cfg.Password}
			} else {
				auth = smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)
			}
			if err := s.client.Auth(auth); err != nil {
				return fail(fmt.Errorf("auth: %w", err))
			}
		}
	}
	return s, nil
}

// send delivers one composed mail. A reply that is not about this mail, or
// a broken connection, comes back as a session error; the caller then drops
// the session.
func (s *session) send(from, to string, raw []byte) *sendErr {
	_ = s.conn.SetDeadline(time.Now().Add(mailTimeout))
	if err := s.client.Mail(from); err != nil {
		return &sendErr{err: fmt.Errorf("MAIL FROM: %w", err), session: true}
	}
	if err := s.client.Rcpt(to); err != nil {
		var tp *textproto.Error
		if errors.As(err, &tp) {
			return &sendErr{err: fmt.Errorf("RCPT TO: %w", err), permanent: tp.Code >= 500}
		}
		return &sendErr{err: fmt.Errorf("RCPT TO: %w", err), session: true}
	}
	w, err := s.client.Data()
	if err != nil {
		return dataErr(err)
	}
	if _, err := w.Write(raw); err != nil {
		return dataErr(err)
	}
	if err := w.Close(); err != nil {
		return dataErr(err)
	}
	return nil
}

func dataErr(err error) *sendErr {
	var tp *textproto.Error
	return &sendErr{err: fmt.Errorf("DATA: %w", err), session: !errors.As(err, &tp)}
}

// reset readies the connection for the next mail after a refusal; false
// means the connection is no longer usable.
func (s *session) reset() bool {
	_ = s.conn.SetDeadline(time.Now().Add(mailTimeout))
	return s.client.Reset() == nil
}

// quit ends the conversation politely.
func (s *session) quit() {
	_ = s.conn.SetDeadline(time.Now().Add(dialTimeout))
	if s.client != nil {
		_ = s.client.Quit()
	}
	s.close()
}

func (s *session) close() {
	s.stop()
	s.conn.Close()
}

// loginAuth is SMTP AUTH LOGIN, which net/smtp lacks and some providers
// (Outlook among them) require. Like smtp.PlainAuth it refuses to send the
// password over an unencrypted connection to another host.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLocalhost(server.Name) {
		return "", nil, errors.New("refusing AUTH LOGIN over an unencrypted connection")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", fromServer)
}

func isLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

// compose builds the MIME message of one row. The Message-ID comes from
// the row id, so a mail repeated after a crash carries the same id and
// mail clients can tell it is the same mail.
func compose(msg Message, id string, from mail.Address, now time.Time) ([]byte, error) {
	// Mails written by a renderer and rows written by hand (a superuser in
	// the admin UI) get the same checks as EnqueueRaw's.
	if err := msg.Validate(); err != nil {
		return nil, err
	}

	e := email.NewEmail()
	e.From = from.String()
	e.To = []string{msg.To}
	e.Subject = msg.Subject
	e.Text = []byte(msg.Text)
	e.HTML = []byte(msg.HTML)
	domain := "localhost"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		domain = from.Address[at+1:]
	}
	for k, v := range msg.Headers {
		e.Headers.Set(k, v)
	}
	e.Headers.Set("Message-Id", "<"+id+"@"+domain+">")
	e.Headers.Set("Date", now.Format(time.RFC1123Z))
	for _, a := range msg.Attachments {
		att, err := e.Attach(bytes.NewReader(a.Data), a.Name, a.contentType())
		if err != nil {
			return nil, err
		}
		att.HTMLRelated = a.Inline
		att.Header.Set("Content-ID", "<"+a.Name+">")
	}
	raw, err := e.Bytes()
	if err != nil {
		return nil, err
	}
	return foldHeaders(raw), nil
}

// foldHeaders folds header lines longer than 78 characters between the
// encoded words the library writes on one line: a subject in Cyrillic
// would otherwise pass the 998-character line limit of RFC 5322.
func foldHeaders(raw []byte) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return raw
	}
	lines := bytes.Split(raw[:end], []byte("\r\n"))
	changed := false
	for i, l := range lines {
		if len(l) > 78 && bytes.Contains(l, []byte(" =?")) {
			lines[i] = bytes.ReplaceAll(l, []byte(" =?"), []byte("\r\n =?"))
			changed = true
		}
	}
	if !changed {
		return raw
	}
	out := bytes.Join(lines, []byte("\r\n"))
	return append(out, raw[end:]...)
}
