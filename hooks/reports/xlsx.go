package reports

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/xuri/excelize/v2"

	"kopa/hooks/attendance"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// XLSXType is the media type of an Excel workbook.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// The .xlsx downloads hold the CSV files' columns and rows for spreadsheet
// programs that read CSV badly: Excel set to Latvian expects ";" between
// cells and splits nothing at ",". Cells are typed rather than escaped:
//   - text goes in as text cells, never as formulas, so a name such as
//     "=HYPERLINK(…)" is shown as written and nothing runs (no leading '
//     as in the CSV, which a text cell would show);
//   - times are date cells in Riga's time, since a spreadsheet's dates have
//     no time zone (the CSV's are UTC text);
//   - counts are numbers.

func registrationsXLSX(e *core.RequestEvent) error {
	if err := organiser(e); err != nil {
		return err
	}
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such event.", nil)
	}
	return WriteRegistrationsXLSX(e, ev)
}

func attendanceXLSX(e *core.RequestEvent) error {
	q, err := reportQuery(e)
	if err != nil {
		return err
	}
	return WriteAttendanceXLSX(e, q.from, q.to, q.start, q.end)
}

// WriteRegistrationsXLSX answers with the rows of WriteRegistrationsCSV as
// an Excel workbook. The caller has checked that the visitor is an
// organiser.
func WriteRegistrationsXLSX(e *core.RequestEvent, ev *core.Record) error {
	rows, err := attendance.Registrations(e.App, ev.Id, 0)
	if err != nil {
		return err
	}
	b, err := newBook("registrations", RegistrationsHeader, []float64{28, 32, 12, 8, 20, 20, 7, 9, 8})
	if err != nil {
		return err
	}
	defer b.close()
	for _, r := range rows {
		b.add(r.Name, r.Email, string(r.Status), r.Locale, b.when(r.Created), b.when(r.CheckedInAt), r.Party, r.Childcare, r.Arrived)
	}
	return b.send(e, registrationsFilename(ev, ".xlsx"))
}

// WriteAttendanceXLSX answers with the rows of WriteAttendanceCSV as an
// Excel workbook. The caller has checked the visitor and the period.
func WriteAttendanceXLSX(e *core.RequestEvent, from, to string, start, end time.Time) error {
	rep, err := Attendance(e.App, start, end)
	if err != nil {
		return err
	}
	b, err := newBook("attendance", AttendanceHeader, []float64{17, 12, 40, 18, 8, 10, 11, 11, 16})
	if err != nil {
		return err
	}
	defer b.close()
	for _, r := range rep.Events {
		b.add(r.ID, r.Kind, r.Title, b.when(r.StartsAt), 1, r.Capacity, r.Confirmed, r.CheckedIn, noShowCell(r.Ended, r.NoShow()))
	}
	for _, k := range domain.Kinds {
		t := rep.Totals[k]
		b.add(nil, k, "total", nil, t.Events, nil, t.Registered, t.CheckedIn, noShowCell(t.HasNoShow(), t.NoShow()))
	}
	return b.send(e, safeFilename(".xlsx", "attendance", from, to))
}

// book is a workbook of one sheet being written row by row.
type book struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	rows int
	date int // the style of date cells
	err  error
}

// newBook starts a workbook whose one sheet has a bold, frozen header row
// and columns of the given widths.
func newBook(sheet string, header []string, widths []float64) (*book, error) {
	f := excelize.NewFile()
	b := &book{f: f}
	if err := b.setup(sheet, header, widths); err != nil {
		b.close()
		return nil, fmt.Errorf("start %s workbook: %w", sheet, err)
	}
	return b, nil
}

func (b *book) setup(sheet string, header []string, widths []float64) error {
	if err := b.f.SetSheetName(b.f.GetSheetName(0), sheet); err != nil {
		return err
	}
	bold, err := b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dateFormat := "yyyy-mm-dd hh:mm"
	if b.date, err = b.f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat}); err != nil {
		return err
	}
	if b.sw, err = b.f.NewStreamWriter(sheet); err != nil {
		return err
	}
	for i, w := range widths {
		if err := b.sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := b.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	b.add(cells...)
	return b.err
}

// add writes the next row: strings as text cells, ints as numbers, nil as
// an empty cell. The first error stops the writing and is kept for send.
func (b *book) add(cells ...any) {
	if b.err != nil {
		return
	}
	b.rows++
	ref, err := excelize.CoordinatesToCellName(1, b.rows)
	if err == nil {
		err = b.sw.SetRow(ref, cells)
	}
	b.err = err
}

// when makes a date cell in Riga's time of a time in PocketBase's form;
// nil (an empty cell) for no time.
func (b *book) when(s string) any {
	if s == "" {
		return nil
	}
	t, err := types.ParseDateTime(s)
	if err != nil || t.IsZero() {
		return s // never seen; keep the text rather than lose it
	}
	return excelize.Cell{StyleID: b.date, Value: t.Time().In(i18n.Riga)}
}

// send finishes the workbook and answers with it as a download. It is
// built in memory first, so a failure is an error answer, not half a file.
func (b *book) send(e *core.RequestEvent, filename string) error {
	if b.err == nil {
		b.err = b.sw.Flush()
	}
	if b.err != nil {
		return fmt.Errorf("write workbook %s: %w", filename, b.err)
	}
	buf, err := b.f.WriteToBuffer()
	if err != nil {
		return fmt.Errorf("write workbook %s: %w", filename, err)
	}
	h := e.Response.Header()
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	// Personal data: no browser or proxy keeps a copy.
	h.Set("Cache-Control", "no-store")
	return e.Blob(http.StatusOK, XLSXType, buf.Bytes())
}

// close removes the temporary files a large sheet may have needed.
func (b *book) close() { _ = b.f.Close() }
