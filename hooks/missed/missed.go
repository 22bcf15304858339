// Package missed keeps the seats of a weekly series for the people who
// come. A standing place whose person missed series_missed_limit sessions
// in a row (confirmed, not checked in, and not skipped) pauses: it gives up
// its seats in the sessions not yet begun, whose waiting lists move at
// once, takes no new ones, and its person is mailed a link that resumes it
// (GET /t/{code}/resume asks, its POST resumes). A job on PocketBase's cron
// looks at the sessions that ended lately.
package missed

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/settings"
	"kopa/internal/domain"
)

// Job is the id of the cron job that pauses standing places; it runs every
// ten minutes.
const Job = "kopaMissedSessions"

// Lookback is how long after a session ends its standing places are looked
// at again. The job runs far more often than that; a server that was down
// longer catches up when the next session ends, since each look counts the
// place's last sessions, not the one that just ended.
const Lookback = 2 * 24 * time.Hour

// Register schedules the job, gives the outbox the paused mail and binds
// the resume page.
func Register(app core.App) {
	outbox.Handle(MailPaused, renderPaused)
	app.Cron().MustAdd(Job, "*/10 * * * *", func() {
		n, err := Check(app, time.Now())
		if err != nil {
			app.Logger().Error("missed sessions", "error", err, "paused", n)
			return
		}
		if n > 0 {
			app.Logger().Info("standing places paused", "count", n)
		}
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/t/{code}/resume", resumePage)
		se.Router.POST("/t/{code}/resume", resumeSubmit)
		return se.Next()
	})
}

// run is one active standing place's sessions missed in a row, as the job
// counts them.
type run struct {
	ID     string `db:"id"`
	Missed int    `db:"missed"`
	Was    int    `db:"was"`
}

// Check looks at every active standing place with a seat in a session that
// ended in the Lookback before now, and counts its sessions missed in a
// row: of its seats in the published sessions that ended by now (and began
// after it last paused), from the last one back, those that ended
// confirmed, not checked in and not skipped, up to the first that did not
// (the person came, skipped it, waited on the list or had it freed). The
// count is kept in standing.missed (at most the limit); a place that
// reached series_missed_limit pauses (see pause). Running it again with the
// same now changes nothing; with series_missed_limit 0 it does nothing. It
// returns how many places it paused.
func Check(app core.App, now time.Time) (int, error) {
	limit := settings.Load(app).SeriesMissedLimit
	if limit <= 0 {
		return 0, nil
	}
	var runs []run
	err := app.DB().NewQuery(`WITH recent AS MATERIALIZED (
			SELECT DISTINCT r.standing AS id FROM registrations r
			WHERE r.standing != '' AND r.event IN (SELECT e.id FROM events e
				WHERE e.series != '' AND e.ends_at > {:since} AND e.ends_at <= {:now})
		), seats AS (
			SELECT r.standing, r.id, r.status, r.skipped_at,
				ROW_NUMBER() OVER (PARTITION BY r.standing ORDER BY e.starts_at DESC, e.id DESC) AS n
			FROM recent CROSS JOIN standing st ON st.id = recent.id
				CROSS JOIN registrations r ON r.standing = st.id CROSS JOIN events e ON e.id = r.event
			WHERE r.standing != '' AND st.status = {:active} AND e.status = {:published} AND e.ends_at <= {:now}
				AND (st.paused_at = '' OR e.starts_at > st.paused_at)
				-- a seat freed by a pause and taken again on the resume is
				-- one seat: the live one
				AND NOT (r.status = {:cancelled} AND EXISTS (SELECT 1 FROM registrations again
					WHERE again.standing != '' AND again.standing = r.standing AND again.event = r.event AND again.status != {:cancelled}))
		), last AS (
			SELECT standing, n, (status = {:confirmed} AND skipped_at = ''
				AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.registration = seats.id)) AS missed
			FROM seats WHERE n <= {:limit}
		)
		SELECT last.standing AS id, st.missed AS was,
			COALESCE(MIN(CASE WHEN last.missed = 0 THEN last.n END) - 1, COUNT(*)) AS missed
		FROM last JOIN standing st ON st.id = last.standing
		GROUP BY last.standing`).
		Bind(dbx.Params{
			"since": domain.DateTime(now.Add(-Lookback)).String(), "now": domain.DateTime(now).String(), "limit": limit,
			"confirmed": domain.RegistrationConfirmed, "active": domain.StandingActive, "published": domain.EventPublished,
			"cancelled": domain.RegistrationCancelled,
		}).All(&runs)
	if err != nil {
		return 0, fmt.Errorf("sessions missed in a row: %w", err)
	}
	paused := 0
	for _, r := range runs {
		if r.Missed >= limit {
			ok, err := pause(app, r.ID, r.Missed, now)
			if err != nil {
				return paused, err
			}
			if ok {
				paused++
			}
			continue
		}
		if r.Missed != r.Was {
			// Only the job reads it: no record hook has anything to learn.
			_, err := app.DB().Update(domain.Standing, dbx.Params{"missed": r.Missed}, dbx.HashExp{"id": r.ID}).Execute()
			if err != nil {
				return paused, fmt.Errorf("missed sessions of standing place %s: %w", r.ID, err)
			}
		}
	}
	return paused, nil
}

// pause pauses the standing place id after it missed sessions in a row at
// now, in one transaction: it takes no new seats; its seats in the sessions
// not yet begun are freed (cancelled, not skipped, so resuming takes them
// again), each session's waiting list moving at once; and its person is
// mailed the link that resumes it. A place that is no longer active (its
// person ended it meanwhile) is left alone: ok is false then.
func pause(app core.App, id string, missed int, now time.Time) (ok bool, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		st, err := tx.FindRecordById(domain.Standing, id)
		if err != nil || domain.StandingStatusOf(st) != domain.StandingActive {
			return nil
		}
		st.Set("status", domain.StandingPaused)
		st.Set("paused_at", domain.DateTime(now))
		st.Set("missed", missed)
		if err := tx.Save(st); err != nil {
			return fmt.Errorf("pause standing place %s: %w", id, err)
		}
		var seats []struct {
			Ticket string `db:"ticket"`
		}
		err = tx.DB().NewQuery(`SELECT r.ticket FROM registrations r JOIN events e ON e.id = r.event
			WHERE r.standing = {:id} AND r.status != {:cancelled} AND e.starts_at > {:now}
			ORDER BY e.starts_at`).
			Bind(dbx.Params{"id": id, "cancelled": domain.RegistrationCancelled, "now": domain.DateTime(now).String()}).All(&seats)
		if err != nil {
			return fmt.Errorf("seats of standing place %s: %w", id, err)
		}
		for _, s := range seats {
			if _, _, err := registration.Cancel(tx, s.Ticket, now); err != nil {
				return fmt.Errorf("free a seat of standing place %s: %w", id, err)
			}
		}
		ok = true
		tx.Logger().Info("standing place paused", "standing", id, "missed", missed, "seats_freed", len(seats))
		if st.GetString("email") == "" {
			return nil
		}
		return outbox.Defer(tx, pausedMail(st))
	})
	return ok, err
}
