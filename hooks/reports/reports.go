// Package reports gives organisers what funders ask for without handing over
// anyone's personal data: attendance per event, kind and period; and, for
// the organisers' own use, an event's registrations. Both come as CSV and
// as an Excel workbook (.xlsx).
//
// The API routes here answer to PocketBase auth tokens (Authorization
// header). The console in /manage serves the same files to its session
// through WriteRegistrationsCSV, WriteAttendanceCSV and their XLSX twins.
package reports

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/internal/csvsafe"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// MaxRangeDays bounds a report's period (both days included).
const MaxRangeDays = 3 * 366

// DateLayout is the form of the from and to parameters.
const DateLayout = "2006-01-02"

// dbTime is PocketBase's datetime form, the contract's form for times.
const dbTime = "2006-01-02 15:04:05.000Z"

// RegistrationsHeader is the CSV header row of an event's registrations:
// the contract's six columns exactly, then the people of each
// registration: its party, the children among them to be minded, and how
// many arrived (0 before a check-in).
var RegistrationsHeader = []string{"name", "email", "status", "locale", "registered_at", "checked_in_at", "party", "childcare", "arrived"}

// AttendanceHeader is the CSV header row of the attendance report. A total
// row has no id and "total" as its title; its events column counts the
// events of that kind.
var AttendanceHeader = []string{"id", "kind", "title", "starts_at", "events", "capacity", "registered", "checked_in", "no_show_percent"}

// Register binds the registrations export, the attendance report, the
// volunteers' hours and the report of a series.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/events/{id}/registrations.csv", registrationsCSV)
		se.Router.GET("/api/events/{id}/registrations.xlsx", registrationsXLSX)
		se.Router.GET("/api/reports/attendance", attendanceJSON)
		se.Router.GET("/api/reports/attendance.csv", attendanceCSV)
		se.Router.GET("/api/reports/attendance.xlsx", attendanceXLSX)
		se.Router.GET("/api/reports/volunteer-hours", volunteerHoursJSON)
		se.Router.GET("/api/reports/volunteer-hours.csv", volunteerHoursCSV)
		se.Router.GET("/api/reports/series/{id}", seriesJSON)
		return se.Next()
	})
}

// organiser refuses anyone but an organiser (or a superuser): 401 without a
// token, 403 with someone else's.
func organiser(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in as an organiser.", nil)
	}
	if !domain.IsStaff(e.Auth) {
		return e.ForbiddenError("Only organisers may do this.", nil)
	}
	return nil
}

func registrationsCSV(e *core.RequestEvent) error {
	if err := organiser(e); err != nil {
		return err
	}
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such event.", nil)
	}
	return WriteRegistrationsCSV(e, ev)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeFilename keeps a download's name to plain ASCII letters, digits, dots,
// dashes and underscores, so no header or path trick can ride on it; ext
// (".csv", ".xlsx") ends it.
func safeFilename(ext string, parts ...string) string {
	return strings.Trim(unsafeName.ReplaceAllString(strings.Join(parts, "-"), "-"), "-.") + ext
}

// startDownload sets the headers of a CSV download and starts the body with
// a byte-order mark, so spreadsheet programs read Latvian and Cyrillic
// letters right.
func startDownload(e *core.RequestEvent, filename string) (*csvsafe.Writer, error) {
	h := e.Response.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	// Personal data: no browser or proxy keeps a copy.
	h.Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	return csvsafe.NewWriter(e.Response)
}

// registrationsFilename names an event's export by its day and id.
func registrationsFilename(ev *core.Record, ext string) string {
	day := ev.GetDateTime("starts_at").Time().In(i18n.Riga).Format(DateLayout)
	return safeFilename(ext, "registrations", day, ev.Id)
}

// WriteRegistrationsCSV answers with every registration of ev (cancelled
// and erased ones too, so the rows add up to the counts) as a CSV download.
// The caller has checked that the visitor is an organiser.
func WriteRegistrationsCSV(e *core.RequestEvent, ev *core.Record) error {
	rows, err := attendance.Registrations(e.App, ev.Id, 0)
	if err != nil {
		return err
	}
	w, err := startDownload(e, registrationsFilename(ev, ".csv"))
	if err != nil {
		return err
	}
	if err := w.Write(RegistrationsHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.Write([]string{r.Name, r.Email, string(r.Status), r.Locale, r.Created, r.CheckedInAt,
			strconv.Itoa(r.Party), strconv.Itoa(r.Childcare), strconv.Itoa(r.Arrived)}); err != nil {
			return err
		}
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
	// Ended is set once the event is over: only then has anyone not come.
	Ended bool `json:"-"`

	// Titles holds the title in each language for the console's page;
	// the JSON keeps the contract's single (Latvian) title.
	Titles map[string]string `json:"-"`
}

// Start is when the event starts.
func (r EventRow) Start() time.Time {
	t, _ := time.Parse(dbTime, r.StartsAt)
	return t
}

// TitleIn is the title in lang, or the Latvian one where it is missing.
func (r EventRow) TitleIn(lang string) string {
	if t := r.Titles[lang]; t != "" {
		return t
	}
	return r.Title
}

// NoShow is the share of confirmed people who did not come, in whole
// percent (0 when nobody was confirmed). It means something once the event
// has Ended; before, the people who have not come yet are still to come.
func (r EventRow) NoShow() int { return NoShow(r.Confirmed, r.CheckedIn) }

// NoShow is the share of registered people who did not come, in whole
// percent. Walk-ins count as registered, so it never goes below 0.
func NoShow(registered, checkedIn int) int {
	if registered <= 0 || checkedIn >= registered {
		return 0
	}
	return (registered - checkedIn) * 100 / registered
}

// Total is one kind's sums.
type Total struct {
	Events     int `json:"events"`
	Registered int `json:"registered"`
	CheckedIn  int `json:"checked_in"`
	// Ended counts the events that are over, and EndedRegistered and
	// EndedCheckedIn their people: the no-show rate is theirs.
	Ended, EndedRegistered, EndedCheckedIn int `json:"-"`
}

// Add counts an event in the sums.
func (t *Total) Add(r EventRow) {
	t.Events++
	t.Registered += r.Confirmed
	t.CheckedIn += r.CheckedIn
	if r.Ended {
		t.Ended++
		t.EndedRegistered += r.Confirmed
		t.EndedCheckedIn += r.CheckedIn
	}
}

// Merge adds the sums of o.
func (t *Total) Merge(o Total) {
	t.Events += o.Events
	t.Registered += o.Registered
	t.CheckedIn += o.CheckedIn
	t.Ended += o.Ended
	t.EndedRegistered += o.EndedRegistered
	t.EndedCheckedIn += o.EndedCheckedIn
}

// NoShow is the share of registered people who did not come to the
// kind's events that have ended (see HasNoShow).
func (t Total) NoShow() int { return NoShow(t.EndedRegistered, t.EndedCheckedIn) }

// HasNoShow reports whether NoShow means something: some of the kind's
// events have ended, or it has none at all (0, as ever). A kind whose
// events are all still ahead has no rate yet.
func (t Total) HasNoShow() bool { return t.Ended > 0 || t.Events == 0 }

// noShowCell is a no-show rate as a report's cell: empty until an event
// has ended.
func noShowCell(ok bool, percent int) any {
	if !ok {
		return nil
	}
	return percent
}

// Report is the attendance report: aggregates only, no names or e-mails.
type Report struct {
	Events []EventRow        `json:"events"`
	Totals map[string]*Total `json:"totals"`
}

// ParsePeriod reads from and to (YYYY-MM-DD) as whole days in Riga, both
// included, into the UTC instants [start, end). Its errors are
// validation.Errors keyed "from" and "to".
func ParsePeriod(from, to string) (time.Time, time.Time, error) {
	errs := validation.Errors{}
	f, errFrom := parseDay(from)
	t, errTo := parseDay(to)
	if errFrom != nil {
		errs["from"] = errFrom
	}
	if errTo != nil {
		errs["to"] = errTo
	}
	if len(errs) == 0 {
		switch {
		case t.Before(f):
			errs["to"] = validation.NewError("validation_before_from", "Must not be before from.")
		case !t.Before(f.AddDate(0, 0, MaxRangeDays)): // calendar days, whatever DST does
			errs["to"] = validation.NewError("validation_range_too_long", fmt.Sprintf("The period may be %d days at most.", MaxRangeDays))
		}
	}
	if len(errs) > 0 {
		return time.Time{}, time.Time{}, errs
	}
	return f.UTC(), t.AddDate(0, 0, 1).UTC(), nil
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, validation.NewError("validation_required", "Cannot be blank.")
	}
	d, err := time.ParseInLocation(DateLayout, s, i18n.Riga)
	if err != nil {
		return time.Time{}, validation.NewError("validation_invalid_date", "Must be a date like 2026-12-01.")
	}
	return d, nil
}

// Attendance builds the report of the published events that start in
// [start, end). Drafts and cancelled events did not take place and are left
// out. "registered" counts the people of confirmed registrations (a party
// of four is four; walk-ins included), "checked_in" the people who
// arrived; waiting and cancelled ones are not people who had a seat. An event is
// Ended once its end is past: only those have a no-show rate.
func Attendance(app core.App, start, end time.Time) (Report, error) {
	rep := Report{Events: []EventRow{}, Totals: map[string]*Total{}}
	for _, k := range domain.Kinds {
		rep.Totals[k] = &Total{}
	}
	var rows []struct {
		ID        string `db:"id"`
		Kind      string `db:"kind"`
		TitleLV   string `db:"title_lv"`
		TitleEN   string `db:"title_en"`
		TitleRU   string `db:"title_ru"`
		StartsAt  string `db:"starts_at"`
		Ended     bool   `db:"ended"`
		Capacity  int    `db:"capacity"`
		Confirmed int    `db:"confirmed"`
		CheckedIn int    `db:"checked_in"`
	}
	err := app.DB().NewQuery(`SELECT e.id, e.kind, e.title_lv, e.title_en, e.title_ru, e.starts_at, e.capacity,
			(e.ends_at <= {:now}) AS ended,
			(SELECT ` + attendance.People + ` FROM registrations r WHERE r.event = e.id AND r.status = {:confirmed}) AS confirmed,
			(SELECT ` + attendance.Arrived + ` FROM checkins c WHERE c.event = e.id) AS checked_in
		FROM events e
		WHERE e.status = {:published} AND e.starts_at >= {:from} AND e.starts_at < {:to}
		ORDER BY e.starts_at, e.id`).
		Bind(dbx.Params{"from": start.UTC().Format(dbTime), "to": end.UTC().Format(dbTime), "now": time.Now().UTC().Format(dbTime),
			"confirmed": domain.RegistrationConfirmed, "published": domain.EventPublished}).All(&rows)
	if err != nil {
		return rep, fmt.Errorf("attendance report: %w", err)
	}
	for _, r := range rows {
		row := EventRow{
			ID: r.ID, Kind: r.Kind, Title: r.TitleLV, StartsAt: r.StartsAt, Capacity: r.Capacity,
			Confirmed: r.Confirmed, CheckedIn: r.CheckedIn, Ended: r.Ended,
			Titles: map[string]string{"lv": r.TitleLV, "en": r.TitleEN, "ru": r.TitleRU},
		}
		rep.Events = append(rep.Events, row)
		if t, ok := rep.Totals[r.Kind]; ok {
			t.Add(row)
		}
	}
	return rep, nil
}

// query is an organiser's request for the report of ?from&to: the days as
// given and the instants they span. The JSON and the CSV answers share it.
type query struct {
	from, to   string
	start, end time.Time
}

// reportQuery checks who asks and reads the period: 401/403 for anyone but
// an organiser, 400 with per-field errors for a bad period.
func reportQuery(e *core.RequestEvent) (query, error) {
	if err := organiser(e); err != nil {
		return query{}, err
	}
	q := query{from: e.Request.URL.Query().Get("from"), to: e.Request.URL.Query().Get("to")}
	var err error
	if q.start, q.end, err = ParsePeriod(q.from, q.to); err != nil {
		return query{}, e.BadRequestError("Please check the period.", err)
	}
	return q, nil
}

func attendanceJSON(e *core.RequestEvent) error {
	q, err := reportQuery(e)
	if err != nil {
		return err
	}
	rep, err := Attendance(e.App, q.start, q.end)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, rep)
}

func attendanceCSV(e *core.RequestEvent) error {
	q, err := reportQuery(e)
	if err != nil {
		return err
	}
	return WriteAttendanceCSV(e, q.from, q.to, q.start, q.end)
}

// WriteAttendanceCSV answers with the attendance report of [start, end)
// (the days from and to) as a CSV download: one row per event, then one
// total row per kind. The caller has checked the visitor and the period.
func WriteAttendanceCSV(e *core.RequestEvent, from, to string, start, end time.Time) error {
	rep, err := Attendance(e.App, start, end)
	if err != nil {
		return err
	}
	w, err := startDownload(e, safeFilename(".csv", "attendance", from, to))
	if err != nil {
		return err
	}
	if err := w.Write(AttendanceHeader); err != nil {
		return err
	}
	n := fmt.Sprint
	cell := func(v any) string { // an empty cell for no value
		if v == nil {
			return ""
		}
		return n(v)
	}
	for _, r := range rep.Events {
		if err := w.Write([]string{r.ID, r.Kind, r.Title, r.StartsAt, "1", n(r.Capacity), n(r.Confirmed), n(r.CheckedIn), cell(noShowCell(r.Ended, r.NoShow()))}); err != nil {
			return err
		}
	}
	for _, k := range domain.Kinds {
		t := rep.Totals[k]
		if err := w.Write([]string{"", k, "total", "", n(t.Events), "", n(t.Registered), n(t.CheckedIn), cell(noShowCell(t.HasNoShow(), t.NoShow()))}); err != nil {
			return err
		}
	}
	return w.Flush()
}
