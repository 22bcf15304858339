package manage

import (
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/reports"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// ReportData is what the reports page shows.
type ReportData struct {
	From, To string
	Report   reports.Report
	Chart    Chart
	// Sum is the period's totals over every kind.
	Sum   reports.Total
	Error bool
	Kinds []string
	// Hours are the volunteers' hours of the period, by role and event.
	Hours reports.VolunteerHours
	Roles []string
	// Series are the series with sessions in the period, each with its
	// report over all its sessions.
	Series []SeriesSection
	// ReturningAt are the thresholds of the series' returning people.
	ReturningAt []int
}

// defaultPeriod is the start of the month two months back to a month ahead:
// the last quarter and what is coming.
func defaultPeriod(now time.Time) (string, string) {
	now = now.In(i18n.Riga)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, i18n.Riga).AddDate(0, -2, 0)
	return from.Format(reports.DateLayout), now.AddDate(0, 1, 0).Format(reports.DateLayout)
}

func reportPage(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	d := ReportData{From: q.Get("from"), To: q.Get("to"), Kinds: domain.Kinds, Roles: domain.Skills, ReturningAt: reports.ReturningAt}
	if d.From == "" && d.To == "" {
		d.From, d.To = defaultPeriod(time.Now())
	}
	status := http.StatusOK
	start, end, err := reports.ParsePeriod(d.From, d.To)
	if err != nil {
		d.Error = true
		status = http.StatusBadRequest
	} else {
		if d.Report, err = reports.Attendance(e.App, start, end); err != nil {
			return err
		}
		for _, t := range d.Report.Totals {
			d.Sum.Merge(*t)
		}
		d.Chart = NewChart(d.Report, start, end)
		if d.Hours, err = reports.Hours(e.App, start, end); err != nil {
			return err
		}
		if d.Series, err = seriesSections(e.App, start, end, time.Now()); err != nil {
			return err
		}
	}
	return web.Render(e, status, "manage/reports", web.NewConsolePage(e, "manage.reports", d))
}

// reportCSV is the report's CSV for the console's session.
func reportCSV(e *core.RequestEvent) error {
	return reportFile(e, reports.WriteAttendanceCSV)
}

// reportXLSX is the report as an Excel workbook.
func reportXLSX(e *core.RequestEvent) error {
	return reportFile(e, reports.WriteAttendanceXLSX)
}

// hoursCSV is the volunteers' hours of the period as CSV.
func hoursCSV(e *core.RequestEvent) error {
	return reportFile(e, reports.WriteVolunteerHoursCSV)
}

// reportFile answers with the report of ?from&to written by write, or the
// period's error page.
func reportFile(e *core.RequestEvent, write func(e *core.RequestEvent, from, to string, start, end time.Time) error) error {
	q := e.Request.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	start, end, err := reports.ParsePeriod(from, to)
	if err != nil {
		return web.ErrorPage(e, http.StatusBadRequest, "manage.reports", "manage.error.period")
	}
	return write(e, from, to, start, end)
}
