package notices

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/ids"
)

// MailMessage is the template of an organisers' message: the row's ref is
// the event_messages record, its recipient the person.
const MailMessage = "event_message"

// audienceList names the audiences for error messages.
var audienceList = strings.Join(audienceStrings(domain.Audiences), ", ")

func audienceStrings(list []domain.Audience) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = string(a)
	}
	return out
}

// Limits of a message, in characters per language.
const (
	MaxSubject = 200
	MaxBody    = 5000
)

// Message is what organisers write to an event's people: a subject and a
// text in each language they write (at least one), and who gets it. Each
// person reads their own language's, else the Latvian, else another.
type Message struct {
	To      []domain.Audience `json:"to"`
	Subject map[string]string `json:"subject"`
	Body    map[string]string `json:"body"`
}

// DecodeMessage reads a message from a JSON body and normalizes it. Its
// errors are validation.Errors keyed by "to", "subject" and "body".
func DecodeMessage(data []byte) (Message, error) {
	o, err := web.ParseJSONObject(data)
	if err != nil {
		return Message{}, err
	}
	var m Message
	o.Field("to", &m.To, "Must be a list of: "+audienceList+".")
	o.Field("subject", &m.Subject, `Must be an object of texts by language: {"lv","en","ru"}.`)
	o.Field("body", &m.Body, `Must be an object of texts by language: {"lv","en","ru"}.`)
	if err := o.Check(m.Normalize); err != nil {
		return Message{}, err
	}
	return m, nil
}

// Normalize trims the texts, keeps each audience once and checks the
// message: at least one audience, all known; a subject and a text in at
// least one language, in no language Kopā does not speak; a subject of at
// most MaxSubject characters on one line; texts of at most MaxBody
// characters without control characters (line breaks and tabs aside).
func (m *Message) Normalize() error {
	errs := validation.Errors{}
	var to []domain.Audience
	for _, a := range m.To {
		if !slices.Contains(domain.Audiences, a) {
			errs["to"] = validation.NewError("validation_invalid_value", "Must be any of: "+audienceList+".")
			break
		}
		if !slices.Contains(to, a) {
			to = append(to, a)
		}
	}
	if len(m.To) == 0 {
		errs["to"] = validation.NewError("validation_required", "Choose who gets the message.")
	}
	m.To = to
	check := func(key string, texts map[string]string, max int, oneLine bool) map[string]string {
		out := map[string]string{}
		for lang, s := range texts {
			if !i18n.IsSupported(lang) {
				errs[key] = validation.NewError("validation_invalid_locale", "Languages must be among "+strings.Join(i18n.Supported, ", ")+".")
				return out
			}
			s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
			switch {
			case utf8.RuneCountInString(s) > max:
				errs[key] = validation.NewError("validation_length_too_long", fmt.Sprintf("Must be no more than %d characters.", max))
				return out
			case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && (oneLine || (r != '\n' && r != '\t')) }) >= 0:
				errs[key] = validation.NewError("validation_invalid_value", "Must not contain control characters.")
				return out
			}
			if s != "" {
				out[lang] = s
			}
		}
		if len(out) == 0 {
			errs[key] = validation.NewError("validation_required", "Write it in at least one language.")
		}
		return out
	}
	m.Subject = check("subject", m.Subject, MaxSubject, true)
	m.Body = check("body", m.Body, MaxBody, false)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// In is the message's subject and text for a reader of lang: their
// language's, else Latvian, else the first language that has one.
func (m Message) In(lang string) (subject, body string) {
	return pick(m.Subject, lang), pick(m.Body, lang)
}

func pick(texts map[string]string, lang string) string {
	for _, l := range domain.TextFallback(lang) { // English for uk, ar, fa; Latvian
		if s := texts[l]; s != "" {
			return s
		}
	}
	for _, l := range i18n.Supported { // Latvian first
		if s := texts[l]; s != "" {
			return s
		}
	}
	return ""
}

// Recipients lists the addresses of the event's people in the audiences,
// each person once (by address, whatever its case).
func Recipients(app core.App, eventID string, audiences []domain.Audience) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(list []string) {
		for _, a := range list {
			if k := strings.ToLower(a); a != "" && !seen[k] {
				seen[k] = true
				out = append(out, a)
			}
		}
	}
	for _, a := range audiences {
		var list []string
		var err error
		switch a {
		case domain.AudienceConfirmed, domain.AudienceWaitlisted:
			err = app.DB().Select("email").From(domain.Registrations).
				Where(dbx.HashExp{"event": eventID, "status": string(a)}).AndWhere(dbx.NewExp("email != ''")).
				OrderBy("rowid").Column(&list)
		case domain.AudienceCheckedIn:
			err = app.DB().Select("r.email").From(domain.Registrations+" r").
				InnerJoin(domain.Checkins+" c", dbx.NewExp("c.registration = r.id")).
				Where(dbx.HashExp{"r.event": eventID}).AndWhere(dbx.NewExp("r.email != ''")).
				OrderBy("c.at").Column(&list)
		case domain.AudienceVolunteers:
			list, err = volunteersOf(app, eventID)
		}
		if err != nil {
			return nil, fmt.Errorf("recipients (%s) of event %s: %w", a, eventID, err)
		}
		add(list)
	}
	return out, nil
}

// Send records the message in event_messages and queues one mail for each
// of its recipients, in one transaction, and returns how many were queued.
// sentBy is the organiser's id (empty for a superuser). A message that
// reaches nobody is not recorded. m must have been normalized.
func Send(app core.App, ev *core.Record, m Message, sentBy string) (int, error) {
	n := 0
	err := app.RunInTransaction(func(tx core.App) error {
		to, err := Recipients(tx, ev.Id, m.To)
		if err != nil || len(to) == 0 {
			return err
		}
		col, err := tx.FindCachedCollectionByNameOrId(domain.EventMessages)
		if err != nil {
			return err
		}
		rec := core.NewRecord(col)
		rec.Id = ids.Ordered()
		rec.Load(map[string]any{"event": ev.Id, "subject": m.Subject, "body": m.Body, "to": audienceStrings(m.To), "count": len(to), "sent_by": sentBy})
		if err := tx.Save(rec); err != nil {
			return fmt.Errorf("record message: %w", err)
		}
		w := outbox.NewWriter(tx)
		defer w.Close()
		for _, addr := range to {
			if err := w.Add(outbox.Deferred{To: addr, Template: MailMessage, Ref: rec.Id}); err != nil {
				return err
			}
		}
		n = len(to)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		app.Logger().Info("message to an event's people queued", "event", ev.Id, "mails", n)
	}
	return n, nil
}

// messageOf reads a stored message.
func messageOf(rec *core.Record) (Message, error) {
	m := Message{}
	for _, a := range rec.GetStringSlice("to") {
		m.To = append(m.To, domain.Audience(a))
	}
	if err := rec.UnmarshalJSONField("subject", &m.Subject); err != nil {
		return m, fmt.Errorf("message %s subject: %w", rec.Id, err)
	}
	if err := rec.UnmarshalJSONField("body", &m.Body); err != nil {
		return m, fmt.Errorf("message %s body: %w", rec.Id, err)
	}
	return m, nil
}

// renderMessage writes an organisers' message for the person of to, in
// their language: a registration of the event (not cancelled) or a
// volunteer. Someone who is neither any more (forgotten by retention,
// account deleted) gets nothing.
func renderMessage(app core.App, ref, to string) (outbox.Message, error) {
	rec, err := app.FindRecordById(domain.EventMessages, ref)
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	ev, err := app.FindRecordById(domain.Events, rec.GetString("event"))
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	m, err := messageOf(rec)
	if err != nil {
		return outbox.Message{}, err
	}
	p, err := personOf(app, ev.Id, to)
	if err != nil {
		return outbox.Message{}, err
	}
	return writeMessage(app, ev, m, p, rec.Id)
}

// person is who a message is for.
type person struct {
	name, lang string
	// ticket is the registration's ticket code (none for a volunteer).
	ticket string
}

func personOf(app core.App, eventID, to string) (person, error) {
	r := &core.Record{}
	err := app.RecordQuery(domain.Registrations).
		AndWhere(dbx.HashExp{"event": eventID, "email": to}).
		AndWhere(dbx.NewExp("status != {:cancelled}", dbx.Params{"cancelled": string(domain.RegistrationCancelled)})).
		OrderBy("rowid DESC").Limit(1).One(r)
	switch {
	case err == nil:
		return person{name: r.GetString("name"), lang: r.GetString("locale"), ticket: r.GetString("ticket")}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return person{}, fmt.Errorf("registration of the message's reader: %w", err)
	}
	v, err := app.FindAuthRecordByEmail(domain.Volunteers, to)
	if err != nil {
		return person{}, gone(err)
	}
	return person{name: v.GetString("name"), lang: v.GetString("locale")}, nil
}

// writeMessage writes m for p: the subject, a greeting, the text as typed
// (escaped in the HTML part), the event it is about and, for a
// registration, the ticket link.
func writeMessage(app core.App, ev *core.Record, m Message, p person, ref string) (outbox.Message, error) {
	d, l := newMail(app, p.lang)
	subject, body := m.In(l.Lang)
	title := localizedRecord(ev, "title", l.Lang)
	d.Title = subject
	if p.name != "" {
		d.Greeting = l.T("mail.greeting", "Name", p.name)
	}
	d.Body = Paragraphs(body)
	d.Facts = []Fact{{l.T("notice.field.event"), title}, {l.T("event.when"), l.Span(ev.GetDateTime("starts_at").Time(), ev.GetDateTime("ends_at").Time())}}
	if p.ticket != "" {
		d.Buttons = []Link{{l.T("mail.open_ticket"), registration.TicketURL(app, p.ticket)}}
	}
	d.Footer = l.T("notice.message.footer", "Title", title)
	return d.message(MailMessage, ref)
}
