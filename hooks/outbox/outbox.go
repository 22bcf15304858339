// Package outbox is Kopā's durable mail queue. A feature that sends mail
// queues it with the transaction app of the change the mail is about, so
// the mail row commits (or rolls back) with it; a single worker started by
// Register sends due rows over the SMTP server saved in PocketBase's
// settings. An SMTP outage only delays mail: failed sends are retried with
// backoff and survive restarts, and a request never waits for SMTP.
//
// Delivery is at least once: a crash after the SMTP server accepted a mail
// but before its row was marked sent repeats that mail (with the same
// Message-ID, made from the row's id), it never loses it.
//
// # One model: a row says what to send, the worker writes it when it sends
//
// Every row names a template, the record the mail is about (ref) and the
// recipient; it holds no subject or body while it waits. When the worker
// sends it, the template's Renderer (registered with Handle) writes the
// mail from that record as it is then, in the language the record keeps
// (a registration's or a volunteer's locale), so a mail always says what
// is true when it goes out: a waiting-list mail of someone promoted
// meanwhile says they have a seat, an invitation to a shift that was
// deleted, has started or was answered already is not sent at all (the
// renderer returns ErrObsolete and the row ends skipped). Features queue
// with Defer, or a Writer for many rows in one transaction.
//
// The language is not stored on the row: the record the mail is about
// has it, and a person who changed theirs before the mail went out reads
// it in the new one.
//
// One kind of mail cannot be written again later: the messages PocketBase
// itself makes (address verification, one-time codes, password resets,
// superuser alerts), whose tokens and codes exist only in the message. They
// are rows too, of the template Raw, whose stored subject, bodies and
// attachments are what the worker sends (EnqueueRaw, called by the
// OnMailerSend hook in pbmail.go). A row without a template is read the
// same way: a superuser can write one in the admin UI. Kopā's own features
// never queue raw mail.
package outbox

import (
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/textproto"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/internal/domain"
	"kopa/internal/ids"
)

// Collection is the name of the collection that holds the queue.
const Collection = domain.MailOutbox

// Row statuses.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// Limits of one mail; the collection's field sizes are a little larger.
const (
	maxSubject     = 300  // runes
	maxAttachments = 10   // parts
	maxAttachBytes = 1400 // KiB of raw data in all parts; base64 in JSON stays under 2 MiB
)

// Attachment is a file sent with a mail. An inline attachment is shown in
// the HTML body, which refers to it as "cid:" + Name.
type Attachment struct {
	// Name is the file name and, for inline parts, the Content-ID: letters,
	// digits, '.', '_' and '-', starting with a letter or digit.
	Name string `json:"name"`
	// ContentType is the MIME type; empty means guessed from Name.
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
	Inline      bool   `json:"inline"`
}

// Message is one mail to one recipient, as a Renderer writes it (or as
// PocketBase made it, for a raw row).
type Message struct {
	// To is a single bare address ("anna@example.com").
	To      string
	Subject string
	// Text and HTML are the two bodies; at least one is required, and
	// both is best.
	Text, HTML  string
	Attachments []Attachment
	// Kind says what the mail is ("ticket", "invite", …) and Ref is the id
	// of the record it is about; both only help people and features find it.
	Kind, Ref string
	// Headers are extra header fields a renderer gives its mail, such as a
	// bulletin's List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post
	// (RFC 8058). Only the names in extraHeaders are taken; the outbox
	// writes the others (From, To, Subject, Date, Message-Id, MIME) itself.
	// Raw rows keep none: they are not written again when sent.
	Headers map[string]string
}

// extraHeaders are the header fields a Message may set, by their
// canonical names.
var extraHeaders = map[string]bool{
	"List-Unsubscribe":      true,
	"List-Unsubscribe-Post": true,
	"List-Id":               true,
	"Precedence":            true,
	"Auto-Submitted":        true,
}

var attachmentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Validate checks a message before it is queued. Its errors are
// validation.Errors keyed by the Message field (to, subject, text,
// attachments, kind, ref), so a handler can pass them on as a 400.
func (m Message) Validate() error {
	errs := validation.Errors{}
	if err := validateTo(m.To); err != nil {
		errs["to"] = err
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		errs["subject"] = validation.NewError("validation_required", "Cannot be blank.")
	case hasControl(m.Subject):
		// A CR or LF in a header would let the value start new headers.
		errs["subject"] = validation.NewError("validation_invalid_header", "Must not contain line breaks or control characters.")
	case utf8.RuneCountInString(m.Subject) > maxSubject:
		errs["subject"] = validation.NewError("validation_length_too_long", fmt.Sprintf("Must be no more than %d characters.", maxSubject))
	}
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) == "" {
		errs["text"] = validation.NewError("validation_required", "A text or an HTML body is required.")
	}
	if err := validateAttachments(m.Attachments, m.HTML != ""); err != nil {
		errs["attachments"] = err
	}
	if err := validateHeaders(m.Headers); err != nil {
		errs["headers"] = err
	}
	if hasControl(m.Kind) {
		errs["kind"] = validation.NewError("validation_invalid_value", "Must not contain control characters.")
	}
	if hasControl(m.Ref) {
		errs["ref"] = validation.NewError("validation_invalid_value", "Must not contain control characters.")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func validateTo(to string) error {
	invalid := validation.NewError("validation_invalid_email", "Must be a single valid e-mail address.")
	if to == "" {
		return validation.NewError("validation_required", "Cannot be blank.")
	}
	if hasControl(to) {
		return invalid
	}
	a, err := mail.ParseAddress(to)
	if err != nil || a.Name != "" || a.Address != to || strings.ContainsAny(to, ",;<>\"") {
		return invalid
	}
	return nil
}

func validateHeaders(h map[string]string) error {
	for k, v := range h {
		if !extraHeaders[textproto.CanonicalMIMEHeaderKey(k)] {
			return validation.NewError("validation_invalid_header", fmt.Sprintf("Header %q cannot be set by a mail.", k))
		}
		// A CR or LF would start a header of its own; a long value would
		// pass the line limit of RFC 5322.
		if v == "" || hasControl(v) || len(k)+2+len(v) > 998 {
			return validation.NewError("validation_invalid_header", fmt.Sprintf("Header %q must be one line of at most 998 characters.", k))
		}
	}
	return nil
}

func validateAttachments(list []Attachment, hasHTML bool) error {
	if len(list) > maxAttachments {
		return validation.NewError("validation_too_many", fmt.Sprintf("At most %d attachments.", maxAttachments))
	}
	seen := map[string]bool{}
	total := 0
	for _, a := range list {
		if !attachmentName.MatchString(a.Name) || seen[strings.ToLower(a.Name)] {
			return validation.NewError("validation_invalid_name", fmt.Sprintf("Attachment name %q must be unique and use only letters, digits, '.', '_' and '-'.", a.Name))
		}
		seen[strings.ToLower(a.Name)] = true
		if a.ContentType != "" {
			if hasControl(a.ContentType) {
				return validation.NewError("validation_invalid_header", "Content types must not contain line breaks.")
			}
			if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
				return validation.NewError("validation_invalid_content_type", fmt.Sprintf("Attachment %q has an invalid content type.", a.Name))
			}
		}
		if a.Inline && !hasHTML {
			return validation.NewError("validation_inline_without_html", "Inline attachments need an HTML body.")
		}
		total += len(a.Data)
	}
	if total > maxAttachBytes<<10 {
		return validation.NewError("validation_too_large", fmt.Sprintf("Attachments must not exceed %d KiB in all.", maxAttachBytes))
	}
	return nil
}

// hasControl reports whether s holds a control character (CR and LF
// above all), which has no place in a header.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// contentType is the attachment's MIME type, guessed from its name when
// not given.
func (a Attachment) contentType() string {
	if a.ContentType != "" {
		return a.ContentType
	}
	if t := mime.TypeByExtension(path.Ext(a.Name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// EnqueueRaw validates msg and saves it whole as a pending row of the
// template Raw. It is for mails made outside Kopā that cannot be written
// again when they are sent: PocketBase's own (see the package doc). Call it
// with the transaction app of the change the mail belongs to: the mail is
// then sent only if that change commits. The worker is woken once the row
// is committed. Validation errors are returned as validation.Errors and
// nothing is stored.
func EnqueueRaw(app core.App, msg Message) (*core.Record, error) {
	if err := msg.Validate(); err != nil {
		return nil, err
	}
	c, err := app.FindCachedCollectionByNameOrId(Collection)
	if err != nil {
		return nil, fmt.Errorf("queue mail: %w", err)
	}
	atts := msg.Attachments
	if atts == nil {
		atts = []Attachment{}
	}
	r := core.NewRecord(c)
	r.Id = ids.Ordered()
	r.Set("to", msg.To)
	r.Set("template", Raw)
	r.Set("subject", msg.Subject)
	r.Set("text", msg.Text)
	r.Set("html", msg.HTML)
	r.Set("attachments", atts)
	r.Set("kind", msg.Kind)
	r.Set("ref", msg.Ref)
	r.Set("status", StatusPending)
	r.Set("attempts", 0)
	r.Set("next_attempt_at", types.NowDateTime())
	if err := app.Save(r); err != nil {
		return nil, fmt.Errorf("queue %s mail: %w", msg.Kind, err)
	}
	stateOf(app).queued()
	return r, nil
}

// RetryNow makes every pending mail due at once (an organiser fixed the
// SMTP settings, or a test brought its server back) and wakes the worker.
func RetryNow(app core.App) error {
	_, err := app.DB().NewQuery(
		"UPDATE {{" + Collection + "}} SET [[next_attempt_at]] = {:now}, [[updated]] = {:now} WHERE [[status]] = {:pending}",
	).Bind(map[string]any{"now": types.NowDateTime().String(), "pending": StatusPending}).Execute()
	if err != nil {
		return fmt.Errorf("retry queued mail: %w", err)
	}
	wake(app)
	return nil
}

// UseSMTP points app at a plain SMTP server (no TLS, no login), as a local
// mailpit or a relay on the same host needs, and saves the settings. The
// sender becomes "Kopā <kopa@example.com>". Tests call it with the address
// of their mailpit; a real deployment sets SMTP in the admin UI instead.
func UseSMTP(app core.App, host string, port int) error {
	// A copy is changed and saved: the worker reads the app's settings
	// while it runs, and the save reloads them.
	s, err := app.Settings().Clone()
	if err != nil {
		return err
	}
	s.SMTP.Enabled = true
	s.SMTP.Host = host
	s.SMTP.Port = port
	s.SMTP.TLS = false
	s.SMTP.Username = ""
	s.SMTP.Password = ""
	s.SMTP.AuthMethod = ""
	s.SMTP.LocalName = ""
	s.Meta.SenderName = "Kopā"
	s.Meta.SenderAddress = "kopa@example.com"
	if err := app.Save(s); err != nil {
		return fmt.Errorf("save SMTP settings: %w", err)
	}
	return nil
}

// ErrNotConfigured is returned by Flush while SMTP is not enabled in the
// settings; queued mail then waits, it is not dropped.
var ErrNotConfigured = errors.New("outbox: SMTP is not enabled in the settings; mail stays queued")

// backoff is the wait before attempt n+1 after n failed attempts: 30 s
// doubling up to an hour, with jitter so a burst queued together does not
// retry together.
func backoff(n int, jitter func(time.Duration) time.Duration) time.Duration {
	d := baseBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	return d/2 + jitter(d/2)
}

// Retry policy.
const (
	baseBackoff = 30 * time.Second
	maxBackoff  = time.Hour
	// maxAttempts ends retries of a mail the server keeps refusing.
	// Failures to reach or log in to the server do not count towards it:
	// they are not the mail's fault, and the mail waits for the server.
	maxAttempts = 20
)

// mask hides most of an address for logs: "a***@example.com".
func mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(addr)
	return string(first) + "***" + addr[at:]
}
