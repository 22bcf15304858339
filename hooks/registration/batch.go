package registration

import (
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/bulletins"
	"kopa/hooks/outbox"
	"kopa/internal/domain"
)

// Registrations are decided by a registrar, a batch at a time, in one
// transaction per batch (a group commit). SQLite has one writer; when each
// registration held it for its own transaction, a burst queued behind it
// one BEGIN…COMMIT at a time, and the goroutine holding it shared two cores
// with every request waiting. The registrar takes what has queued up while
// the previous batch was written and decides it in one go, with prepared
// statements: every request still gets its own answer, decided inside a
// transaction, with its mail row committed beside it.
//
// Everything that needs no writer is done by the request before it queues:
// validation, the new record, its ticket code and the values to store.
//
// The prepared INSERT is a fast insert: it skips PocketBase's validate and
// create hooks and field interceptors. Package fastinsert says what stands
// in for them, and its tests fail when a field or hook added to
// registrations would not apply here.

// maxBatch bounds a batch, so that one commit never waits for too many.
const maxBatch = 64

// job is one registration waiting for its decision.
type job struct {
	eventID string
	in      Input
	now     time.Time
	rec     *core.Record // the registration to store, status confirmed
	params  dbx.Params   // rec's columns as PocketBase exports them

	// Set by the registrar.
	res     Result
	err     error
	created bool // rec was stored: its after-create hooks are due
	done    chan struct{}
}

// registrar queues the jobs of one app. Its goroutine runs while there is
// work and ends when the queue is empty, so an idle app holds none.
type registrar struct {
	mu      sync.Mutex
	queue   []*job
	running bool
}

func registrarOf(app core.App) *registrar {
	return app.Store().GetOrSet("kopa.registrar", func() any { return &registrar{} }).(*registrar)
}

// submit queues j and waits for its decision.
func (rg *registrar) submit(app core.App, j *job) {
	j.done = make(chan struct{})
	rg.mu.Lock()
	rg.queue = append(rg.queue, j)
	if !rg.running {
		rg.running = true
		go rg.loop(app)
	}
	rg.mu.Unlock()
	<-j.done
}

func (rg *registrar) loop(app core.App) {
	for {
		rg.mu.Lock()
		n := min(len(rg.queue), maxBatch)
		if n == 0 {
			rg.running = false
			rg.queue = nil
			rg.mu.Unlock()
			return
		}
		batch := rg.queue[:n:n]
		rg.queue = rg.queue[n:]
		rg.mu.Unlock()
		commitBatch(app, batch)
	}
}

// commitBatch decides a batch in one transaction and answers every job.
// When the transaction fails, nothing of it was stored; each job is then
// decided again in a transaction of its own, so that one failing
// registration cannot fail the others.
func commitBatch(app core.App, batch []*job) {
	err := runBatch(app, batch)
	if err != nil && len(batch) > 1 {
		for _, j := range batch {
			commitBatch(app, []*job{j})
		}
		return
	}
	for _, j := range batch {
		if err != nil {
			j.res, j.err, j.created = Result{}, err, false
		}
		close(j.done)
	}
}

// runBatch decides a batch in a transaction (in app's own, when app is a
// transaction already), turning a panic into an error.
func runBatch(app core.App, batch []*job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registration: %v", p)
		}
	}()
	for _, j := range batch {
		j.res, j.err, j.created = Result{}, nil, false
	}
	viaSave := app.IsTransactional()
	return app.RunInTransaction(func(tx core.App) error {
		w := newBatchWriter(tx)
		w.viaSave = viaSave
		defer w.close()
		for _, j := range batch {
			if err := w.decide(j); err != nil {
				return err
			}
		}
		return nil
	})
}

// eventState is what a batch knows of one event: read once, then kept up
// to date by the batch's own inserts (it holds the writer meanwhile).
type eventState struct {
	found     bool
	status    domain.EventStatus
	startsAt  time.Time
	capacity  int
	waitlist  bool
	maxParty  int
	noEmail   bool // email_optional
	childcare bool
	confirmed int // people in confirmed seats; -1 until counted
}

type batchWriter struct {
	tx     core.App
	events map[string]*eventState
	insert *dbx.Query
	cols   string // the columns insert was prepared for
	mail   *outbox.Writer
	// viaSave stores through PocketBase's Save, for a batch run inside a
	// caller's transaction: PocketBase then runs the hooks at its commit.
	viaSave bool
}

func newBatchWriter(tx core.App) *batchWriter {
	return &batchWriter{tx: tx, events: map[string]*eventState{}, mail: outbox.NewWriter(tx)}
}

func (w *batchWriter) close() {
	if w.insert != nil {
		_ = w.insert.Close()
	}
	w.mail.Close()
}

// eventRow is what a batch reads of an event.
type eventRow struct {
	ID       string             `db:"id"`
	Status   domain.EventStatus `db:"status"`
	StartsAt string             `db:"starts_at"`
	Capacity int                `db:"capacity"`
	Waitlist bool               `db:"waitlist"`
	MaxParty int                `db:"max_party"`
	NoEmail  bool               `db:"email_optional"`
	Care     bool               `db:"childcare"`
}

const eventColumns = "[[id]], [[status]], [[starts_at]], [[capacity]], [[waitlist]], [[max_party]], [[email_optional]], [[childcare]]"

func (row eventRow) state() (*eventState, error) {
	starts, err := types.ParseDateTime(row.StartsAt)
	if err != nil {
		return nil, fmt.Errorf("event %s starts_at: %w", row.ID, err)
	}
	return &eventState{found: true, status: row.Status, startsAt: starts.Time(), capacity: row.Capacity, waitlist: row.Waitlist,
		maxParty: max(row.MaxParty, 1), noEmail: row.NoEmail, childcare: row.Care, confirmed: -1}, nil
}

// event reads an event's state the first time the batch needs it.
func (w *batchWriter) event(id string) (*eventState, error) {
	if ev, ok := w.events[id]; ok {
		return ev, nil
	}
	var row eventRow
	err := w.tx.DB().NewQuery("SELECT " + eventColumns + " FROM {{events}} WHERE [[id]] = {:id}").
		Bind(dbx.Params{"id": id}).One(&row)
	ev := &eventState{confirmed: -1}
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		if ev, err = row.state(); err != nil {
			return nil, err
		}
	}
	w.events[id] = ev
	return ev, nil
}

// readEvents reads the state of the events ids in one query, for a batch
// that will need each of them.
func (w *batchWriter) readEvents(ids []string) error {
	params := dbx.Params{}
	var names []string
	seen := map[string]bool{}
	for _, id := range ids {
		if _, ok := w.events[id]; ok || seen[id] {
			continue
		}
		seen[id] = true
		name := fmt.Sprintf("e%d", len(names))
		params[name] = id
		names = append(names, "{:"+name+"}")
	}
	if len(names) < 2 {
		return nil
	}
	var rows []eventRow
	err := w.tx.DB().NewQuery("SELECT " + eventColumns + " FROM {{events}} WHERE [[id]] IN (" + strings.Join(names, ", ") + ")").
		Bind(params).All(&rows)
	if err != nil {
		return err
	}
	for _, row := range rows {
		ev, err := row.state()
		if err != nil {
			return err
		}
		w.events[row.ID] = ev
	}
	return nil
}

// decide makes one registration's decision. The outcomes a person is told
// (not found, closed, full, exists) are set on j; an error returned is a
// failure of the database and ends the batch's transaction.
func (w *batchWriter) decide(j *job) error {
	ev, err := w.event(j.eventID)
	if err != nil {
		return err
	}
	switch {
	case !ev.found || ev.status == domain.EventDraft:
		j.err = ErrNotFound
		return nil
	case !domain.RegistrationOpen(ev.status, ev.startsAt, j.now):
		j.err = ErrClosed
		return nil
	}
	if err := ev.check(j.in); err != nil {
		j.err = err
		return nil
	}
	// A party gets all its seats or waits whole. A party that fits takes
	// its seats even while a bigger one waits: that one waits because it
	// does not fit (promotion confirms every waiting party that does).
	status := domain.RegistrationConfirmed
	party := max(j.in.Party, 1)
	if ev.capacity > 0 {
		if ev.confirmed < 0 {
			if ev.confirmed, err = ConfirmedPeople(w.tx, j.eventID); err != nil {
				return err
			}
		}
		if ev.confirmed+party > ev.capacity {
			status = domain.RegistrationWaitlisted
			if !ev.waitlist {
				// Full, unless this address has a registration already.
				return w.existing(j, ErrFull)
			}
		}
	}

	inserted, err := w.store(j, status)
	if err != nil {
		return err
	}
	if !inserted {
		// The unique index (event, e-mail of a live registration) said
		// no: the address is registered.
		return w.existing(j, nil)
	}
	j.created = !w.viaSave
	j.res = Result{Status: string(status), Registration: j.rec}
	kind := MailConfirmed
	if status == domain.RegistrationConfirmed {
		ev.confirmed += party
	} else {
		kind = MailWaitlisted
		if j.res.Position, err = Position(w.tx, j.rec); err != nil {
			return err
		}
	}
	if j.in.Standing != "" {
		return nil // the standing place's mail tells of its seats
	}
	if j.in.Email == "" {
		return nil // nowhere to send it: the ticket page is the ticket
	}
	if err := w.mail.Add(ticketMail(j.rec, kind)); err != nil {
		return err
	}
	return w.subscribe(j)
}

// check holds a registration to what the event allows: a party of at most
// max_party people (and no more than the seats, where the event has a
// limit: a bigger party would wait for ever), children to mind only where
// the event offers it, and an e-mail address unless the event lets people
// come without one (or an organiser registers them). Its errors are
// validation.Errors on the contract's fields: a 400 that stores nothing.
func (ev *eventState) check(in Input) error {
	errs := validation.Errors{}
	most := ev.maxParty
	if ev.capacity > 0 {
		most = min(most, ev.capacity)
	}
	checkParty(errs, in, most, ev.childcare)
	if in.Email == "" && !ev.noEmail && !in.NoEmailAnywhere {
		errs["email"] = validation.NewError("validation_required", "Cannot be blank.")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// checkParty adds to errs what is wrong with in's party for an event (or
// a series) that takes parties of up to most people and offers child
// minding or not.
func checkParty(errs validation.Errors, in Input, most int, childcare bool) {
	if in.Party > most {
		errs["party"] = validation.NewError("validation_party_too_big", fmt.Sprintf("Must be at most %d.", most))
	}
	if in.Childcare > 0 && !childcare {
		errs["childcare"] = validation.NewError("validation_no_childcare", "This event offers no child minding.")
	}
}

// CheckParty holds in's party and children to mind to what is taken
// (package series: by a series and its sessions): parties of up to most
// people (see LargestParty), children to mind where childcare. Its errors
// are those of a registration for an event.
func CheckParty(in Input, most int, childcare bool) error {
	errs := validation.Errors{}
	checkParty(errs, in, most, childcare)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// subscribe records the consent of a registration whose box to receive the
// bulletins was ticked, in the registration's transaction: the
// confirmation mail is queued if the registration commits.
func (w *batchWriter) subscribe(j *job) error {
	if !j.in.Bulletins {
		return nil
	}
	req := bulletins.Request{Email: j.in.Email, Locale: j.in.Locale}
	if err := req.Check(); err != nil {
		// The registration's own checks passed; a language the bulletins
		// do not have yet gets them in Latvian.
		req.Locale = "lv"
		if req.Check() != nil {
			return nil
		}
	}
	return bulletins.SubscribeTx(w.tx, req, bulletins.SourceRegistration)
}

// existing answers a registration whose address is registered at the event
// already: StatusExists, and the ticket mailed again unless it was within
// ResendInterval. When there is none, j ends with otherwise.
func (w *batchWriter) existing(j *job, otherwise error) error {
	r, err := findLive(w.tx, j.eventID, j.in.Email)
	if err != nil {
		return err
	}
	if r == nil {
		if otherwise == nil {
			return errors.New("registration refused by the database for no known reason")
		}
		j.err = otherwise
		return nil
	}
	j.res = Result{Status: StatusExists, Registration: r}
	if j.in.Standing != "" {
		return nil // the standing place's mail tells of its seats
	}
	if err := w.subscribe(j); err != nil {
		return err
	}
	again := ticketMail(r, MailAgain)
	if recent, err := outbox.QueuedSince(w.tx, r.Id, again.Kind, j.now.Add(-ResendInterval)); err != nil || recent {
		return err
	}
	return w.mail.Add(again)
}

// store inserts j's registration with status, unless the address has a
// live registration at the event (then it stores nothing and says so).
// A clash of the random id or ticket code is tried once more with new
// ones.
func (w *batchWriter) store(j *job, status domain.RegistrationStatus) (bool, error) {
	for range 2 {
		j.rec.Set("status", status)
		j.params["status"] = string(status)
		if w.viaSave {
			if err := w.tx.SaveNoValidate(j.rec); err != nil {
				if r, ferr := findLive(w.tx, j.eventID, j.in.Email); ferr != nil || r != nil {
					return false, ferr
				}
				return false, fmt.Errorf("store registration: %w", err)
			}
			return true, nil
		}
		if err := w.prepare(j.params); err != nil {
			return false, err
		}
		// A copy: dbx keeps the first map bound to a prepared query and
		// copies later ones into it.
		res, err := w.insert.Bind(maps.Clone(j.params)).Execute()
		if err != nil {
			return false, fmt.Errorf("store registration: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err == nil, err
		}
		if r, err := findLive(w.tx, j.eventID, j.in.Email); err != nil || r != nil {
			return false, err
		}
		j.rec.Id = core.GenerateDefaultRandomId()
		j.rec.Set("ticket", NewCode())
		j.params["id"], j.params["ticket"] = j.rec.Id, j.rec.GetString("ticket")
	}
	return false, errors.New("store registration: id or ticket code taken twice")
}

// prepare makes the INSERT statement for the columns of params, once per
// batch.
func (w *batchWriter) prepare(params dbx.Params) error {
	cols := make([]string, 0, len(params))
	for c := range params {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	key := strings.Join(cols, ",")
	if w.insert != nil && key == w.cols {
		return nil
	}
	if w.insert != nil {
		_ = w.insert.Close()
	}
	names, values := make([]string, len(cols)), make([]string, len(cols))
	for i, c := range cols {
		names[i], values[i] = "[["+c+"]]", "{:"+c+"}"
	}
	w.insert = w.tx.DB().NewQuery("INSERT INTO {{registrations}} (" + strings.Join(names, ", ") + ") VALUES (" +
		strings.Join(values, ", ") + ") ON CONFLICT DO NOTHING").Prepare()
	w.cols = key
	return nil
}
