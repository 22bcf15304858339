package manage

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/attendance"
	"kopa/hooks/checkin"
	"kopa/hooks/reports"
	"kopa/hooks/retention"
	"kopa/hooks/web"
	"kopa/internal/contact"
	"kopa/internal/domain"
)

// RegistrationRow is one registration in the console.
type RegistrationRow struct {
	ID, Name, Email, Status, Locale string
	Created, CheckedIn              time.Time
	Method                          string
	PhotoConsent, Erased            bool
}

// Registrations is what one event's registrations page shows.
type Registrations struct {
	Event domain.EventView
	Rows  []RegistrationRow
	// Q is the search; Status the status filter ("", a registration
	// status, "checked_in" or "not_checked_in").
	Q, Status string
	// Total is how many registrations the event has, before filtering.
	Total  int
	Notice string
	// StatusOptions are the filter's values.
	StatusOptions []string
}

// maxRows bounds one page of registrations; the CSV has them all.
const maxRows = 5000

// statusFilters are the registration statuses and the check-in filters.
var statusFilters = []string{
	string(domain.RegistrationConfirmed), string(domain.RegistrationWaitlisted), string(domain.RegistrationCancelled),
	"checked_in", "not_checked_in",
}

// keep reports whether a row passes the status filter.
func keep(filter string, r RegistrationRow) bool {
	switch filter {
	case "":
		return true
	case "checked_in":
		return !r.CheckedIn.IsZero()
	case "not_checked_in":
		return r.CheckedIn.IsZero() && r.Status == string(domain.RegistrationConfirmed)
	}
	return r.Status == filter
}

func registrations(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	q := e.Request.URL.Query()
	d := Registrations{Q: strings.TrimSpace(q.Get("q")), StatusOptions: statusFilters}
	for _, s := range statusFilters {
		if q.Get("status") == s {
			d.Status = s
		}
	}
	if n := q.Get("notice"); n != "" && web.Catalog().For(web.Lang(e)).T("manage.notice."+n) != "manage.notice."+n {
		d.Notice = n
	}
	rows, err := attendance.Registrations(e.App, ev.Id, maxRows)
	if err != nil {
		return err
	}
	d.Total = len(rows)
	d.Rows = make([]RegistrationRow, 0, len(rows))
	for _, r := range rows {
		row := RegistrationRow{ID: r.ID, Name: r.Name, Email: r.Email, Status: string(r.Status), Locale: r.Locale,
			Method: string(r.Method), PhotoConsent: r.PhotoConsent, Erased: r.ErasedAt != ""}
		if t, err := types.ParseDateTime(r.Created); err == nil {
			row.Created = t.Time()
		}
		if t, err := types.ParseDateTime(r.CheckedInAt); err == nil {
			row.CheckedIn = t.Time()
		}
		// Search ignores case in any alphabet (SQLite's LIKE folds only ASCII).
		if keep(d.Status, row) && checkin.Matches(d.Q, r.Name, r.Email) {
			d.Rows = append(d.Rows, row)
		}
	}
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return err
	}
	d.Event = domain.NewEventView(ev, web.Lang(e), st)
	return web.Render(e, http.StatusOK, "manage/registrations", web.NewConsolePage(e, "manage.registrations", d))
}

// registrationsCSV is the contract's CSV export for the console's session
// (the /api/ address wants a token, which a plain link cannot send).
func registrationsCSV(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	return reports.WriteRegistrationsCSV(e, ev)
}

// registrationsXLSX is the same export as an Excel workbook.
func registrationsXLSX(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	return reports.WriteRegistrationsXLSX(e, ev)
}

// back redirects to the registrations page with a notice.
func back(e *core.RequestEvent, eventID, notice string) error {
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+eventID+"/registrations?notice="+url.QueryEscape(notice))
}

func manualCheckIn(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if _, err := e.App.FindRecordById(domain.Events, id); err != nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	res, err := checkin.CheckInRegistration(e.App, id, f.Get("registration"), domain.CheckinManual, time.Now())
	if err != nil {
		return err
	}
	return back(e, id, res.Result)
}

// walkIn registers and checks in someone who came without registering,
// under the same name and e-mail rules as every other entry point.
func walkIn(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	name, nameErr := contact.Name(f.Get("name"))
	email, emailErr := contact.Email(f.Get("email"))
	if nameErr != nil || (email != "" && emailErr != nil) {
		return back(e, id, "invalid")
	}
	res, err := checkin.WalkIn(e.App, id, name, email, f.Get("override") != "", time.Now())
	switch {
	case errors.Is(err, checkin.ErrFull):
		return back(e, id, "full")
	case errors.Is(err, checkin.ErrNoEvent):
		return web.NotFound(e)
	case errors.Is(err, checkin.ErrEventCancelled):
		return web.ErrorPage(e, http.StatusConflict, "error.event_cancelled.title", "error.event_cancelled.text")
	case err != nil:
		return err
	}
	return back(e, id, res.Result)
}

// EraseData is the confirmation page of an erasure.
type EraseData struct {
	EventID string
	Row     RegistrationRow
}

// findRegistration loads a registration of the event in the path.
func findRegistration(e *core.RequestEvent) (*core.Record, error) {
	r, err := e.App.FindRecordById(domain.Registrations, e.Request.PathValue("rid"))
	if err != nil || r.GetString("event") != e.Request.PathValue("id") {
		return nil, errors.New("no such registration")
	}
	return r, nil
}

// eraseConfirm asks before erasing: a person asked to have their data
// deleted, and the organiser checks it is the right one.
func eraseConfirm(e *core.RequestEvent) error {
	r, err := findRegistration(e)
	if err != nil {
		return web.NotFound(e)
	}
	d := EraseData{EventID: r.GetString("event"), Row: RegistrationRow{ID: r.Id, Name: r.GetString("name"), Email: r.GetString("email"),
		Status: r.GetString("status"), Erased: !r.GetDateTime("erased_at").IsZero()}}
	return web.Render(e, http.StatusOK, "manage/erase", web.NewConsolePage(e, "manage.erase", d))
}

func erase(e *core.RequestEvent) error {
	r, err := findRegistration(e)
	if err != nil {
		return web.NotFound(e)
	}
	if err := retention.Erase(e.App, r.Id, time.Now()); err != nil {
		return err
	}
	e.App.Logger().Info("registration erased on request", "registration", r.Id, "organiser", e.Auth.Id)
	return back(e, r.GetString("event"), "erased")
}
