// Package csvsafe writes CSV that spreadsheet programs open safely: UTF-8
// with a byte-order mark (so Latvian and Cyrillic letters show right), and
// no cell that a spreadsheet would run as a formula.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// BOM is the UTF-8 byte-order mark that tells spreadsheets the encoding.
const BOM = "\ufeff"

// EscapeCell defuses a cell a spreadsheet would treat as a formula: one that
// begins with =, +, -, @, a tab or a carriage return gets a leading '.
func EscapeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer writes escaped rows after the BOM.
type Writer struct{ w *csv.Writer }

// NewWriter writes the BOM to w and returns a Writer.
func NewWriter(w io.Writer) (*Writer, error) {
	if _, err := io.WriteString(w, BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &Writer{w: cw}, nil
}

// Write escapes every cell of row and writes it.
func (w *Writer) Write(row []string) error {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = EscapeCell(c)
	}
	return w.w.Write(out)
}

// Flush writes any buffered data and reports an error from the writes.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}
