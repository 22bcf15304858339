// Package registration is Kopā's heart: a person registers for an event and
// gets a ticket. The seat decision, the waiting list, cancellation with
// promotion of the first on the waiting list, and the mail that goes with
// each change are made here, each inside one database transaction.
package registration

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/internal/contact"
	"kopa/internal/domain"
	"kopa/internal/fastinsert"
	"kopa/internal/i18n"
	"kopa/internal/ids"
)

// StatusExists is the outcome of a second registration of the same e-mail
// (the others are the registration statuses confirmed and waitlisted).
const StatusExists = "exists"

// Errors a registration can end with besides validation.Errors.
var (
	ErrNotFound = errors.New("no such published event")
	ErrFull     = errors.New("the event is full and keeps no waiting list")
	ErrClosed   = errors.New("registration for the event is closed")
)

// ResendInterval is how long after a ticket was mailed again a duplicate
// registration mails nothing more. "exists" tells the caller that the
// address is registered (by design: the ticket is the proof); the cap
// keeps anyone from filling a stranger's inbox with their ticket.
const ResendInterval = time.Hour

// MaxName is the longest name accepted, in characters (the rule of every
// entry point, package contact).
const MaxName = contact.MaxName

// Input is what a person sends to register.
type Input struct {
	Name           string
	Email          string
	Locale         string
	PhotoConsent   bool
	Interpretation []string
	// Party is how many people come, the registrant included: 1 to the
	// event's max_party (0 is read as 1, for a caller that does not ask).
	Party int
	// Childcare is how many of them are children who need minding: 0 to
	// Party, and above 0 only where the event offers child minding.
	Childcare int
	// NoEmailAnywhere lets an organiser register someone without an
	// e-mail address at any event (a phone call, a visitor at the desk).
	// The public may leave Email empty only where the event allows it
	// (email_optional).
	NoEmailAnywhere bool
	// Bulletins: the person ticked the box to receive the bulletins. They
	// are subscribed with the registration (a confirmation mail first,
	// package bulletins), where the registration succeeds or the address
	// was registered already.
	Bulletins bool
	// Standing is the standing place (package series) this registration
	// is a seat of, or "" for a registration of its own. A seat is
	// announced by its standing place's mails: no ticket mail of its own
	// is queued, for a new seat or an address registered already.
	Standing string
}

// Normalize trims the input and lower-cases the e-mail (so one person is one
// registration whatever they type), then validates it with the name and
// e-mail rules of every entry point (package contact). The errors are keyed
// by the contract's field names. An empty e-mail passes here: whether the
// event allows it is decided with the event (see checkAgainstEvent), as
// are the party's and the children's upper bounds.
func (in *Input) Normalize() error {
	in.Locale = strings.ToLower(strings.TrimSpace(in.Locale))
	errs := validation.Errors{}
	var err error
	if in.Name, err = contact.Name(in.Name); err != nil {
		errs["name"] = err
	}
	if strings.TrimSpace(in.Email) == "" {
		in.Email = ""
	} else if in.Email, err = contact.Email(in.Email); err != nil {
		errs["email"] = err
	}
	if in.Party == 0 {
		in.Party = 1
	}
	switch {
	case in.Party < 1:
		errs["party"] = validation.NewError("validation_min_less_equal_than_required", "Must be at least 1.")
	case in.Party > domain.MaxPartyLimit:
		errs["party"] = validation.NewError("validation_max_greater_equal_than_required", fmt.Sprintf("Must be at most %d.", domain.MaxPartyLimit))
	}
	switch {
	case in.Childcare < 0:
		errs["childcare"] = validation.NewError("validation_min_less_equal_than_required", "Must be at least 0.")
	case in.Childcare > max(in.Party, 1):
		errs["childcare"] = validation.NewError("validation_childcare_over_party", "Cannot be more than the people coming (party).")
	}
	if !i18n.IsSupported(in.Locale) {
		errs["locale"] = validation.NewError("validation_invalid_locale", "Must be one of lv, en, ru.")
	}
	seen := map[string]bool{}
	for _, l := range in.Interpretation {
		if !contains(domain.Languages, l) || seen[l] {
			errs["interpretation"] = validation.NewError("validation_invalid_value", "Must be distinct languages from "+strings.Join(domain.Languages, ", ")+".")
			break
		}
		seen[l] = true
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// validateRecord requires a name that is not only spaces, for every write
// that goes through PocketBase's save (the record API, the console, our own
// code), except on a registration whose personal data retention has erased.
func validateRecord(e *core.RecordEvent) error {
	if e.Record.GetDateTime("erased_at").IsZero() {
		name := strings.TrimSpace(e.Record.GetString("name"))
		if name == "" {
			return validation.Errors{"name": validation.NewError("validation_required", "Cannot be blank.")}
		}
		e.Record.Set("name", name)
	}
	return e.Next()
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Result is what a registration decided.
type Result struct {
	Status string
	// Position is the place on the waiting list (1 = next), for waitlisted.
	Position     int
	Registration *core.Record
	Event        *core.Record
}

// Create decides seats for in's party at the event inside a transaction:
// confirmed when the people already confirmed and the party fit the
// capacity (0 = no limit), else a place on the waiting list for the whole
// party if the event keeps one, else ErrFull. What the event does not
// allow (a party over its max_party or its seats, children to mind where
// it offers no minding, no e-mail where one is required) is a
// validation.Errors. The ticket mail is queued in the same transaction
// (none without an e-mail address). An e-mail already registered (and not
// cancelled) gets StatusExists and its ticket mailed again (at most once
// in ResendInterval), and nothing else changes. in must have been normalized.
//
// Registrations arriving together share a transaction (see registrar);
// each still gets its own decision. Called with a transaction's app, Create
// decides inside that transaction.
func Create(app core.App, eventID string, in Input, now time.Time) (Result, error) {
	j, err := prepareJob(app, eventID, in, now)
	if err != nil {
		return Result{}, err
	}

	if app.IsTransactional() {
		// The caller holds the writer: decide in its transaction, storing
		// through PocketBase, whose hooks then run when it commits.
		if err := runBatch(app, []*job{j}); err != nil {
			return Result{}, err
		}
		return j.res, j.err
	}

	registrarOf(app).submit(app, j)
	if j.err != nil {
		return Result{}, j.err
	}
	if j.created {
		j.rec.MarkAsNotNew()
		fastinsert.AnnounceCreate(app, j.rec)
	}
	return j.res, nil
}

// prepareJob builds what a registration stores (record, id, ticket code,
// columns), which needs no writer.
func prepareJob(app core.App, eventID string, in Input, now time.Time) (*job, error) {
	col, err := app.FindCachedCollectionByNameOrId(domain.Registrations)
	if err != nil {
		return nil, err
	}
	r := core.NewRecord(col)
	r.Id = ids.Ordered()
	interpretation := in.Interpretation
	if interpretation == nil {
		interpretation = []string{}
	}
	in.Party = max(in.Party, 1)
	r.Load(map[string]any{
		"ticket": NewCode(), "event": eventID, "name": in.Name, "email": in.Email, "locale": in.Locale,
		"status": domain.RegistrationConfirmed, "photo_consent": in.PhotoConsent, "interpretation": interpretation,
		"party": in.Party, "childcare": in.Childcare, "standing": in.Standing,
	})
	stamp := domain.DateTime(now)
	r.SetRaw("created", stamp)
	r.SetRaw("updated", stamp)
	export, err := r.DBExport(app)
	if err != nil {
		return nil, err
	}
	return &job{eventID: eventID, in: in, now: now, rec: r, params: dbx.Params(export)}, nil
}

// LiveWithEmail is the condition of the partial unique index on a
// registration's event and e-mail (a live registration with an address):
// SQLite uses a partial index only for a query that repeats its condition
// word for word, so it is spelled out here and not bound as parameters.
const LiveWithEmail = "email != '' AND status != '" + string(domain.RegistrationCancelled) + "'"

// findLive returns the registration of email at the event that is not
// cancelled, or nil.
// It runs inside the registration's transaction, where every microsecond
// holds up the others, so it goes straight to the partial unique index
// (event, email): SQLite uses a partial index only when the query repeats
// the index's own conditions, hence the test for an empty e-mail (without it, every
// registration of the event was scanned).
func findLive(app core.App, eventID, email string) (*core.Record, error) {
	r := &core.Record{}
	err := app.RecordQuery(domain.Registrations).
		AndWhere(dbx.HashExp{"event": eventID, "email": email}).
		AndWhere(dbx.NewExp(LiveWithEmail)).
		Limit(1).One(r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ConfirmedPeople counts the people an event's confirmed registrations hold
// (the sum of their parties): the seats taken.
func ConfirmedPeople(app core.App, eventID string) (int, error) {
	var n int
	err := app.DB().NewQuery(`SELECT ` + attendance.People + ` FROM registrations r
		WHERE r.event = {:e} AND r.status = {:confirmed}`).
		Bind(dbx.Params{"e": eventID, "confirmed": domain.RegistrationConfirmed}).Row(&n)
	return n, err
}

// Position is a waitlisted registration's place in the queue: one more than
// the waitlisted registrations of its event that were stored before it. It
// counts parties, not people: a family of four ahead is one place ahead
// (the place in line is what a person is told; the seats they need are
// their own party's).
// Computed, not stored, so a cancellation never leaves a gap. The order is
// SQLite's rowid, which follows the order of insertion; the created time
// has only millisecond precision, and ids are random.
func Position(app core.App, r *core.Record) (int, error) {
	if domain.RegistrationStatusOf(r) != domain.RegistrationWaitlisted {
		return 0, nil
	}
	var n int
	err := app.DB().NewQuery(`SELECT count(*) FROM registrations
		WHERE event = {:e} AND status = {:waitlisted}
		AND rowid < (SELECT rowid FROM registrations WHERE id = {:id})`).
		Bind(dbx.Params{"e": r.GetString("event"), "id": r.Id, "waitlisted": domain.RegistrationWaitlisted}).Row(&n)
	return n + 1, err
}

// FindByTicket returns the registration with that ticket code.
func FindByTicket(app core.App, code string) (*core.Record, error) {
	if !ValidCode(code) {
		return nil, sql.ErrNoRows
	}
	return app.FindFirstRecordByData(domain.Registrations, "ticket", code)
}

// codeAlphabet is URL-safe: the 62 ASCII letters and digits.
const codeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// sortedAlphabet is the same in byte order, for the time part of a code.
const sortedAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewCode makes a ticket code of 28 characters: the time in milliseconds
// (eight characters, so codes sort by when they were made, see package
// ids) and twenty from crypto/rand, about 119 bits that no one can guess,
// unrelated to the registration's id or e-mail. The time part puts a new
// code at the end of the ticket index, in a page just written.
func NewCode() string {
	var b [28]byte
	ms := time.Now().UnixMilli()
	for i := 7; i >= 0; i-- {
		b[i] = sortedAlphabet[ms%62]
		ms /= 62
	}
	copy(b[8:], ids.Random(20, codeAlphabet))
	return string(b[:])
}

// ValidCode reports whether s has the shape of a ticket code.
func ValidCode(s string) bool {
	if len(s) < 24 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Cancel cancels the registration with that ticket code and, in the same
// transaction, confirms waiting parties in order as far as the freed seats
// go (see promote), queueing their mails. Cancelling twice changes nothing.
// It returns the registration and the first one promoted (or nil).
func Cancel(app core.App, code string, now time.Time) (cancelled, promoted *core.Record, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		r, err := FindByTicket(tx, code)
		if err != nil {
			return ErrNotFound
		}
		cancelled = r
		if domain.RegistrationStatusOf(r) == domain.RegistrationCancelled {
			return nil
		}
		wasConfirmed := domain.RegistrationStatusOf(r) == domain.RegistrationConfirmed
		r.Set("status", domain.RegistrationCancelled)
		r.Set("cancelled_at", domain.DateTime(now))
		if err := tx.Save(r); err != nil {
			return err
		}
		if !wasConfirmed {
			return nil
		}
		all, err := promoteAfterChange(tx, r.GetString("event"), now)
		if len(all) > 0 {
			promoted = all[0]
		}
		return err
	})
	return cancelled, promoted, err
}

// ErrNotLive is the end of a change to a registration that was cancelled.
var ErrNotLive = errors.New("the registration was cancelled")

// GiveBack lowers the party of the registration with that ticket code to
// party ("one of us can't come"): 1 to one fewer than it holds; its
// children to be minded go down with it where they were more. The seats it
// frees go to the waiting list at once, in the same transaction (a waiting
// party, this one included, that now fits is confirmed). It returns the
// registration and those promoted. A party out of range is a
// validation.Errors on "party"; a cancelled registration ErrNotLive.
func GiveBack(app core.App, code string, party int, now time.Time) (reg *core.Record, promoted []*core.Record, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		r, err := FindByTicket(tx, code)
		if err != nil {
			return ErrNotFound
		}
		reg = r
		if domain.RegistrationStatusOf(r) == domain.RegistrationCancelled {
			return ErrNotLive
		}
		if was := domain.Party(r); party < 1 || party >= was {
			return validation.Errors{"party": validation.NewError("validation_party_give_back",
				fmt.Sprintf("Must be from 1 to %d: fewer than the %d people the ticket holds.", was-1, was))}
		}
		r.Set("party", party)
		if r.GetInt("childcare") > party {
			r.Set("childcare", party)
		}
		if err := tx.Save(r); err != nil {
			return err
		}
		promoted, err = promoteAfterChange(tx, r.GetString("event"), now)
		return err
	})
	if err != nil {
		promoted = nil
	}
	return reg, promoted, err
}

// promoteAfterChange moves the waiting list of an event after seats came
// free, unless the event is cancelled or over (nobody is promoted into
// those).
func promoteAfterChange(tx core.App, eventID string, now time.Time) ([]*core.Record, error) {
	ev, err := tx.FindRecordById(domain.Events, eventID)
	if err != nil {
		return nil, err
	}
	if domain.EventStatusOf(ev) != domain.EventPublished || !now.Before(ev.GetDateTime("ends_at").Time()) {
		return nil, nil
	}
	return promote(tx, ev)
}

// promote confirms the waiting parties of ev, in the order they came, as
// far as the free seats go (all of them when the event has no limit), and
// queues their mails. A party too big for the seats still free is passed
// over and keeps its place: a smaller party behind it takes the seats, and
// the big one is first again when more come free. It returns those it
// confirmed.
func promote(tx core.App, ev *core.Record) ([]*core.Record, error) {
	free := math.MaxInt
	if c := ev.GetInt("capacity"); c > 0 {
		n, err := ConfirmedPeople(tx, ev.Id)
		if err != nil {
			return nil, err
		}
		free = c - n
	}
	if free <= 0 {
		return nil, nil
	}
	var waiting []*core.Record
	err := tx.RecordQuery(domain.Registrations).
		AndWhere(dbx.HashExp{"event": ev.Id, "status": domain.RegistrationWaitlisted}).
		OrderBy("rowid ASC").All(&waiting)
	if err != nil {
		return nil, err
	}
	var promoted []*core.Record
	for _, r := range waiting {
		if free == 0 {
			break
		}
		p := domain.Party(r)
		if p > free {
			continue // too big for now: it keeps its place
		}
		if free != math.MaxInt {
			free -= p
		}
		r.Set("status", domain.RegistrationConfirmed)
		if err := tx.Save(r); err != nil {
			return nil, err
		}
		promoted = append(promoted, r)
		if r.GetString("email") == "" {
			continue // registered without an address: the ticket page says it
		}
		if err := QueueTicketMail(tx, r, MailPromoted); err != nil {
			return nil, err
		}
	}
	return promoted, nil
}
