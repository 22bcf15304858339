package manage_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
	"github.com/xuri/excelize/v2"

	"kopa/hooks/reports"
)

// TestConsoleXLSX: the console offers each CSV as an Excel workbook too,
// for the organiser's session.
func TestConsoleXLSX(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	regs := "/manage/events/" + f.ev.Id + "/registrations"
	open := func(t testing.TB, res *http.Response) *excelize.File {
		t.Helper()
		if ct := res.Header.Get("Content-Type"); ct != reports.XLSXType {
			t.Errorf("content type %q", ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("cache control %q", cc)
		}
		book, err := excelize.OpenReader(res.Body)
		if err != nil {
			t.Fatalf("open the workbook: %v", err)
		}
		t.Cleanup(func() { book.Close() })
		return book
	}
	run(t, f.src, []tests.ApiScenario{
		{Name: "the registrations page links both files", Method: http.MethodGet, URL: regs + "?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`href="` + regs + `.csv" download>Download CSV`, `href="` + regs + `.xlsx" download>Download for Excel (.xlsx)`}},
		{Name: "the front page links both files", Method: http.MethodGet, URL: "/manage", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`href="` + regs + `.csv" download>CSV`, `href="` + regs + `.xlsx" download>XLSX`}},
		{Name: "the reports page links both files", Method: http.MethodGet, URL: "/manage/reports?from=2026-01-01&to=2026-01-31&lang=ru", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`href="/manage/reports.csv?from=2026-01-01&amp;to=2026-01-31" download>Скачать CSV`,
				`href="/manage/reports.xlsx?from=2026-01-01&amp;to=2026-01-31" download>Скачать для Excel (.xlsx)`}},
		{Name: "registrations as a workbook", Method: http.MethodGet, URL: regs + ".xlsx", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"PK\x03\x04"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				rows, err := open(t, res).GetRows("registrations")
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != 3 || rows[0][0] != "name" || rows[1][0] != "Amina" || rows[2][0] != "Мария" || rows[2][3] != "ru" {
					t.Errorf("rows %q", rows)
				}
			}},
		{Name: "report as a workbook", Method: http.MethodGet, URL: "/manage/reports.xlsx?from=2026-01-01&to=2026-01-31", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"PK\x03\x04"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				rows, err := open(t, res).GetRows("attendance")
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != 4 || rows[0][0] != "id" || rows[1][2] != "total" {
					t.Errorf("rows %q", rows)
				}
			}},
		{Name: "report workbook of a bad period", Method: http.MethodGet, URL: "/manage/reports.xlsx?from=2026-01-31&to=2026-01-01&lang=en", Headers: f.orgH, ExpectedStatus: 400,
			ExpectedContent: []string{"<html"}},
		{Name: "workbook of an unknown event", Method: http.MethodGet, URL: "/manage/events/nosuchevent0000/registrations.xlsx", Headers: f.orgH, ExpectedStatus: 404,
			ExpectedContent: []string{"<html"}},
	})
}
