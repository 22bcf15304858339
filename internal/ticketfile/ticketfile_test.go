package ticketfile_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	qrcode "github.com/skip2/go-qrcode"

	"kopa/internal/ticketfile"
)

func TestQRIsASquareBlackAndWhitePNG(t *testing.T) {
	data, err := ticketfile.QR("https://kopa.example.org/t/AbCdEfGhIjKlMnOpQrStUvWx")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx() < 200 || b.Dx()%ticketfile.ModulePixels != 0 {
		t.Errorf("size %v", b)
	}
	// The quiet zone is white, the finder pattern's corner black.
	q := 4 * ticketfile.ModulePixels
	if r, _, _, _ := img.At(1, 1).RGBA(); r != 0xffff {
		t.Error("quiet zone is not white")
	}
	if r, _, _, _ := img.At(q+1, q+1).RGBA(); r != 0 {
		t.Error("finder pattern is not black")
	}
	// Every pixel is its module's colour.
	code, err := qrcode.New("https://kopa.example.org/t/AbCdEfGhIjKlMnOpQrStUvWx", qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bits := code.Bitmap()
	if b.Dx() != len(bits)*ticketfile.ModulePixels {
		t.Fatalf("%d px for %d modules", b.Dx(), len(bits))
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			if dark := bits[y/ticketfile.ModulePixels][x/ticketfile.ModulePixels]; dark != (r == 0) || (r != 0 && r != 0xffff) {
				t.Fatalf("pixel %d,%d is %#x, module dark = %v", x, y, r, dark)
			}
		}
	}
}

// BenchmarkQR draws a ticket's QR code (what the mail worker does for each
// ticket mail):
//
//	go test -run '^$' -bench QR -benchmem ./internal/ticketfile/
func BenchmarkQR(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ticketfile.QR("https://kopa.example.org/t/AbCdEfGhIjKlMnOpQrStUvWx"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestQRCacheIsBounded(t *testing.T) {
	c := ticketfile.NewQRCache(2)
	a1, _ := c.Get("a")
	c.Get("b")
	a2, _ := c.Get("a") // a is now the most recent
	if &a1[0] != &a2[0] {
		t.Error("a hit should return the cached image")
	}
	c.Get("c") // evicts b
	b2, _ := c.Get("b")
	b3, _ := c.Get("b")
	if &b2[0] != &b3[0] {
		t.Error("b should be cached again")
	}
}

func TestICS(t *testing.T) {
	start := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	cal := string(ticketfile.ICS(ticketfile.Event{
		UID: "abc@kopa", Title: "Bēgļu nodarbinātība; dialogs, kopā", Location: "Rīga",
		URL: "https://kopa.example.org/t/x", Start: start, End: start.Add(2 * time.Hour),
	}, start.Add(-time.Hour)))
	for _, want := range []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:", "BEGIN:VEVENT", "UID:abc@kopa",
		"DTSTART:20261201T160000Z", "DTEND:20261201T180000Z", `SUMMARY:Bēgļu nodarbinātība\; dialogs\, kopā`, "LOCATION:Rīga", "STATUS:CONFIRMED", "END:VCALENDAR"} {
		if !strings.Contains(cal, want) {
			t.Errorf("calendar lacks %q:\n%s", want, cal)
		}
	}
	if !strings.Contains(cal, "\r\n") {
		t.Error("lines must end in CRLF")
	}
}

// TestICSUpdateAndCancel: a later version of an entry keeps its UID with a
// higher SEQUENCE; a cancelled one is a CANCEL of the same UID. Both parse.
func TestICSUpdateAndCancel(t *testing.T) {
	start := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	e := ticketfile.Event{UID: "abc@kopa", Title: "Kultūršoks", Start: start, End: start.Add(time.Hour), Sequence: 2}
	for _, c := range []struct {
		cancelled      bool
		method, status string
	}{{false, "PUBLISH", "CONFIRMED"}, {true, "CANCEL", "CANCELLED"}} {
		e.Cancelled = c.cancelled
		cal, err := ics.ParseCalendar(bytes.NewReader(ticketfile.ICS(e, start)))
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		evs := cal.Events()
		if len(evs) != 1 {
			t.Fatalf("%s: %d events", c.method, len(evs))
		}
		get := func(p ics.ComponentProperty) string {
			if prop := evs[0].GetProperty(p); prop != nil {
				return prop.Value
			}
			return ""
		}
		if get(ics.ComponentPropertyUniqueId) != "abc@kopa" || get(ics.ComponentPropertySequence) != "2" || get(ics.ComponentPropertyStatus) != c.status {
			t.Errorf("%s: UID %q SEQUENCE %q STATUS %q", c.method, get(ics.ComponentPropertyUniqueId), get(ics.ComponentPropertySequence), get(ics.ComponentPropertyStatus))
		}
		if !strings.Contains(string(ticketfile.ICS(e, start)), "METHOD:"+c.method+"\r\n") || !strings.HasSuffix(e.ContentType(), "method="+c.method) {
			t.Errorf("%s: method not said (%s)", c.method, e.ContentType())
		}
	}
}

// TestICSStatus: a waiting-list place is a tentative entry, a cancelled
// one (even if it was waiting) a cancelled entry, a seat a confirmed one.
func TestICSStatus(t *testing.T) {
	start := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		cancelled, tentative bool
		want                 string
	}{
		{false, false, "STATUS:CONFIRMED"},
		{false, true, "STATUS:TENTATIVE"},
		{true, false, "STATUS:CANCELLED"},
		{true, true, "STATUS:CANCELLED"},
	} {
		cal := string(ticketfile.ICS(ticketfile.Event{UID: "abc@kopa", Title: "Kopā", Start: start, End: start.Add(time.Hour),
			Cancelled: c.cancelled, Tentative: c.tentative}, start))
		if n := strings.Count(cal, "STATUS:"); n != 1 || !strings.Contains(cal, c.want+"\r\n") {
			t.Errorf("cancelled %v, tentative %v: want %s once:\n%s", c.cancelled, c.tentative, c.want, cal)
		}
	}
}

// TestICSWithControlCharacters: a title or venue holding line breaks (old
// data, stored before they were refused) still makes a valid calendar: each
// is one line, the description keeps its lines as "\n", and nothing else
// of the file moves.
func TestICSWithControlCharacters(t *testing.T) {
	start := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	data := ticketfile.ICS(ticketfile.Event{
		UID: "abc@kopa", Title: "Diskusija\r\nBEGIN:VALARM\r\n", Location: "Rīga,\n\tcentrs\u2028",
		Description: "pirmā\r\notrā\x00 rinda\rtrešā", URL: "https://kopa.example.org/t/x\r\n",
		Start: start, End: start.Add(2 * time.Hour),
	}, start)
	cal := string(data)
	for i, line := range strings.Split(strings.TrimSuffix(cal, "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n\x00\t\u2028") {
			t.Errorf("line %d holds a control character: %q", i+1, line)
		}
	}
	for _, want := range []string{"SUMMARY:Diskusija BEGIN:VALARM\r\n", `LOCATION:Rīga\, centrs` + "\r\n",
		`DESCRIPTION:pirmā\notrā rinda\ntrešā` + "\r\n", "URL:https://kopa.example.org/t/x\r\n"} {
		if !strings.Contains(cal, want) {
			t.Errorf("calendar lacks %q:\n%s", want, cal)
		}
	}
	if n := strings.Count(cal, "\r\nBEGIN:") + strings.Count(cal[:6], "BEGIN:"); n != 2 {
		t.Errorf("%d BEGIN lines, want VCALENDAR and VEVENT only:\n%s", n, cal)
	}
	parsed, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil || len(parsed.Events()) != 1 {
		t.Fatalf("the calendar does not parse back: %v", err)
	}
	if got := parsed.Events()[0].GetProperty(ics.ComponentPropertySummary).Value; got != "Diskusija BEGIN:VALARM" {
		t.Errorf("summary %q", got)
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"Diskusija":                 "Diskusija",
		"Diskusija\r\nBcc: x":       "Diskusija Bcc: x",
		"  a\t\tb\u2029c\x00 ":      "a b c",
		"\r\n":                      "",
		"Rīga, Tērbatas iela 1\x7f": "Rīga, Tērbatas iela 1",
	} {
		if got := ticketfile.OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
