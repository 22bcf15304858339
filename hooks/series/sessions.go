package series

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/volunteers"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// MakeSessions creates the sessions of series s that its plan has and it
// lacks (a session is matched by its start; an event of the same Latvian
// title at that time that belongs to no series joins it), each with the series' texts,
// venue and seats, in status; one transaction. It returns how many it
// created. Extending a series is raising its weeks and making its sessions
// again. Published sessions give the active standing places their seats
// (seatOnPublish).
func MakeSessions(app core.App, s *core.Record, status domain.EventStatus) (int, error) {
	plan, err := domain.PlanOf(s)
	if err != nil {
		return 0, err
	}
	col, err := app.FindCachedCollectionByNameOrId(domain.Events)
	if err != nil {
		return 0, err
	}
	created := 0
	err = app.RunInTransaction(func(tx core.App) error {
		created = 0
		existing, err := Sessions(tx, s.Id)
		if err != nil {
			return err
		}
		have := map[int64]bool{}
		for _, ev := range existing {
			have[ev.GetDateTime("starts_at").Time().Unix()] = true
		}
		for _, d := range plan.Dates() {
			start, end := plan.Session(d)
			if have[start.Unix()] {
				continue
			}
			// A copy of the session made by hand, or by the console's
			// older weekly helper, joins the series instead.
			same := &core.Record{}
			if tx.RecordQuery(domain.Events).AndWhere(dbx.HashExp{"series": "", "title_lv": s.GetString("title_lv"),
				"starts_at": domain.DateTime(start).String()}).Limit(1).One(same) == nil {
				same.Set("series", s.Id)
				if err := tx.Save(same); err != nil {
					return err
				}
				continue
			}
			ev := core.NewRecord(col)
			copyFields(ev, s)
			ev.Set("series", s.Id)
			ev.Set("status", status)
			ev.Set("starts_at", domain.DateTime(start))
			ev.Set("ends_at", domain.DateTime(end))
			if err := tx.Save(ev); err != nil {
				return fmt.Errorf("session of %s: %w", d.Format(domain.DateLayout), err)
			}
			created++
		}
		return nil
	})
	return created, err
}

func copyFields(ev, s *core.Record) {
	for _, f := range domain.SeriesFields {
		ev.Set(f, s.Get(f))
	}
}

// UpdateFuture gives every session of series s that has not begun the
// series' texts, venue and seats, and its start time and length (each on
// its own date). Each session is saved as an organiser's edit is, so the
// people of a published session are told of a change of time, place or
// title (package notices), and its shifts move with it. It returns how many sessions changed.
func UpdateFuture(app core.App, s *core.Record, now time.Time) (int, error) {
	plan, err := domain.PlanOf(s)
	if err != nil {
		return 0, err
	}
	changed := 0
	err = app.RunInTransaction(func(tx core.App) error {
		changed = 0
		var sessions []*core.Record
		err := tx.RecordQuery(domain.Events).AndWhere(dbx.HashExp{"series": s.Id}).
			AndWhere(dbx.NewExp("series != '' AND starts_at > {:now}", dbx.Params{"now": domain.DateTime(now).String()})).
			OrderBy("starts_at ASC").All(&sessions)
		if err != nil {
			return err
		}
		for _, ev := range sessions {
			copyFields(ev, s)
			was := ev.GetDateTime("starts_at").Time()
			start, end := plan.Session(was.In(i18n.Riga))
			ev.Set("starts_at", domain.DateTime(start))
			ev.Set("ends_at", domain.DateTime(end))
			if !ev.IsNew() && len(changedFields(ev)) == 0 {
				continue
			}
			if err := tx.Save(ev); err != nil {
				return fmt.Errorf("session %s: %w", ev.Id, err)
			}
			// The session's shifts move with it.
			if d := start.Sub(was); d != 0 {
				if _, err := volunteers.MoveShifts(tx, ev.Id, d); err != nil {
					return err
				}
			}
			changed++
		}
		return nil
	})
	return changed, err
}

// changedFields are the fields of rec that differ from what was read.
func changedFields(rec *core.Record) []string {
	orig := rec.Original()
	var out []string
	for k, v := range rec.FieldsData() {
		if k == "updated" {
			continue
		}
		if fmt.Sprint(orig.Get(k)) != fmt.Sprint(v) {
			out = append(out, k)
		}
	}
	return out
}

// CopyShifts copies the shifts of session from to every other session of
// its series that has not begun, at the same times relative to the
// session's start, where that session has no shift of the role at that
// time. It returns how many shifts it created.
func CopyShifts(app core.App, from *core.Record, now time.Time) (int, error) {
	seriesID := domain.SeriesOf(from)
	if seriesID == "" {
		return 0, ErrNotInSeries
	}
	created := 0
	err := app.RunInTransaction(func(tx core.App) error {
		created = 0
		shifts, err := tx.FindRecordsByFilter(domain.Shifts, "event = {:e}", "starts_at", 0, 0, dbx.Params{"e": from.Id})
		if err != nil || len(shifts) == 0 {
			return err
		}
		var sessions []*core.Record
		err = tx.RecordQuery(domain.Events).AndWhere(dbx.HashExp{"series": seriesID}).
			AndWhere(dbx.NewExp("series != '' AND id != {:id} AND starts_at > {:now}",
				dbx.Params{"id": from.Id, "now": domain.DateTime(now).String()})).All(&sessions)
		if err != nil {
			return err
		}
		base := from.GetDateTime("starts_at").Time()
		for _, ev := range sessions {
			to := ev.GetDateTime("starts_at").Time()
			for _, sh := range shifts {
				start := to.Add(sh.GetDateTime("starts_at").Time().Sub(base))
				end := to.Add(sh.GetDateTime("ends_at").Time().Sub(base))
				n, err := tx.CountRecords(domain.Shifts, dbx.HashExp{"event": ev.Id, "role": sh.GetString("role"),
					"starts_at": domain.DateTime(start).String()})
				if err != nil {
					return err
				}
				if n > 0 {
					continue
				}
				c := core.NewRecord(sh.Collection())
				for _, f := range []string{"role", "needed", "notes"} {
					c.Set(f, sh.Get(f))
				}
				c.Set("event", ev.Id)
				c.Set("starts_at", domain.DateTime(start))
				c.Set("ends_at", domain.DateTime(end))
				if err := tx.Save(c); err != nil {
					return fmt.Errorf("shift of session %s: %w", ev.Id, err)
				}
				created++
			}
		}
		return nil
	})
	return created, err
}

// Repeat makes ev a weekly series reaching weeks weeks past it (the
// console's weekly helper of an event): a new series from ev's texts,
// place, seats, weekday, Riga time and length with ev as its first
// session, or ev's own series extended as far. The new sessions have ev's
// status (drafts where ev was cancelled). It returns how many it created.
func Repeat(app core.App, ev *core.Record, weeks int) (int, error) {
	created := 0
	err := app.RunInTransaction(func(tx core.App) error {
		status := domain.EventStatusOf(ev)
		if status == domain.EventCancelled {
			status = domain.EventDraft
		}
		var s *core.Record
		start := ev.GetDateTime("starts_at").Time().In(i18n.Riga)
		if id := domain.SeriesOf(ev); id != "" {
			var err error
			if s, err = tx.FindRecordById(domain.Series, id); err != nil {
				return err
			}
			plan, err := domain.PlanOf(s)
			if err != nil {
				return err
			}
			week := int(start.Sub(plan.First).Hours()/24) / 7
			if need := min(week+1+weeks, domain.SeriesMaxWeeks); need > s.GetInt("weeks") {
				s.Set("weeks", need)
				if err := tx.Save(s); err != nil {
					return err
				}
			}
		} else {
			col, err := tx.FindCachedCollectionByNameOrId(domain.Series)
			if err != nil {
				return err
			}
			s = core.NewRecord(col)
			copyFields(s, ev)
			length := int(ev.GetDateTime("ends_at").Time().Sub(ev.GetDateTime("starts_at").Time()) / time.Minute)
			s.Load(map[string]any{"weekday": domain.WeekdayOf(start), "start_time": start.Format("15:04"),
				"length_minutes": min(max(length, 1), domain.SeriesMaxLength), "first_date": start.Format(domain.DateLayout),
				"weeks": min(1+weeks, domain.SeriesMaxWeeks), "skip_dates": "[]"})
			if err := tx.Save(s); err != nil {
				return err
			}
			ev.Set("series", s.Id)
			if err := tx.Save(ev); err != nil {
				return err
			}
		}
		var err error
		created, err = MakeSessions(tx, s, status)
		return err
	})
	return created, err
}
