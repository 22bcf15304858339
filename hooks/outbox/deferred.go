package outbox

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/internal/ids"
)

// StatusSkipped ends a mail whose news was no longer true when it was due
// (its renderer returned ErrObsolete).
const StatusSkipped = "skipped"

// Raw is the template of a mail stored whole when it was queued: the
// messages PocketBase makes itself (see the package doc and EnqueueRaw).
// Its "renderer" is Content, which returns what the row holds.
const Raw = "raw"

// A Renderer writes a mail from the record it is about (ref) when the
// worker sends it, in the language that record keeps. It returns
// ErrObsolete when the mail has nothing true left to say, and an error
// wrapping sql.ErrNoRows when a record it cannot do without is gone (the
// row then fails for good); any other error is retried like a refused
// send. The recipient is the row's, whatever the Message says.
type Renderer func(app core.App, ref string) (Message, error)

// A PersonRenderer writes a mail about something many people hear of
// together (an event's change, an organisers' message): ref is that record,
// and to, the row's recipient, says which of its people the mail is for,
// so the renderer finds that person by the address and writes in their
// language. It answers as a Renderer does; a person who is no longer there
// makes the mail obsolete.
type PersonRenderer func(app core.App, ref, to string) (Message, error)

// ErrObsolete is returned by a Renderer whose mail is no longer true: the
// row ends as skipped and nothing is sent.
var ErrObsolete = errors.New("outbox: what the mail announced is no longer true")

var renderers sync.Map // template name → PersonRenderer

var (
	errNoRenderer = errors.New("no renderer for the mail's template")
	errBadRow     = errors.New("the row's attachments are not valid")
)

// permanent reports whether a renderer's error will not get better by
// waiting: the record is gone, or nothing can write the mail.
func permanent(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, errNoRenderer) || errors.Is(err, errBadRow)
}

// Handle registers the renderer of a template. Features register theirs in
// their Register function; registering a name again replaces it. Raw is
// not a name a feature can take.
func Handle(template string, r Renderer) {
	HandlePerson(template, func(app core.App, ref, _ string) (Message, error) { return r(app, ref) })
}

// HandlePerson registers the renderer of a template whose mail is written
// for its recipient (see PersonRenderer), as Handle does.
func HandlePerson(template string, r PersonRenderer) {
	if template == "" || template == Raw {
		panic(fmt.Sprintf("outbox: %q is not a template a renderer can take", template))
	}
	renderers.Store(template, r)
}

func rendererOf(template string) (PersonRenderer, bool) {
	r, ok := renderers.Load(template)
	if !ok {
		return nil, false
	}
	return r.(PersonRenderer), true
}

// Deferred is a mail as it is queued, to be written when it is sent: To is
// the recipient, Template a name given to Handle, Ref the id of the record
// the renderer writes it from, and Kind what it is, for people reading the
// queue (the template's name when empty).
type Deferred struct {
	To, Template, Ref, Kind string
	// NotBefore holds the mail back until then (zero: send at once). A
	// feature that may queue the same news again soon (an event edited
	// several times in a row) waits a little, so that its renderer can
	// find the newer mail and make the older one obsolete: people get one
	// mail that says it all.
	NotBefore time.Time
}

// due is when the mail may be sent: NotBefore, or now.
func (d Deferred) due(now time.Time) types.DateTime {
	if d.NotBefore.After(now) {
		now = d.NotBefore
	}
	t, _ := types.ParseDateTime(now.UTC())
	return t
}

func (d Deferred) kind() string {
	if d.Kind == "" {
		return d.Template
	}
	return d.Kind
}

func (d Deferred) validate() error {
	if err := validateTo(d.To); err != nil {
		return fmt.Errorf("queue %s mail: %w", d.kind(), err)
	}
	if _, ok := rendererOf(d.Template); !ok {
		return fmt.Errorf("queue %s mail: no renderer for template %q", d.kind(), d.Template)
	}
	if d.Ref == "" || hasControl(d.Ref) || hasControl(d.Kind) || len(d.Ref) > 100 || len(d.kind()) > 50 {
		return fmt.Errorf("queue %s mail: invalid ref or kind", d.kind())
	}
	return nil
}

// Writer queues mails with one prepared statement, for a transaction that
// queues many in a hurry (registration's group commit). The rows are the
// ones Defer stores, but written without PocketBase's record save, so no
// record hook of mail_outbox runs for them. The worker is woken when the
// transaction commits.
type Writer struct {
	app core.App
	q   *dbx.Query
}

const insertDeferred = "INSERT INTO {{" + Collection + "}} ([[id]], [[to]], [[template]], [[ref]], [[kind]], [[status]], [[attachments]], [[next_attempt_at]], [[created]], [[updated]])" +
	" VALUES ({:id}, {:to}, {:template}, {:ref}, {:kind}, 'pending', '[]', {:due}, {:now}, {:now})"

// NewWriter prepares a Writer on app, normally a transaction's app.
// Close it when done.
func NewWriter(app core.App) *Writer {
	w := &Writer{app: app}
	if info := app.TxInfo(); info != nil {
		info.OnComplete(func(txErr error) error {
			if txErr == nil {
				wake(app)
			}
			return nil
		})
	}
	return w
}

// Add queues one mail. Nothing is stored when d is not valid.
func (w *Writer) Add(d Deferred) error {
	if err := d.validate(); err != nil {
		return err
	}
	if w.q == nil {
		w.q = w.app.DB().NewQuery(insertDeferred).Prepare()
	}
	now := time.Now()
	stamp, _ := types.ParseDateTime(now.UTC())
	_, err := w.q.Bind(dbx.Params{
		"id": ids.Ordered(), "to": d.To, "template": d.Template, "ref": d.Ref, "kind": d.kind(),
		"now": stamp.String(), "due": d.due(now).String(),
	}).Execute()
	if err != nil {
		return fmt.Errorf("queue %s mail: %w", d.kind(), err)
	}
	stateOf(w.app).queued()
	if w.app.TxInfo() == nil {
		wake(w.app)
	}
	return nil
}

// Close releases the prepared statement.
func (w *Writer) Close() {
	if w.q != nil {
		_ = w.q.Close()
		w.q = nil
	}
}

// Defer queues one mail to be written when it is sent. Call it with the
// transaction app of the change the mail is about: the mail is then sent
// only if that change commits. The row is saved as a record, so
// mail_outbox's record hooks run (the worker is woken by one of them once
// the row is committed). Nothing is stored when d is not valid.
func Defer(app core.App, d Deferred) error {
	if err := d.validate(); err != nil {
		return err
	}
	c, err := app.FindCachedCollectionByNameOrId(Collection)
	if err != nil {
		return fmt.Errorf("queue %s mail: %w", d.kind(), err)
	}
	r := core.NewRecord(c)
	r.Id = ids.Ordered()
	r.Set("to", d.To)
	r.Set("template", d.Template)
	r.Set("ref", d.Ref)
	r.Set("kind", d.kind())
	r.Set("attachments", []Attachment{})
	r.Set("status", StatusPending)
	r.Set("attempts", 0)
	r.Set("next_attempt_at", d.due(time.Now()))
	if err := app.Save(r); err != nil {
		return fmt.Errorf("queue %s mail: %w", d.kind(), err)
	}
	stateOf(app).queued()
	return nil
}

// oneLine folds every run of spaces, line breaks and other control
// characters in s into one space. A renderer writes its subject from
// records (an event's title), and one stored with a line break in it would
// otherwise fail every mail about that event for good.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// Content is the mail a row sends, written now: its template's renderer
// writes it from the record the row is about; a raw row (template Raw, or
// none) sends what it holds. The recipient is always the row's.
func Content(app core.App, row *core.Record) (Message, error) {
	if t := row.GetString("template"); t != "" && t != Raw {
		r, ok := rendererOf(t)
		if !ok {
			return Message{}, fmt.Errorf("%w: %q", errNoRenderer, t)
		}
		msg, err := r(app, row.GetString("ref"), row.GetString("to"))
		if err != nil {
			return Message{}, err
		}
		msg.To = row.GetString("to")
		msg.Subject = oneLine(msg.Subject)
		return msg, nil
	}
	msg := Message{
		To:      row.GetString("to"),
		Subject: row.GetString("subject"),
		Text:    row.GetString("text"),
		HTML:    row.GetString("html"),
		Kind:    row.GetString("kind"),
		Ref:     row.GetString("ref"),
	}
	if err := row.UnmarshalJSONField("attachments", &msg.Attachments); err != nil {
		return Message{}, fmt.Errorf("%w: %v", errBadRow, err)
	}
	return msg, nil
}

// DeferBulk queues one bulk mail of template for every row of query, in
// one INSERT … SELECT: a bulletin to thousands of subscribers is queued in
// the time of one statement. query is a SELECT whose columns "to" (a
// recipient's bare address, as a record's email field holds it) and "ref"
// (what the renderer writes the mail from) are read; params are its
// parameters. Bulk mail is sent after any other mail that is due (see due).
// Call it with the transaction app of the change the mails are about; the
// worker is woken when that commits. It returns how many mails it queued.
func DeferBulk(app core.App, template, kind, query string, params dbx.Params) (int, error) {
	d := Deferred{To: "bulk@example.com", Template: template, Ref: "bulk", Kind: kind}
	if err := d.validate(); err != nil {
		return 0, err
	}
	// Ids that start with the time, as Ordered makes them, numbered in
	// the order of the query: unique within the statement, and after
	// every id made before it.
	prefix := ids.Ordered()[:10]
	digit := func(div int) string {
		return fmt.Sprintf("substr('%s', ((q.n - 1) / %d) %% 36 + 1, 1)", ids.Alphabet, div)
	}
	id := "{:prefix} || " + strings.Join([]string{digit(36 * 36 * 36 * 36), digit(36 * 36 * 36), digit(36 * 36), digit(36), digit(1)}, " || ")
	p := dbx.Params{"prefix": prefix, "template": template, "kind": d.kind(), "now": types.NowDateTime().String()}
	for k, v := range params {
		p[k] = v
	}
	res, err := app.DB().NewQuery("INSERT INTO {{" + Collection + "}} ([[id]], [[to]], [[template]], [[ref]], [[kind]], [[status]], [[attachments]], [[bulk]], [[next_attempt_at]], [[created]], [[updated]])" +
		" SELECT " + id + ", q.[[to]], {:template}, q.[[ref]], {:kind}, 'pending', '[]', TRUE, {:now}, {:now}, {:now}" +
		" FROM (SELECT row_number() OVER () AS [[n]], s.[[to]], s.[[ref]] FROM (" + query + ") s) q").
		Bind(p).Execute()
	if err != nil {
		return 0, fmt.Errorf("queue %s mails: %w", d.kind(), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("queue %s mails: %w", d.kind(), err)
	}
	if n > 36*36*36*36*36 {
		return 0, fmt.Errorf("queue %s mails: %d mails in one statement, more than its ids can number", d.kind(), n)
	}
	if n > 0 {
		if info := app.TxInfo(); info != nil {
			info.OnComplete(func(txErr error) error {
				if txErr == nil {
					wake(app)
				}
				return nil
			})
		} else {
			wake(app)
		}
	}
	return int(n), nil
}

// Pending lists the recipients of the mails of template about ref that wait
// to be sent, for a feature that queues the same news again and finds it
// waiting already. Call it with the transaction app that will queue.
func Pending(app core.App, template, ref string) ([]string, error) {
	var to []string
	err := app.DB().Select("to").From(Collection).
		Where(dbx.HashExp{"ref": ref, "template": template, "status": StatusPending}).
		// Repeated word for word, so SQLite uses the partial index on ref.
		AndWhere(dbx.NewExp("[[ref]] != ''")).
		Column(&to)
	if err != nil {
		return nil, fmt.Errorf("waiting %s mails: %w", template, err)
	}
	return to, nil
}
