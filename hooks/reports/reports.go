// Package reports gives organisers what funders ask for without handing over
// anyone's personal data: attendance per event, kind and period; and, for
// the organisers' own use, an event's registrations as a CSV file.
package reports

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/access"
	"kopa/internal/csvsafe"
	"kopa/internal/i18n"
)

// Kinds of event, in report order.
var Kinds = []string{"discussion", "club", "culture"}

// MaxRangeDays bounds a report's period.
const MaxRangeDays = 3 * 366

// Register binds the CSV export and the attendance report.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/events/{id}/registrations.csv", registrationsCSV)
		se.Router.GET("/api/reports/attendance", attendanceJSON)
		se.Router.GET("/api/reports/attendance.csv", attendanceCSV)
		bindPage(se)
		return se.Next()
	})
}

func organiser(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in as an organiser.", nil)
	}
	if !access.IsOrganiser(e.Auth) {
		return e.ForbiddenError("Only organisers may do this.", nil)
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func registrationsCSV(e *core.RequestEvent) error {
	if err := organiser(e); err != nil {
		return err
	}
	ev, err := e.App.FindRecordById("events", e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such event.", nil)
	}
	var rows []struct {
		Name    string `db:"name"`
		Email   string `db:"email"`
		Status  string `db:"status"`
		Locale  string `db:"locale"`
		Created string `db:"created"`
		At      string `db:"at"`
	}
	err = e.App.DB().NewQuery(`SELECT r.name, r.email, r.status, r.locale, r.created, COALESCE(c.at, '') AS at
		FROM registrations r LEFT JOIN checkins c ON c.registration = r.id
		WHERE r.event = {:e} ORDER BY r.rowid`).Bind(dbx.Params{"e": ev.Id}).All(&rows)
	if err != nil {
		return err
	}
	day := ev.GetDateTime("starts_at").Time().In(i18n.Riga).Format("2006-01-02")
	name := strings.Trim(unsafeName.ReplaceAllString(fmt.Sprintf("registrations-%s-%s", day, ev.Id), "-"), "-") + ".csv"
	h := e.Response.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	w, err := csvsafe.NewWriter(e.Response)
	if err != nil {
		return err
	}
	_ = w.Write([]string{"name", "email", "status", "locale", "registered_at", "checked_in_at"})
	for _, r := range rows {
		_ = w.Write([]string{r.Name, r.Email, r.Status, r.Locale, r.Created, r.At})
	}
	return w.Flush()
}

// EventRow is one event of the attendance report.
type EventRow struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	StartsAt  string `json:"starts_at"`
	Capacity  int    `json:"capacity"`
	Confirmed int    `json:"confirmed"`
	CheckedIn int    `json:"checked_in"`
}

// Total is one kind's sums.
type Total struct {
	Events     int `json:"events"`
	Registered int `json:"registered"`
	CheckedIn  int `json:"checked_in"`
}

// Report is the attendance report: aggregates only, no names or e-mails.
type Report struct {
	Events []EventRow        `json:"events"`
	Totals map[string]*Total `json:"totals"`
}

// ParsePeriod reads from and to (YYYY-MM-DD, days in Riga, both included)
// into the UTC instants [start, end).
func ParsePeriod(from, to string) (time.Time, time.Time, error) {
	errs := validation.Errors{}
	f, err1 := time.ParseInLocation("2006-01-02", from, i18n.Riga)
	t, err2 := time.ParseInLocation("2006-01-02", to, i18n.Riga)
	if err1 != nil {
		errs["from"] = validation.NewError("validation_invalid_date", "Must be a date like 2026-12-01.")
	}
	if err2 != nil {
		errs["to"] = validation.NewError("validation_invalid_date", "Must be a date like 2026-12-31.")
	}
	if len(errs) == 0 {
		switch {
		case t.Before(f):
			errs["to"] = validation.NewError("validation_before_from", "Must not be before from.")
		case t.Sub(f) > MaxRangeDays*24*time.Hour:
			errs["to"] = validation.NewError("validation_range_too_long", "The period may be three years at most.")
		}
	}
	if len(errs) > 0 {
		return time.Time{}, time.Time{}, errs
	}
	return f.UTC(), t.AddDate(0, 0, 1).UTC(), nil
}

// Attendance builds the report of the events that start in [start, end).
// Cancelled registrations do not count as registered; drafts are left out.
func Attendance(app core.App, start, end time.Time) (Report, error) {
	rep := Report{Events: []EventRow{}, Totals: map[string]*Total{}}
	for _, k := range Kinds {
		rep.Totals[k] = &Total{}
	}
	var rows []struct {
		ID        string `db:"id"`
		Kind      string `db:"kind"`
		Title     string `db:"title_lv"`
		StartsAt  string `db:"starts_at"`
		Capacity  int    `db:"capacity"`
		Confirmed int    `db:"confirmed"`
		CheckedIn int    `db:"checked_in"`
	}
	err := app.DB().NewQuery(`SELECT e.id, e.kind, e.title_lv, e.starts_at, e.capacity,
			(SELECT count(*) FROM registrations r WHERE r.event = e.id AND r.status = 'confirmed') AS confirmed,
			(SELECT count(*) FROM checkins c WHERE c.event = e.id) AS checked_in
		FROM events e
		WHERE e.status != 'draft' AND e.starts_at >= {:from} AND e.starts_at < {:to}
		ORDER BY e.starts_at`).
		Bind(dbx.Params{"from": start.Format("2006-01-02 15:04:05.000Z"), "to": end.Format("2006-01-02 15:04:05.000Z")}).All(&rows)
	if err != nil {
		return rep, err
	}
	for _, r := range rows {
		rep.Events = append(rep.Events, EventRow(r))
		if t, ok := rep.Totals[r.Kind]; ok {
			t.Events++
			t.Registered += r.Confirmed
			t.CheckedIn += r.CheckedIn
		}
	}
	return rep, nil
}

func period(e *core.RequestEvent) (time.Time, time.Time, error) {
	q := e.Request.URL.Query()
	return ParsePeriod(q.Get("from"), q.Get("to"))
}

// report answers an organiser's request for the report of ?from&to.
func report(e *core.RequestEvent) (Report, error) {
	if err := organiser(e); err != nil {
		return Report{}, err
	}
	from, to, err := period(e)
	if err != nil {
		return Report{}, e.BadRequestError("Please check the period.", err)
	}
	return Attendance(e.App, from, to)
}

func attendanceJSON(e *core.RequestEvent) error {
	rep, err := report(e)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, rep)
}

func attendanceCSV(e *core.RequestEvent) error {
	rep, err := report(e)
	if err != nil {
		return err
	}
	h := e.Response.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="attendance.csv"`)
	e.Response.WriteHeader(http.StatusOK)
	w, err := csvsafe.NewWriter(e.Response)
	if err != nil {
		return err
	}
	_ = w.Write([]string{"id", "kind", "title", "starts_at", "capacity", "registered", "checked_in"})
	for _, r := range rep.Events {
		_ = w.Write([]string{r.ID, r.Kind, r.Title, r.StartsAt, fmt.Sprint(r.Capacity), fmt.Sprint(r.Confirmed), fmt.Sprint(r.CheckedIn)})
	}
	for _, k := range Kinds {
		t := rep.Totals[k]
		_ = w.Write([]string{"", k, "total", "", "", fmt.Sprint(t.Registered), fmt.Sprint(t.CheckedIn)})
	}
	return w.Flush()
}
