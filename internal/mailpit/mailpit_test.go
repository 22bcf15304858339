package mailpit_test

import (
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
	"time"

	"kopa/internal/mailpit"
)

func send(s *mailpit.Server, to, subject string) error {
	addr := net.JoinHostPort(s.SMTPHost(), strconv.Itoa(s.SMTPPort()))
	msg := "From: kopa@example.com\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nSveiki!\r\n"
	return smtp.SendMail(addr, nil, "kopa@example.com", []string{to}, []byte(msg))
}

func TestStopRestartKeepsPortAndMessages(t *testing.T) {
	s := mailpit.Start(t)
	if err := send(s, "anna@example.com", "one"); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := s.WaitFor(t, 1, 5*time.Second)
	m := s.Message(t, msgs[0].ID)
	if m.Subject != "one" || m.To[0].Address != "anna@example.com" || !strings.Contains(m.Text, "Sveiki") {
		t.Errorf("message = %+v", m)
	}
	if m.Header("subject") != "one" {
		t.Errorf("subject header = %q", m.Header("subject"))
	}

	port := s.SMTPPort()
	s.Stop(t)
	if err := send(s, "anna@example.com", "lost"); err == nil {
		t.Fatal("send to a stopped server succeeded")
	}
	s.Restart(t)
	if s.SMTPPort() != port {
		t.Fatalf("port changed from %d to %d", port, s.SMTPPort())
	}
	if err := send(s, "anna@example.com", "two"); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	if got := len(s.WaitFor(t, 2, 5*time.Second)); got != 2 {
		t.Errorf("messages = %d, want 2", got)
	}
	if got := len(s.To(t, "anna@example.com")); got != 2 {
		t.Errorf("messages to anna = %d, want 2", got)
	}
	s.DeleteAll(t)
	if got := len(s.Messages(t)); got != 0 {
		t.Errorf("after DeleteAll: %d messages", got)
	}
}

func TestAllowedRecipients(t *testing.T) {
	s := mailpit.StartWith(t, mailpit.Options{AllowedRecipients: `@example\.com$`})
	err := send(s, "nobody@invalid.test", "rejected")
	if err == nil || !strings.HasPrefix(err.Error(), "550") {
		t.Fatalf("send to a rejected recipient: %v, want a 550", err)
	}
	if err := send(s, "anna@example.com", "accepted"); err != nil {
		t.Fatalf("send: %v", err)
	}
	s.WaitFor(t, 1, 5*time.Second)
}
