package reports_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"
	"github.com/xuri/excelize/v2"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/reports"
	"kopa/internal/kopatest"
)

// openXLSX checks a workbook answer's headers and opens it.
func openXLSX(t testing.TB, res *http.Response) *excelize.File {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != reports.XLSXType {
		t.Errorf("content type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("cache control %q", cc)
	}
	f, err := excelize.OpenReader(res.Body)
	if err != nil {
		t.Fatalf("open the workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// cell checks one cell's shown value and that it holds no formula.
func cell(t testing.TB, f *excelize.File, sheet, ref, want string) {
	t.Helper()
	got, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if got != want {
		t.Errorf("%s = %q, want %q", ref, got, want)
	}
	if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
		t.Errorf("%s holds the formula %q", ref, formula)
	}
}

// number checks that a cell holds a number (a date is one), not text.
func number(t testing.TB, f *excelize.File, sheet, ref string) {
	t.Helper()
	raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if _, err := strconv.ParseFloat(raw, 64); err != nil {
		t.Errorf("%s holds %q, not a number", ref, raw)
	}
	if typ, _ := f.GetCellType(sheet, ref); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("%s is text", ref)
	}
}

func cellType(t testing.TB, f *excelize.File, sheet, ref string, want excelize.CellType) {
	t.Helper()
	got, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if got != want {
		t.Errorf("%s has type %v, want %v", ref, got, want)
	}
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	// A December that is over, so that its events have ended and have
	// no-show rates; retention keeps their names meanwhile.
	keepNames(t, src)
	day := time.Date(2025, 12, 2, 16, 0, 0, 0, time.UTC) // 18:00 in Riga
	disc := kopatest.Event(t, src, kopatest.EventOpts{Title: "=1+1", Kind: "discussion", Capacity: 40, Starts: day})
	names := []string{"=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "Латвия", "Ģirts"}
	for i, n := range names {
		r := kopatest.Registration(t, src, disc, n, "guest"+string(rune('a'+i))+"@example.com", "confirmed")
		if i == 0 {
			if _, err := checkin.CheckIn(src, disc.Id, r.GetString("ticket"), "qr", day.Add(5*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	kopatest.Registration(t, src, disc, "Cancelled One", "c@example.com", "cancelled")
	org := map[string]string{"Authorization": kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))}
	vol := map[string]string{"Authorization": kopatest.Token(t, kopatest.Volunteer(t, src, "vol@example.com", nil, []string{"door"}))}
	regURL := "/api/events/" + disc.Id + "/registrations.xlsx"
	repURL := "/api/reports/attendance.xlsx?from=2025-12-01&to=2025-12-31"
	// A workbook is a zip: its parts' names are plain text in the answer.
	zip := []string{"PK\x03\x04", "xl/worksheets/sheet1.xml"}

	scenarios := []tests.ApiScenario{
		{Name: "registrations as a workbook", Method: http.MethodGet, URL: regURL, Headers: org, ExpectedStatus: 200,
			ExpectedContent: zip, ExpectedEvents: map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="registrations-2025-12-02-`+disc.Id+`.xlsx"` {
					t.Errorf("disposition %q", cd)
				}
				f := openXLSX(t, res)
				const s = "registrations"
				if got := f.GetSheetList(); len(got) != 1 || got[0] != s {
					t.Fatalf("sheets %v", got)
				}
				rows, err := f.GetRows(s)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != 1+len(names)+1 {
					t.Fatalf("%d rows, want the header and %d", len(rows), len(names)+1)
				}
				for i, h := range reports.RegistrationsHeader {
					ref, _ := excelize.CoordinatesToCellName(i+1, 1)
					cell(t, f, s, ref, h)
				}
				// Text cells as written: no formula, no leading '.
				for i, n := range names {
					ref, _ := excelize.CoordinatesToCellName(1, i+2)
					cell(t, f, s, ref, n)
					cellType(t, f, s, ref, excelize.CellTypeInlineString)
				}
				cell(t, f, s, "B2", "guesta@example.com")
				cell(t, f, s, "C2", "confirmed")
				cell(t, f, s, "D2", "lv")
				cell(t, f, s, "C8", "cancelled")
				// Times are dates in Riga's time.
				cell(t, f, s, "F2", "2025-12-02 18:05")
				number(t, f, s, "F2")
				number(t, f, s, "E2")
				cell(t, f, s, "F3", "")
				if registered, _ := f.GetCellValue(s, "E2"); len(registered) != len("2006-01-02 15:04") {
					t.Errorf("registered_at %q is no date", registered)
				}
			}},
		{Name: "no workbook for volunteers", Method: http.MethodGet, URL: regURL, Headers: vol, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no workbook anonymously", Method: http.MethodGet, URL: regURL, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "workbook of an unknown event", Method: http.MethodGet, URL: "/api/events/nosuchevent0000/registrations.xlsx", Headers: org, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "report as a workbook", Method: http.MethodGet, URL: repURL, Headers: org, ExpectedStatus: 200,
			ExpectedContent: zip,
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="attendance-2025-12-01-2025-12-31.xlsx"` {
					t.Errorf("disposition %q", cd)
				}
				f := openXLSX(t, res)
				const s = "attendance"
				rows, err := f.GetRows(s)
				if err != nil {
					t.Fatal(err)
				}
				want := [][]string{
					reports.AttendanceHeader,
					{disc.Id, "discussion", "=1+1", "2025-12-02 18:00", "1", "40", "6", "1", "83"},
					{"", "discussion", "total", "", "1", "", "6", "1", "83"},
					{"", "club", "total", "", "0", "", "0", "0", "0"},
					{"", "culture", "total", "", "0", "", "0", "0", "0"},
				}
				if len(rows) != len(want) {
					t.Fatalf("rows %q", rows)
				}
				for i := range want {
					for j := range want[i] {
						ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
						cell(t, f, s, ref, want[i][j])
					}
				}
				cellType(t, f, s, "C2", excelize.CellTypeInlineString)
				number(t, f, s, "D2")
				number(t, f, s, "F2")
			}},
		{Name: "report workbook: bad period", Method: http.MethodGet, URL: "/api/reports/attendance.xlsx?from=2025-12-01", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"to":{"code":"validation_required"`}},
		{Name: "no report workbook for volunteers", Method: http.MethodGet, URL: repURL, Headers: vol, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no report workbook anonymously", Method: http.MethodGet, URL: repURL, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
