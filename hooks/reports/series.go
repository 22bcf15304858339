package reports

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/internal/domain"
)

// ReturningAt are the numbers of sessions a series' report counts returning
// people at: those who came to at least 2, 4 and 8 of its sessions.
var ReturningAt = []int{2, 4, 8}

// SeriesReport is what a series' sessions amount to: how many were held,
// how many people came to one on average, and how many came back. Numbers
// only; they stay the same once retention has erased the names.
type SeriesReport struct {
	// Sessions counts the held sessions: published and ended (a
	// cancelled session was not held, a draft was never on).
	Sessions int `json:"sessions"`
	// AverageCheckedIn is the people checked in per held session (a
	// party counts its people as they came through the door), to two
	// decimals; 0 before the first session ends.
	AverageCheckedIn float64 `json:"average_checked_in"`
	// Returning counts, for each of ReturningAt (as a string key, "2"),
	// the people who came to at least that many held sessions.
	Returning map[string]int `json:"returning"`

	// Held are the held sessions in order, for the console's chart.
	Held []SessionFigure `json:"-"`
}

// SessionFigure is one held session of a series' report.
type SessionFigure struct {
	ID       string
	StartsAt time.Time
	// CheckedIn are the people who came.
	CheckedIn int
}

// Max is the most people any held session had (0 without sessions).
func (r SeriesReport) Max() int {
	n := 0
	for _, s := range r.Held {
		n = max(n, s.CheckedIn)
	}
	return n
}

// SeriesFigures builds the report of series id as of now. Who came back is
// told apart as follows: the seats of one standing place are one person
// (the place, whatever happens to its name); a registration of its own is
// its e-mail address, lower-cased, or, once retention erased the address,
// the keyed hash retention kept of it (registrations.person, see
// domain.PersonKey), which is what the address gives before erasure too. A
// registration without an address (a walk-in) is a person of its own. So
// someone who came to some sessions with a standing place and to others
// with registrations of their own counts as two people.
func SeriesFigures(app core.App, id string, now time.Time) (SeriesReport, error) {
	rep := SeriesReport{Returning: map[string]int{}, Held: []SessionFigure{}}
	for _, n := range ReturningAt {
		rep.Returning[strconv.Itoa(n)] = 0
	}
	var salt string
	if err := app.DB().Select("salt").From(domain.Series).Where(dbx.HashExp{"id": id}).Row(&salt); err != nil {
		return rep, fmt.Errorf("series %s: %w", id, err)
	}
	params := dbx.Params{"series": id, "published": domain.EventPublished, "now": domain.DateTime(now).String()}
	const held = `e.series = {:series} AND e.status = {:published} AND e.ends_at != '' AND e.ends_at <= {:now}`
	var sessions []struct {
		ID       string `db:"id"`
		StartsAt string `db:"starts_at"`
		People   int    `db:"people"`
	}
	err := app.DB().NewQuery(`SELECT e.id, e.starts_at,
			(SELECT ` + attendance.Arrived + ` FROM checkins c WHERE c.event = e.id) AS people
		FROM events e WHERE ` + held + ` ORDER BY e.starts_at, e.id`).Bind(params).All(&sessions)
	if err != nil {
		return rep, fmt.Errorf("sessions of series %s: %w", id, err)
	}
	total := 0
	for _, s := range sessions {
		start, _ := time.Parse(dbTime, s.StartsAt)
		rep.Held = append(rep.Held, SessionFigure{ID: s.ID, StartsAt: start, CheckedIn: s.People})
		total += s.People
	}
	rep.Sessions = len(sessions)
	if rep.Sessions > 0 {
		rep.AverageCheckedIn = math.Round(float64(total)*100/float64(rep.Sessions)) / 100
	}
	var came []struct {
		ID       string `db:"id"`
		Event    string `db:"event"`
		Standing string `db:"standing"`
		Email    string `db:"email"`
		Person   string `db:"person"`
	}
	err = app.DB().NewQuery(`SELECT r.id, c.event, r.standing, r.email, r.person
		FROM checkins c JOIN registrations r ON r.id = c.registration JOIN events e ON e.id = c.event
		WHERE ` + held).Bind(params).All(&came)
	if err != nil {
		return rep, fmt.Errorf("people of series %s: %w", id, err)
	}
	seen := map[string]map[string]bool{}
	for _, c := range came {
		var key string
		switch {
		case c.Standing != "":
			key = "standing:" + c.Standing
		case c.Email != "":
			key = "person:" + domain.PersonKey(salt, c.Email)
		case c.Person != "":
			key = "person:" + c.Person
		default:
			key = "registration:" + c.ID
		}
		if seen[key] == nil {
			seen[key] = map[string]bool{}
		}
		seen[key][c.Event] = true
	}
	for _, events := range seen {
		for _, n := range ReturningAt {
			if len(events) >= n {
				rep.Returning[strconv.Itoa(n)]++
			}
		}
	}
	return rep, nil
}

// seriesJSON is GET /api/reports/series/{id}: the report of one series, for
// organisers.
func seriesJSON(e *core.RequestEvent) error {
	if err := organiser(e); err != nil {
		return err
	}
	s, err := e.App.FindRecordById(domain.Series, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such series.", nil)
	}
	rep, err := SeriesFigures(e.App, s.Id, time.Now())
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, rep)
}
