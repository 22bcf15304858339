package ticketfile_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

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
