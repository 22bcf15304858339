package notices

import (
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/outbox"
	"kopa/internal/domain"
	"kopa/internal/ids"
)

// Templates of the change notices. A row's ref is the event_changes
// record of the change; its recipient says whose notice it is.
const (
	MailChanged          = "event_changed"           // to a registration's address
	MailChangedVolunteer = "event_changed_volunteer" // to a volunteer's address
)

// Delay is how long a change notice waits before it is sent. An organiser
// who moves an event and then fixes the venue, or a typo in a title, does
// it within a minute or two: each edit queues its notices Delay later, and
// the notices of the edit before find the newer ones and are not sent, so
// people get one mail that says it all.
const Delay = 2 * time.Minute

// announced are the event's fields whose change its people are told of.
var announced = []string{"starts_at", "ends_at", "venue", "title_lv", "title_en", "title_ru", "title_uk", "title_ar", "title_fa"}

// snapshot is what an event says in the announced fields, as stored.
type snapshot map[string]string

func snapshotOf(ev *core.Record) snapshot {
	s := make(snapshot, len(announced))
	for _, f := range announced {
		s[f] = ev.GetString(f)
	}
	return s
}

// storedEvent is an event as the database holds it before a save.
type storedEvent struct {
	status   domain.EventStatus
	sequence int
	values   snapshot
}

func readStored(tx core.App, id string) (storedEvent, error) {
	row := dbx.NullStringMap{}
	err := tx.DB().Select(append([]string{"status", "sequence"}, announced...)...).From(domain.Events).
		Where(dbx.HashExp{"id": id}).One(row)
	if err != nil {
		return storedEvent{}, fmt.Errorf("event %s as stored: %w", id, err)
	}
	st := storedEvent{status: domain.EventStatus(row["status"].String), values: snapshot{}}
	fmt.Sscan(row["sequence"].String, &st.sequence)
	for _, f := range announced {
		st.values[f] = row[f].String
	}
	return st, nil
}

// announceChange runs when an event is saved. It compares the event with
// what is stored, in the save's transaction (not the record's Original,
// which a record saved twice in memory keeps stale):
//
//   - a change of time, end, venue or a title, and a cancellation or its
//     undoing, raise the event's sequence, the version of its calendar
//     entries (the record API cannot set it: it is always what is stored,
//     or one more);
//   - a change of time, end, venue or a title of a published event that
//     has not ended is recorded in event_changes, and each of its
//     registered people and volunteers gets a notice, queued with the
//     change, so it is mailed only if the change commits.
//
// Any other edit sends nothing.
func announceChange(e *core.RecordEvent) error {
	original := e.App
	defer func() { e.App = original }()
	return e.App.RunInTransaction(func(tx core.App) error {
		was, err := readStored(tx, e.Record.Id)
		if err != nil {
			return err
		}
		changed := !maps.Equal(was.values, snapshotOf(e.Record))
		status := domain.EventStatusOf(e.Record)
		seq := was.sequence
		if changed || (was.status == domain.EventCancelled) != (status == domain.EventCancelled) {
			seq++
		}
		e.Record.Set("sequence", seq)
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		if !changed || was.status != domain.EventPublished || status != domain.EventPublished {
			return nil
		}
		now := time.Now()
		wasOver := !parseTime(was.values["ends_at"]).After(now)
		if wasOver && !e.Record.GetDateTime("ends_at").Time().After(now) {
			return nil // tidying up an event that is over
		}
		return queueChange(tx, e.Record, was.values, now)
	})
}

// queueChange records a change of ev and queues a notice for each of its
// people: every confirmed or waitlisted registration with an address, and
// every volunteer invited to or accepted on one of its shifts. The rows are
// written with one prepared statement each (an event of a thousand people
// is queued in a few milliseconds); the mails are written when they are
// sent.
func queueChange(tx core.App, ev *core.Record, before snapshot, now time.Time) error {
	var regs, vols []string
	err := tx.DB().Select("email").From(domain.Registrations).
		Where(dbx.HashExp{"event": ev.Id}).
		AndWhere(dbx.In("status", domain.RegistrationConfirmed, domain.RegistrationWaitlisted)).
		AndWhere(dbx.NewExp("email != ''")).
		Column(&regs)
	if err != nil {
		return fmt.Errorf("people of changed event %s: %w", ev.Id, err)
	}
	if vols, err = volunteersOf(tx, ev.Id); err != nil {
		return err
	}
	if len(regs)+len(vols) == 0 {
		return nil
	}

	c, err := newChange(tx, ev, before)
	if err != nil {
		return err
	}
	w := outbox.NewWriter(tx)
	defer w.Close()
	due := now.Add(Delay)
	for _, to := range regs {
		if err := w.Add(outbox.Deferred{To: to, Template: MailChanged, Ref: c.Id, NotBefore: due}); err != nil {
			return err
		}
	}
	for _, to := range vols {
		if err := w.Add(outbox.Deferred{To: to, Template: MailChangedVolunteer, Ref: c.Id, NotBefore: due}); err != nil {
			return err
		}
	}
	tx.Logger().Info("event changed, people told", "event", ev.Id, "registrations", len(regs), "volunteers", len(vols))
	return nil
}

// volunteersOf lists the addresses of the volunteers invited to or
// accepted on a shift of the event, each once.
func volunteersOf(app core.App, eventID string) ([]string, error) {
	var to []string
	err := app.DB().Select("v.email").Distinct(true).From(domain.Assignments+" a").
		InnerJoin(domain.Shifts+" s", dbx.NewExp("s.id = a.shift")).
		InnerJoin(domain.Volunteers+" v", dbx.NewExp("v.id = a.volunteer")).
		Where(dbx.HashExp{"s.event": eventID}).
		AndWhere(dbx.In("a.status", domain.AssignmentInvited, domain.AssignmentAccepted)).
		AndWhere(dbx.NewExp("v.email != ''")).
		Column(&to)
	if err != nil {
		return nil, fmt.Errorf("volunteers of event %s: %w", eventID, err)
	}
	return to, nil
}

// newChange stores the change of ev whose former values are before. It
// continues the run of the event's last change while that change's
// notices still wait (several quick edits), and starts a run otherwise.
func newChange(tx core.App, ev *core.Record, before snapshot) (*core.Record, error) {
	col, err := tx.FindCachedCollectionByNameOrId(domain.EventChanges)
	if err != nil {
		return nil, err
	}
	c := core.NewRecord(col)
	c.Id = ids.Ordered()
	chain := c.Id
	last := &core.Record{}
	err = tx.RecordQuery(col).AndWhere(dbx.HashExp{"event": ev.Id}).OrderBy("rowid DESC").Limit(1).One(last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("last change of event %s: %w", ev.Id, err)
	default:
		for _, template := range []string{MailChanged, MailChangedVolunteer} {
			waiting, err := outbox.Pending(tx, template, last.Id)
			if err != nil {
				return nil, err
			}
			if len(waiting) > 0 {
				chain = last.GetString("chain")
				break
			}
		}
	}
	c.Set("event", ev.Id)
	c.Set("chain", chain)
	c.Set("before", before)
	c.Set("sequence", ev.GetInt("sequence"))
	if err := tx.Save(c); err != nil {
		return nil, fmt.Errorf("record change of event %s: %w", ev.Id, err)
	}
	return c, nil
}

// A pending notice is the news of its person as it is when it is sent:
// what they knew (the values before the first change of the run they have
// not heard of) against the event now. newsFor finds it, or ErrObsolete
// when there is nothing left to tell: the event is no longer published or
// is over, a newer change's notice (queued for everyone then) will say it
// all, or the event is back to what the person knew. joined is when the
// person joined the event (registered, was invited): they knew the event
// as it was then.
type news struct {
	ev     *core.Record
	before snapshot
}

func newsFor(app core.App, ref string, joined types.DateTime) (news, error) {
	c, err := app.FindRecordById(domain.EventChanges, ref)
	if err != nil {
		return news{}, gone(err)
	}
	ev, err := app.FindRecordById(domain.Events, c.GetString("event"))
	if err != nil {
		return news{}, gone(err)
	}
	if domain.EventStatusOf(ev) != domain.EventPublished || !ev.GetDateTime("ends_at").Time().After(time.Now()) {
		return news{}, outbox.ErrObsolete
	}
	var newer int
	err = app.DB().NewQuery(`SELECT count(*) FROM event_changes WHERE event = {:e}
		AND rowid > (SELECT rowid FROM event_changes WHERE id = {:id})`).
		Bind(dbx.Params{"e": ev.Id, "id": c.Id}).Row(&newer)
	if err != nil {
		return news{}, fmt.Errorf("newer changes of event %s: %w", ev.Id, err)
	}
	if newer > 0 {
		return news{}, outbox.ErrObsolete
	}
	first := &core.Record{}
	err = app.RecordQuery(domain.EventChanges).
		AndWhere(dbx.HashExp{"event": ev.Id, "chain": c.GetString("chain")}).
		AndWhere(dbx.NewExp("created >= {:joined}", dbx.Params{"joined": joined.String()})).
		OrderBy("rowid ASC").Limit(1).One(first)
	if err != nil {
		return news{}, gone(err) // joined after the change: nothing to tell
	}
	var before snapshot
	if err := first.UnmarshalJSONField("before", &before); err != nil {
		return news{}, fmt.Errorf("change %s: %w", first.Id, err)
	}
	if maps.Equal(before, snapshotOf(ev)) {
		return news{}, outbox.ErrObsolete
	}
	return news{ev: ev, before: before}, nil
}

// changes are the lines of the news as a reader of lang sees them: the
// time (start and end as one line), the venue, the title in their
// language. A title changed only in another language is no news to them.
func (n news) changes(d MailData) []Change {
	l := d.L
	var out []Change
	oldStart, oldEnd := parseTime(n.before["starts_at"]), parseTime(n.before["ends_at"])
	newStart, newEnd := n.ev.GetDateTime("starts_at").Time(), n.ev.GetDateTime("ends_at").Time()
	if !oldStart.Equal(newStart) || !oldEnd.Equal(newEnd) {
		out = append(out, Change{l.T("event.when"), l.Span(oldStart, oldEnd), l.Span(newStart, newEnd)})
	}
	if old, now := n.before["venue"], n.ev.GetString("venue"); old != now {
		out = append(out, Change{l.T("event.where"), orDash(old), orDash(now)})
	}
	if old, now := localized(n.before, "title", l.Lang), localizedRecord(n.ev, "title", l.Lang); old != now {
		out = append(out, Change{l.T("notice.field.title"), old, now})
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// localized is a snapshot's field in lang, falling back as the pages do
// (domain.TextFallback).
func localized(s snapshot, field, lang string) string {
	for _, l := range domain.TextFallback(lang) {
		if v := s[field+"_"+l]; v != "" {
			return v
		}
	}
	return ""
}

func localizedRecord(r *core.Record, field, lang string) string {
	return domain.Localized(r, field, lang)
}

// parseTime reads a stored date; a missing one is the zero time.
func parseTime(s string) time.Time {
	d, _ := types.ParseDateTime(s)
	return d.Time()
}

// gone makes a record that no longer exists an obsolete mail; other errors
// are tried again later.
func gone(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.ErrObsolete
	}
	return fmt.Errorf("read the mail's records: %w", err)
}
