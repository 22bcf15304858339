// Package checkin is the door: checking people in by their ticket's QR
// code or by name, walk-ins, and the counts the door staff see. Who may work
// the door is decided by package access (organisers; volunteers during an
// accepted door shift of the event).
//
// The HTTP surface (all JSON, all with the door's token in Authorization):
//
//	POST /api/checkin {"event", "code"} — code is what the QR holds (the
//	    ticket URL, with or without a trailing slash, /qr.png or a query) or
//	    the bare code. Instead of "code", "registration" (an id found by
//	    search) checks a person in by hand (method manual). Optional "at"
//	    (the scan's UTC time, for scans sent after being made offline; not
//	    in the future) and "method" (qr|manual). The check-in's time, "at"
//	    or now, must lie within a day of the event (ScanWindow): the same
//	    rule for a scan sent at once and one sent later, else 400.
//	    Optional "arrived": how many of the ticket's party came in (1 to its
//	    party; without it, the whole party). Sent again for a ticket
//	    checked in already, it corrects the count ("only two of us came").
//	    200 {"result", "name", "checked_in_at", "stats", "photo_consent",
//	    "registration", "party", "arrived", "interpretation", "childcare"};
//	    400 (arrived 0 or more than the party: nothing stored), 401, 403,
//	    404 (unknown event). At a cancelled event nobody is checked in:
//	    result cancelled, with "event_cancelled": true.
//	    A volunteer's personal code ("V-…", see domain.IsVolunteerCode) in
//	    "code" records their arrival on their accepted shift of the event
//	    (CheckInVolunteer): 200 {"result": "volunteer", "name", "shift",
//	    "arrived_at", "already"}; 404 volunteer_unknown, 403
//	    volunteer_not_approved, 409 volunteer_no_shift.
//	GET  /api/events/{id}/stats — the event's counts (domain.Stats).
//	GET  /api/events/{id}/search?q= — up to 20 registrations whose name
//	    or e-mail contains q (for door volunteers: whose short name does):
//	    id, name, e-mail (masked for volunteers), status, check-in time,
//	    photo consent. No ticket codes.
//	POST /api/events/{id}/walkin {"name", "email"?, "override"?} — registers
//	    and checks in at once, or checks in the registration the address
//	    already has; 409 "full" unless an organiser overrides, 409
//	    "event_cancelled" at a cancelled event.
//	GET  /api/events/{id}/tickets — the list a door device keeps for offline
//	    use (see OfflineTicket), and for how many hours after the event's
//	    end it may keep it ("keep_hours", ListKeep).
//
// Names: organisers are told full names; door volunteers the short name
// ("Amina H.", access.DoorName) in every answer — a check-in, a search, a
// walk-in (also one that found an existing registration by its address)
// and the live socket. The offline list holds short names only, whoever
// takes it: a phone can be lost.
package checkin

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/attendance"
	"kopa/hooks/registration"
	"kopa/internal/domain"
	"kopa/internal/fastinsert"
	"kopa/internal/ids"
)

// Results of a check-in.
const (
	OK         = "ok"          // checked in now
	Already    = "already"     // checked in before; CheckedInAt is the first time
	WrongEvent = "wrong_event" // the ticket is for another event
	Cancelled  = "cancelled"
	Waitlisted = "waitlisted"
	Unknown    = "unknown"
)

// ErrFull refuses a walk-in when every seat is taken.
var ErrFull = errors.New("the event is full")

// ErrEventCancelled refuses a walk-in at a cancelled event.
var ErrEventCancelled = errors.New("the event was cancelled")

// ErrNoEvent is returned for an unknown event.
var ErrNoEvent = errors.New("no such event")

// ErrMoreThanParty refuses a check-in of more people than the ticket's
// party holds; nothing is stored.
var ErrMoreThanParty = errors.New("more people arrived than the party holds")

// Result is what the door is told.
type Result struct {
	Result       string       `json:"result"`
	Name         string       `json:"name"`
	CheckedInAt  string       `json:"checked_in_at"`
	Stats        domain.Stats `json:"stats"`
	PhotoConsent bool         `json:"photo_consent"`
	Registration string       `json:"registration,omitempty"`
	// EventCancelled comes with the result cancelled when it is the event,
	// not the ticket, that was cancelled: nobody is checked in then.
	EventCancelled bool `json:"event_cancelled,omitempty"`
	// Party is how many people the ticket holds (0 for no ticket of this
	// event), Arrived how many of them came in (0 until checked in).
	Party   int `json:"party"`
	Arrived int `json:"arrived"`
	// Interpretation lists the languages the party asked interpretation
	// into, Childcare how many of its children need minding: the door
	// sends them to the interpreter and the child minders.
	Interpretation []string `json:"interpretation"`
	Childcare      int      `json:"childcare"`
}

// ParseCode takes what a scanner read (the ticket's full URL from its QR
// code, or the bare code typed by hand) and returns the ticket code.
func ParseCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2048 {
		return "", false
	}
	if registration.ValidCode(s) {
		return s, true
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	p := strings.TrimSuffix(u.Path, "/")
	p = strings.TrimSuffix(p, "/qr.png")
	i := strings.LastIndex(p, "/t/")
	if i < 0 {
		return "", false
	}
	code := p[i+3:]
	if !registration.ValidCode(code) {
		return "", false
	}
	return code, true
}

// CodeHash is the hex SHA-256 of a ticket code: what a door device keeps
// instead of the code to recognise a ticket offline.
func CodeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// CheckIn checks the holder of a ticket code in at an event. The decision is
// the database's: the check-in row is inserted, and the unique index on its
// registration turns a second scan (from this device or another, at the
// same moment or later) into Already with the first time. at is when the
// ticket was scanned (a scan made offline is sent later with its own time);
// the earliest scan wins.
func CheckIn(app core.App, eventID, code string, method domain.CheckinMethod, at time.Time) (Result, error) {
	return CheckInArrived(app, eventID, code, method, at, 0)
}

// CheckInArrived is CheckIn for arrived people of the ticket's party (1 to
// its party; 0 for the whole party). For a ticket checked in already, an
// arrived above 0 corrects the count kept, and 0 leaves it as it is. More
// than the party is ErrMoreThanParty, and nothing is stored.
func CheckInArrived(app core.App, eventID, code string, method domain.CheckinMethod, at time.Time, arrived int) (Result, error) {
	if !registration.ValidCode(code) {
		return withStats(app, eventID, unknown())
	}
	h, err := findHolder(app, "ticket", code)
	if err != nil {
		// A standing place's ticket (package series) checks in its seat
		// at this session of its series.
		if h, err = findStandingHolder(app, eventID, code); err != nil {
			return withStats(app, eventID, unknown())
		}
	}
	return decide(app, eventID, h, method, at, arrived)
}

// findStandingHolder reads the seat at eventID of the standing place with
// that ticket code: its live registration there, else the seat it gave up.
// A standing place without a seat at the event is at the wrong event.
func findStandingHolder(app core.App, eventID, code string) (holder, error) {
	var h holder
	err := app.DB().NewQuery(`SELECT r.id, r.event, r.name, r.status, r.photo_consent, r.party, r.childcare, r.interpretation FROM standing s
		JOIN registrations r ON r.standing = s.id AND r.event = {:e}
		WHERE s.ticket = {:code} ORDER BY r.status = {:cancelled}, r.rowid DESC LIMIT 1`).
		Bind(dbx.Params{"e": eventID, "code": code, "cancelled": domain.RegistrationCancelled}).One(&h)
	if errors.Is(err, sql.ErrNoRows) {
		var id string
		if app.DB().NewQuery("SELECT id FROM standing WHERE ticket = {:code}").Bind(dbx.Params{"code": code}).Row(&id) == nil {
			return holder{}, nil // no seat at this event: decide answers wrong_event
		}
	}
	return h, err
}

// CheckInRegistration checks a registration in by its id (the door found
// the person by name), with the whole party.
func CheckInRegistration(app core.App, eventID, registrationID string, method domain.CheckinMethod, at time.Time) (Result, error) {
	return CheckInRegistrationArrived(app, eventID, registrationID, method, at, 0)
}

// CheckInRegistrationArrived is CheckInRegistration for arrived people of
// the party, as CheckInArrived.
func CheckInRegistrationArrived(app core.App, eventID, registrationID string, method domain.CheckinMethod, at time.Time, arrived int) (Result, error) {
	h, err := findHolder(app, "id", registrationID)
	if err != nil {
		return withStats(app, eventID, unknown())
	}
	return decide(app, eventID, h, method, at, arrived)
}

func unknown() Result { return Result{Result: Unknown, Interpretation: []string{}} }

// holder is what the door needs of a registration.
type holder struct {
	ID           string                    `db:"id"`
	Event        string                    `db:"event"`
	Name         string                    `db:"name"`
	Status       domain.RegistrationStatus `db:"status"`
	PhotoConsent bool                      `db:"photo_consent"`
	Party        int                       `db:"party"`
	Childcare    int                       `db:"childcare"`
	// Interpretation is the stored JSON list, decoded by languages.
	Interpretation string `db:"interpretation"`
}

func holderOf(r *core.Record) holder {
	return holder{ID: r.Id, Event: r.GetString("event"), Name: r.GetString("name"), Status: domain.RegistrationStatusOf(r), PhotoConsent: r.GetBool("photo_consent"),
		Party: domain.Party(r), Childcare: r.GetInt("childcare"), Interpretation: r.GetString("interpretation")}
}

// party is how many people the ticket holds (a registration written
// without a party holds one, as domain.Party reads it).
func (h holder) party() int { return max(h.Party, 1) }

// languages decodes the interpretation wish; most tickets have none, and
// the door's hot path does not decode an empty list.
func (h holder) languages() []string {
	langs := []string{}
	if h.Interpretation == "" || h.Interpretation == "[]" {
		return langs
	}
	if err := json.Unmarshal([]byte(h.Interpretation), &langs); err != nil {
		return []string{}
	}
	return langs
}

// findHolder reads a registration by its ticket code or id. It is the
// door's hot path: one indexed row into a plain struct, without building
// a full record.
func findHolder(app core.App, column, value string) (holder, error) {
	var h holder
	err := app.DB().NewQuery("SELECT id, event, name, status, photo_consent, party, childcare, interpretation FROM registrations WHERE " + column + " = {:v} LIMIT 1").
		Bind(dbx.Params{"v": value}).One(&h)
	return h, err
}

func decide(app core.App, eventID string, r holder, method domain.CheckinMethod, at time.Time, arrived int) (Result, error) {
	res := Result{Name: r.Name, PhotoConsent: r.PhotoConsent, Registration: r.ID,
		Party: r.party(), Interpretation: r.languages(), Childcare: r.Childcare}
	switch {
	case r.Event != eventID:
		res = unknown()
		res.Result = WrongEvent
	case r.Status == domain.RegistrationCancelled:
		res.Result = Cancelled
	case r.Status == domain.RegistrationWaitlisted:
		res.Result = Waitlisted
	case eventCancelled(app, eventID):
		res.Result, res.EventCancelled = Cancelled, true
	case arrived > r.party():
		return res, ErrMoreThanParty
	default:
		first, kept, err := insert(app, eventID, r.ID, method, at, arrived, r.party())
		if err != nil {
			return res, err
		}
		res.Arrived = kept
		if first.IsZero() {
			res.Result = OK
			res.CheckedInAt = domain.DateTime(at).String()
		} else {
			res.Result = Already
			res.CheckedInAt = first.String()
		}
	}
	return withStats(app, eventID, res)
}

// eventCancelled reports whether the event was cancelled, from the counts
// the answer carries anyway (cached between changes).
func eventCancelled(app core.App, eventID string) bool {
	st, err := attendance.ForEvent(app, eventID)
	return err == nil && st.EventCancelled
}

// insert stores the check-in of arrived people of a party (0: all of it);
// when the registration was checked in already it stores nothing and
// returns that first time (keeping the earliest of the two, for scans
// synced after being made offline), and corrects the count kept when
// arrived was given. It returns the count kept too.
//
// The unique index on the check-in's registration decides. The first try is
// a single prepared INSERT … ON CONFLICT DO NOTHING (see insertPrepared),
// atomic by itself, as PocketBase's own record create is: wrapping it in
// BEGIN…COMMIT only held the database's one writer longer (in
// BenchmarkCheckin, 10% fewer check-ins a second and a p99 above 30 ms).
// Inside a caller's transaction (a walk-in) it is a record save instead.
// Only when the index refuses it (or the write failed for another reason)
// does a transaction read the first check-in and, for an earlier scan,
// move its time: that read and that update must agree.
func insert(app core.App, eventID, regID string, method domain.CheckinMethod, at time.Time, arrived, party int) (types.DateTime, int, error) {
	var first types.DateTime
	count := arrived
	if count < 1 {
		count = party
	}
	fields := map[string]any{"registration": regID, "event": eventID, "at": domain.DateTime(at), "method": method, "arrived": count}
	if col, err := app.FindCachedCollectionByNameOrId(domain.Checkins); err == nil {
		row := core.NewRecord(col)
		row.Id = ids.Ordered()
		row.Load(fields)
		if app.IsTransactional() {
			if app.SaveNoValidate(row) == nil {
				return first, count, nil
			}
		} else if stored, err := insertPrepared(app, row); err == nil && stored {
			fastinsert.AnnounceCreate(app, row)
			return first, count, nil
		}
	}
	err := app.RunInTransaction(func(tx core.App) error {
		existing := &core.Record{}
		err := tx.RecordQuery(domain.Checkins).AndWhere(dbx.HashExp{"registration": regID}).Limit(1).One(existing)
		if errors.Is(err, sql.ErrNoRows) {
			// The first try failed for some other reason: once more,
			// now holding the writer.
			col, err := tx.FindCachedCollectionByNameOrId(domain.Checkins)
			if err != nil {
				return err
			}
			row := core.NewRecord(col)
			row.Load(fields)
			if err := tx.SaveNoValidate(row); err != nil {
				return fmt.Errorf("check in: %w", err)
			}
			return nil
		}
		if err != nil {
			return err
		}
		first = existing.GetDateTime("at")
		if at.Before(first.Time()) { // an earlier scan, synced late, wins
			first = domain.DateTime(at)
			_, err := tx.DB().NewQuery("UPDATE checkins SET at = {:at} WHERE id = {:id}").
				Bind(dbx.Params{"at": first.String(), "id": existing.Id}).Execute()
			if err != nil {
				return err
			}
			existing.SetRaw("at", first)
		}
		count = domain.Arrived(existing)
		// The door corrects how many came (a record save: the counts
		// and the live dashboards hear of it).
		if arrived > 0 && arrived != count {
			existing.Set("arrived", arrived)
			if err := tx.SaveNoValidate(existing); err != nil {
				return fmt.Errorf("correct arrived: %w", err)
			}
			count = arrived
		}
		return nil
	})
	return first, count, err
}

// insertSQL stores a check-in unless its registration has one; the unique
// index decides. Its columns are the fields the fast insert fills, as
// package fastinsert lists them.
var insertSQL = "INSERT INTO checkins (" + strings.Join(fastinsert.Checkins.Fills, ", ") + ") VALUES (" +
	strings.TrimSuffix(strings.Repeat("?, ", len(fastinsert.Checkins.Fills)), ", ") + ") ON CONFLICT DO NOTHING"

const stmtKey = "kopa.checkin.insert"

// insertPrepared is the door's first try: one prepared INSERT on the
// database's writer, without the model-save machinery around it (the
// handler built and checked every value), so a busy door spends its time
// in SQLite rather than in parsing and hooks. Package fastinsert says what
// that skips and what stands in for it. It reports whether the row was
// stored (false: the registration was checked in already).
func insertPrepared(app core.App, row *core.Record) (bool, error) {
	stmt, err := preparedInsert(app)
	if err != nil {
		return false, err
	}
	now := types.NowDateTime()
	row.SetRaw("created", now)
	row.SetRaw("updated", now)
	values := make([]any, 0, len(fastinsert.Checkins.Fills))
	for _, name := range fastinsert.Checkins.Fills {
		v := row.GetRaw(name)
		if d, ok := v.(types.DateTime); ok {
			v = d.String()
		}
		values = append(values, v)
	}
	res, err := stmt.Exec(values...)
	if err != nil {
		// The database was reopened under the statement (a restore or a
		// reset of the app): prepare again next time.
		if strings.Contains(err.Error(), "is closed") {
			app.Store().Remove(stmtKey)
		}
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	row.MarkAsNotNew()
	return true, nil
}

// preparedInsert prepares insertSQL once per app, on the writer's
// connection. It is prepared outside the app's store lock: waiting for
// the writer while holding that lock could stall everything that reads
// the collection cache.
func preparedInsert(app core.App) (*sql.Stmt, error) {
	if st, ok := app.Store().Get(stmtKey).(*sql.Stmt); ok {
		return st, nil
	}
	db, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return nil, errors.New("check-in: the writer is not a *dbx.DB")
	}
	st, err := db.DB().Prepare(insertSQL)
	if err != nil {
		return nil, err
	}
	// Two first check-ins may prepare at once; one statement is kept.
	kept := app.Store().GetOrSet(stmtKey, func() any { return st }).(*sql.Stmt)
	if kept != st {
		st.Close()
	}
	return kept, nil
}

func withStats(app core.App, eventID string, res Result) (Result, error) {
	st, err := attendance.ForEvent(app, eventID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return res, ErrNoEvent
		}
		return res, err
	}
	res.Stats = st
	return res, nil
}

// WalkIn registers someone who came without registering and checks them in,
// in one transaction. A full event refuses unless override is set (an
// organiser decides the hall has room).
func WalkIn(app core.App, eventID, name, email string, override bool, now time.Time) (Result, error) {
	var res Result
	err := app.RunInTransaction(func(tx core.App) error {
		ev, err := tx.FindRecordById(domain.Events, eventID)
		if err != nil {
			return ErrNoEvent
		}
		if domain.EventStatusOf(ev) == domain.EventCancelled {
			return ErrEventCancelled
		}
		// Someone who registered but lost their ticket is checked in on
		// that registration, not registered twice.
		if email != "" {
			existing := &core.Record{}
			err := tx.RecordQuery(domain.Registrations).
				AndWhere(dbx.HashExp{"event": eventID, "email": email}).
				AndWhere(dbx.NewExp(registration.LiveWithEmail)).Limit(1).One(existing)
			if err == nil {
				res, err = decide(tx, eventID, holderOf(existing), domain.CheckinManual, now, 0)
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		// Seats are people: a confirmed party holds all of its seats.
		if c := ev.GetInt("capacity"); c > 0 && !override {
			var seats struct {
				N int `db:"n"`
			}
			err := tx.DB().NewQuery("SELECT COALESCE(SUM(MAX(party, 1)), 0) AS n FROM registrations WHERE event = {:e} AND status = {:s}").
				Bind(dbx.Params{"e": eventID, "s": domain.RegistrationConfirmed}).One(&seats)
			if err != nil {
				return err
			}
			if seats.N >= c {
				return ErrFull
			}
		}
		col, err := tx.FindCachedCollectionByNameOrId(domain.Registrations)
		if err != nil {
			return err
		}
		r := core.NewRecord(col)
		r.Load(map[string]any{"event": eventID, "name": name, "email": email, "status": domain.RegistrationConfirmed, "locale": "lv", "party": 1})
		if err := tx.Save(r); err != nil {
			return err
		}
		cc, err := tx.FindCachedCollectionByNameOrId(domain.Checkins)
		if err != nil {
			return err
		}
		row := core.NewRecord(cc)
		row.Load(map[string]any{"registration": r.Id, "event": eventID, "at": domain.DateTime(now), "method": domain.CheckinWalkIn, "arrived": 1})
		if err := tx.Save(row); err != nil {
			return err
		}
		res = Result{Result: OK, Name: name, CheckedInAt: domain.DateTime(now).String(), Registration: r.Id, Party: 1, Arrived: 1, Interpretation: []string{}}
		return nil
	})
	if err != nil {
		return res, err
	}
	return withStats(app, eventID, res)
}
