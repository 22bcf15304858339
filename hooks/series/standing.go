package series

import (
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/internal/domain"
	"kopa/internal/ids"
)

// StatusStanding is the answer to a new standing place.
const StatusStanding = "standing"

// StatusNoSeat is a session's answer when it is full and keeps no waiting
// list: the standing place has no seat there.
const StatusNoSeat = "full"

// Seat is a standing place's seat in one session.
type Seat struct {
	Event  string `json:"event"`
	Status string `json:"status"`
}

// Result is what a registration for a series decided.
type Result struct {
	// Status is StatusStanding for a new standing place,
	// registration.StatusExists for an address that holds one already.
	Status   string
	Standing *core.Record
	Sessions []Seat
}

// Join registers in for every upcoming published session of a series, in
// one transaction: a standing place with its own ticket, a seat (or a
// waiting place) in each session decided as a single registration is, and
// one welcome mail. An address with a standing place in the series already
// gets registration.StatusExists and its welcome mail again (at most once
// in registration.ResendInterval). in must have been normalized.
//
// Registrations share SQLite's one writer, so everything that needs none is
// done before the transaction: the place is built and validated, and its
// seats in the sessions published now are prepared (record, ticket code,
// values). The transaction looks again for the sessions, decides the seats
// in one batch (registration.DecideInTx) and queues the mail.
func Join(app core.App, seriesID string, in registration.Input, now time.Time) (Result, error) {
	s, err := findPublic(app, seriesID)
	if err != nil {
		return Result{}, err
	}
	sessions, err := publishedAhead(app, s.Id, now)
	if err != nil {
		return Result{}, err
	}
	// A party bigger than the series takes, or children to mind where it
	// offers no minding, would have no seat anywhere.
	errs := validation.Errors{}
	most, childcare := partyLimits(s, sessions)
	if err := registration.CheckParty(in, most, childcare); err != nil && !errors.As(err, &errs) {
		return Result{}, err
	}
	if in.Email == "" {
		// The standing place's ticket and its news travel by mail.
		errs["email"] = validation.NewError("validation_required", "Cannot be blank.")
	}
	if len(errs) > 0 {
		return Result{}, errs
	}
	col, err := app.FindCachedCollectionByNameOrId(domain.Standing)
	if err != nil {
		return Result{}, err
	}
	st := core.NewRecord(col)
	st.Id = ids.Ordered()
	interpretation := in.Interpretation
	if interpretation == nil {
		interpretation = []string{}
	}
	st.Load(map[string]any{
		"series": s.Id, "name": in.Name, "email": in.Email, "locale": in.Locale, "ticket": registration.NewCode(),
		"status": domain.StandingActive, "photo_consent": in.PhotoConsent, "interpretation": interpretation,
		"party": max(in.Party, 1), "childcare": in.Childcare,
	})
	if err := app.Validate(st); err != nil {
		return Result{}, err
	}
	prepared, err := prepareSeats(app, st, sessions, now)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = app.RunInTransaction(func(tx core.App) error {
		res = Result{}
		old := &core.Record{}
		err := tx.RecordQuery(domain.Standing).AndWhere(dbx.HashExp{"series": s.Id, "email": in.Email}).
			AndWhere(dbx.NewExp(liveWithEmail)).Limit(1).One(old)
		if err == nil {
			res = Result{Status: registration.StatusExists, Standing: old}
			again := welcomeMail(old, MailAgain)
			if recent, err := outbox.QueuedSince(tx, old.Id, again.Kind, now.Add(-registration.ResendInterval)); err != nil || recent {
				return err
			}
			return outbox.Defer(tx, again)
		}
		if err := tx.SaveNoValidate(st); err != nil {
			return fmt.Errorf("store the standing place: %w", err)
		}
		seats, err := takeSeats(tx, st, now, nil, prepared)
		if err != nil {
			return err
		}
		res = Result{Status: StatusStanding, Standing: st, Sessions: seats}
		mail := outbox.NewWriter(tx)
		defer mail.Close()
		return mail.Add(welcomeMail(st, MailWelcome))
	})
	return res, err
}

// liveWithEmail is the condition of the partial unique index on a standing
// place's series and e-mail, spelled out (not bound) so that SQLite uses
// the index: it does only for a query that repeats the condition word for
// word (see registration.LiveWithEmail).
const liveWithEmail = "email != '' AND status != '" + string(domain.StandingEnded) + "'"

// publishedAhead are the published sessions of a series that have not begun, by
// start.
func publishedAhead(app core.App, seriesID string, now time.Time) ([]*core.Record, error) {
	var sessions []*core.Record
	err := app.RecordQuery(domain.Events).
		AndWhere(dbx.HashExp{"series": seriesID, "status": string(domain.EventPublished)}).
		AndWhere(dbx.NewExp("series != '' AND starts_at > {:now}", dbx.Params{"now": domain.DateTime(now).String()})).
		OrderBy("starts_at ASC").All(&sessions)
	return sessions, err
}

// partyLimits are the largest party and whether children are minded, as a
// series and its sessions ahead take them: the series' own, or a session's
// where an organiser allowed more there.
func partyLimits(s *core.Record, sessions []*core.Record) (most int, childcare bool) {
	most, childcare = registration.LargestParty(s), domain.OffersChildcare(s)
	for _, ev := range sessions {
		most, childcare = max(most, registration.LargestParty(ev)), childcare || domain.OffersChildcare(ev)
	}
	return most, childcare
}

// prepareSeats prepares the seats of standing place st in sessions, by
// session.
func prepareSeats(app core.App, st *core.Record, sessions []*core.Record, now time.Time) (map[string]*registration.Prepared, error) {
	in := inputOf(st)
	out := make(map[string]*registration.Prepared, len(sessions))
	for _, ev := range sessions {
		p, err := registration.Prepare(app, ev.Id, in, now)
		if err != nil {
			return nil, err
		}
		out[ev.Id] = p
	}
	return out, nil
}

// TakeSeats gives the standing place st a seat (or a waiting place) in
// every upcoming published session of its series where it holds none, each
// decided in tx as a single registration is, and returns its seat in each
// upcoming published session. A session whose seat was skipped is not
// taken again; one freed when the place paused is, on its resume (an ended
// place takes no seats). A person registered
// for a session on their own already keeps that registration, now linked
// to the standing place.
func TakeSeats(tx core.App, st *core.Record, now time.Time) ([]Seat, error) {
	if !tx.IsTransactional() {
		var seats []Seat
		err := tx.RunInTransaction(func(tx core.App) error {
			var err error
			seats, err = TakeSeats(tx, st, now)
			return err
		})
		return seats, err
	}
	held, err := seatsOf(tx, st.Id)
	if err != nil {
		return nil, err
	}
	return takeSeats(tx, st, now, held, nil)
}

// takeSeats is TakeSeats for a place holding the seats held, with the
// seats prepared before the transaction (the sessions published since are
// prepared here). All of them are decided in one batch.
func takeSeats(tx core.App, st *core.Record, now time.Time, held map[string]*core.Record, prepared map[string]*registration.Prepared) ([]Seat, error) {
	// Only the ids: the seats' decisions read what they need of each
	// session, all at once.
	var sessions []string
	err := tx.DB().Select("id").From(domain.Events).
		Where(dbx.HashExp{"series": st.GetString("series"), "status": string(domain.EventPublished)}).
		AndWhere(dbx.NewExp("series != '' AND starts_at > {:now}", dbx.Params{"now": domain.DateTime(now).String()})).
		OrderBy("starts_at ASC").Column(&sessions)
	if err != nil {
		return nil, err
	}
	seats := make([]Seat, len(sessions))
	var todo []*registration.Prepared
	at := map[*registration.Prepared]int{}
	in := inputOf(st)
	for i, ev := range sessions {
		seats[i].Event = ev
		if r, ok := held[ev]; ok && !freedByPause(r) {
			seats[i].Status = r.GetString("status")
			continue
		}
		p := prepared[ev]
		if p == nil {
			// Published since the seats were prepared.
			if p, err = registration.Prepare(tx, ev, in, now); err != nil {
				return nil, err
			}
		}
		at[p] = i
		todo = append(todo, p)
	}
	if err := registration.DecideInTx(tx, todo); err != nil {
		return nil, err
	}
	for _, p := range todo {
		status, err := seated(tx, st, p)
		if err != nil {
			return nil, err
		}
		seats[at[p]].Status = status
	}
	return seats, nil
}

// freedByPause reports whether seat r was freed when its standing place
// paused (package missed): cancelled without being skipped, in a place
// that can still take seats. Such a seat is taken again (a new
// registration, behind those already waiting) when the place resumes;
// a skipped one stays given up.
func freedByPause(r *core.Record) bool {
	return domain.RegistrationStatusOf(r) == domain.RegistrationCancelled && !domain.Skipped(r)
}

// seated is st's seat in one session, as registration.DecideInTx decided
// it in tx: its status, StatusNoSeat, or "" where the session takes no
// registrations.
func seated(tx core.App, st *core.Record, p *registration.Prepared) (string, error) {
	res, err := p.Result()
	var verrs validation.Errors
	switch {
	case errors.Is(err, registration.ErrFull), errors.As(err, &verrs):
		// Full without a waiting list, or a session that takes no party
		// this big (or no children to mind): no seat there.
		return StatusNoSeat, nil
	case errors.Is(err, registration.ErrClosed), errors.Is(err, registration.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("seat in session %s: %w", p.Event(), err)
	}
	if res.Status == registration.StatusExists {
		// Registered for this session on their own: that registration is
		// now the standing place's seat.
		r := res.Registration
		if domain.StandingOf(r) == "" {
			r.Set("standing", st.Id)
			if err := tx.SaveNoValidate(r); err != nil {
				return "", err
			}
		}
		return r.GetString("status"), nil
	}
	return res.Status, nil
}

func inputOf(st *core.Record) registration.Input {
	return registration.Input{
		Name: st.GetString("name"), Email: st.GetString("email"), Locale: st.GetString("locale"),
		PhotoConsent: st.GetBool("photo_consent"), Interpretation: st.GetStringSlice("interpretation"), Standing: st.Id,
		Party: domain.Party(st), Childcare: st.GetInt("childcare"),
	}
}

// seatOnPublish gives every active standing place of a session's series a
// seat when the session is published (created published, or published
// later). Places that hold a seat there, or gave it up, are left as they
// are.
func seatOnPublish(e *core.RecordEvent) error {
	ev := e.Record
	if err := e.Next(); err != nil {
		return err
	}
	if domain.SeriesOf(ev) == "" || domain.EventStatusOf(ev) != domain.EventPublished {
		return nil
	}
	now := time.Now()
	if !now.Before(ev.GetDateTime("starts_at").Time()) {
		return nil
	}
	if orig := ev.Original(); orig != nil && !ev.IsNew() && domain.EventStatusOf(orig) == domain.EventPublished &&
		domain.SeriesOf(orig) == domain.SeriesOf(ev) {
		return nil // published before: its seats were given then
	}
	if err := SeatAll(e.App, ev, now); err != nil {
		e.App.Logger().Error("seats of standing places in a new session", "event", ev.Id, "error", err)
	}
	return nil
}

// SeatAll gives every active standing place of ev's series that has no
// registration in ev a seat there, in one transaction.
func SeatAll(app core.App, ev *core.Record, now time.Time) error {
	return app.RunInTransaction(func(tx core.App) error {
		var places []*core.Record
		err := tx.RecordQuery(domain.Standing).
			AndWhere(dbx.HashExp{"series": domain.SeriesOf(ev), "status": string(domain.StandingActive)}).
			AndWhere(dbx.NewExp("NOT EXISTS (SELECT 1 FROM registrations r WHERE r.standing = standing.id AND r.event = {:ev})",
				dbx.Params{"ev": ev.Id})).
			OrderBy("rowid ASC").All(&places)
		if err != nil {
			return err
		}
		todo := make([]*registration.Prepared, len(places))
		for i, st := range places {
			if todo[i], err = registration.Prepare(tx, ev.Id, inputOf(st), now); err != nil {
				return err
			}
		}
		if err := registration.DecideInTx(tx, todo); err != nil {
			return err
		}
		for i, st := range places {
			if _, err := seated(tx, st, todo[i]); err != nil {
				return err
			}
		}
		if len(places) > 0 {
			tx.Logger().Info("standing places seated in a new session", "event", ev.Id, "places", len(places))
		}
		return nil
	})
}

// Skip gives up the seat of the standing place with that code in one
// session: the seat is cancelled, marked skipped, and the first on the
// session's waiting list is confirmed at once. Skipping twice changes
// nothing. A session of another series is ErrNotInSeries, one that has
// begun ErrPast; nothing changes then.
func Skip(app core.App, code, eventID string, now time.Time) (*core.Record, error) {
	var reg *core.Record
	err := app.RunInTransaction(func(tx core.App) error {
		st, err := FindStanding(tx, code)
		if err != nil {
			return ErrNotFound
		}
		ev, err := tx.FindRecordById(domain.Events, eventID)
		if err != nil || domain.SeriesOf(ev) != st.GetString("series") {
			return ErrNotInSeries
		}
		if !now.Before(ev.GetDateTime("starts_at").Time()) {
			return ErrPast
		}
		r := &core.Record{}
		err = tx.RecordQuery(domain.Registrations).AndWhere(dbx.HashExp{"standing": st.Id, "event": ev.Id}).
			AndWhere(dbx.NewExp("standing != '' AND status != {:c}", dbx.Params{"c": string(domain.RegistrationCancelled)})).
			Limit(1).One(r)
		if err != nil {
			return nil // no live seat there: skipped already
		}
		reg = r
		if _, _, err := registration.Cancel(tx, r.GetString("ticket"), now); err != nil {
			return err
		}
		r, err = tx.FindRecordById(domain.Registrations, r.Id)
		if err != nil {
			return err
		}
		r.Set("skipped_at", domain.DateTime(now))
		if err := tx.SaveNoValidate(r); err != nil {
			return err
		}
		reg = r
		return nil
	})
	return reg, err
}

// End ends the standing place with that code: it takes no more seats, and
// every seat it holds in a session still ahead is freed (each session's
// waiting list moves at once). Ending twice changes nothing.
func End(app core.App, code string, now time.Time) (*core.Record, error) {
	var st *core.Record
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		if st, err = FindStanding(tx, code); err != nil {
			return ErrNotFound
		}
		if domain.StandingStatusOf(st) == domain.StandingEnded {
			return nil
		}
		st.Set("status", domain.StandingEnded)
		st.Set("ended_at", domain.DateTime(now))
		if err := tx.Save(st); err != nil {
			return err
		}
		var regs []*core.Record
		err = tx.RecordQuery(domain.Registrations).Select("registrations.*").
			InnerJoin(domain.Events+" ev", dbx.NewExp("ev.id = registrations.event")).
			AndWhere(dbx.HashExp{"registrations.standing": st.Id}).
			AndWhere(dbx.NewExp("registrations.status != {:c} AND ev.starts_at > {:now}",
				dbx.Params{"c": string(domain.RegistrationCancelled), "now": domain.DateTime(now).String()})).
			All(&regs)
		if err != nil {
			return err
		}
		for _, r := range regs {
			if _, _, err := registration.Cancel(tx, r.GetString("ticket"), now); err != nil {
				return err
			}
		}
		return nil
	})
	return st, err
}
