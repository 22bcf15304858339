// Package ticketfile makes the files that travel with a ticket: the QR code
// (a PNG of the ticket's address) and the calendar entry (iCalendar).
package ticketfile

import (
	"bytes"
	"compress/zlib"
	"container/list"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"sync"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"
	qrcode "github.com/skip2/go-qrcode"
)

// ModulePixels is the size of one QR module in the PNG. A ticket URL needs
// a 33×33 or 37×37 code; with the quiet zone that is a PNG of about 330 px:
// large enough to scan from a cracked phone screen at arm's length, a
// couple of kilobytes for slow links.
const ModulePixels = 8

// QR renders url as a black-and-white PNG QR code with medium error
// correction. It writes the PNG itself: a 1-bit grayscale image whose rows
// are packed straight from the code's modules and compressed with a pooled
// zlib writer. The standard encoder read every pixel through an interface
// and allocated a new compressor (about 1.5 MB) for each image; a burst of
// ticket mails then spent most of its time drawing QR codes and collecting
// their garbage.
func QR(url string) ([]byte, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	return encodePNG(q.Bitmap()) // the bitmap includes the quiet zone
}

var zlibPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

// encodePNG writes modules (true = dark) as a PNG with ModulePixels pixels
// per module: white 1, black 0 in 1-bit grayscale.
func encodePNG(modules [][]bool) ([]byte, error) {
	size := len(modules) * ModulePixels
	stride := (size + 7) / 8

	// The image data: each row is a filter byte (0, none) and its bits.
	var raw bytes.Buffer
	raw.Grow((stride + 1) * size)
	row := make([]byte, stride+1)
	for _, line := range modules {
		clear(row)
		for x := 0; x < size; x++ {
			if !line[x/ModulePixels] {
				row[1+x/8] |= 0x80 >> (x % 8) // white
			}
		}
		for range ModulePixels {
			raw.Write(row)
		}
	}
	var idat bytes.Buffer
	zw := zlibPool.Get().(*zlib.Writer)
	zw.Reset(&idat)
	_, err := zw.Write(raw.Bytes())
	if err == nil {
		err = zw.Close()
	}
	zlibPool.Put(zw)
	if err != nil {
		return nil, err
	}

	var out bytes.Buffer
	out.Grow(idat.Len() + 64)
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 1 // bit depth
	ihdr[9] = 0 // grayscale; compression, filter and interlace 0
	writeChunk(&out, "IHDR", ihdr[:])
	writeChunk(&out, "IDAT", idat.Bytes())
	writeChunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

func writeChunk(w *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	w.WriteString(kind)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// QRCache keeps recently rendered QR codes, so a ticket page reloaded at the
// door (or a mail re-sent) does not render the same image again.
type QRCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recent; values are keys
	items map[string]*list.Element
	data  map[string][]byte
}

// NewQRCache holds at most max images (about 2 KB each).
func NewQRCache(max int) *QRCache {
	return &QRCache{max: max, order: list.New(), items: map[string]*list.Element{}, data: map[string][]byte{}}
}

// Put stores an image rendered ahead of time.
func (c *QRCache) Put(url string, png []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(url, png)
}

func (c *QRCache) putLocked(url string, png []byte) {
	if el, ok := c.items[url]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[url] = c.order.PushFront(url)
	c.data[url] = png
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(string))
		delete(c.data, old.Value.(string))
	}
}

// Get returns the PNG for url, rendering it on a miss.
func (c *QRCache) Get(url string) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.items[url]; ok {
		c.order.MoveToFront(el)
		png := c.data[url]
		c.mu.Unlock()
		return png, nil
	}
	c.mu.Unlock()
	png, err := QR(url)
	if err != nil {
		return nil, err
	}
	c.Put(url, png)
	return png, nil
}

// Event is what a calendar entry says.
type Event struct {
	// UID is stable for a ticket, so a calendar updates its entry instead
	// of adding another when the file is opened twice.
	UID                          string
	Title, Description, Location string
	URL                          string
	Start, End                   time.Time
	// Cancelled marks the entry cancelled (the event or the ticket is
	// off); Tentative marks it tentative (a place on the waiting list).
	// Neither is a confirmed entry. A cancelled entry's file removes it:
	// METHOD:CANCEL beside STATUS:CANCELLED.
	Cancelled, Tentative bool
	// Sequence is the entry's version: a calendar that holds the entry
	// already takes a file with the same UID and a higher SEQUENCE as its
	// update (RFC 5545, 3.8.7.4). It grows with each change people are
	// told of.
	Sequence int
}

// Method is the iCalendar METHOD of the entry's file: CANCEL for a
// cancelled one, else PUBLISH. A mail's attachment names it in its
// Content-Type too.
func (e Event) Method() string {
	if e.Cancelled {
		return string(ics.MethodCancel)
	}
	return string(ics.MethodPublish)
}

// ContentType is the MIME type of the entry's file, with its method.
func (e Event) ContentType() string {
	return "text/calendar; charset=utf-8; method=" + e.Method()
}

// OneLine makes s fit a line of its own: every run of control characters
// and line or paragraph separators becomes one space, and the ends are
// trimmed. A title or a venue stored before Kopā refused line breaks in
// them (or written past it) must not end a header or a calendar line early.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, breaksLine) {
		return s
	}
	var b strings.Builder
	gap := false
	for _, r := range s {
		if breaksLine(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte(' ')
		}
		gap = false
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// breaksLine reports whether r may not stand inside one line of a header
// or a calendar file: a control character (CR, LF, tab, NUL …), or a
// Unicode line or paragraph separator.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// multiLine keeps the line breaks of a text, as LF (the calendar library
// writes them as "\n"), and drops any other control character.
func multiLine(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n").Replace(s)
	return strings.Map(func(r rune) rune {
		if r != '\n' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// ICS renders a one-event calendar. Times are written in UTC, which every
// calendar converts to the reader's zone (Europe/Riga for the NGO).
func ICS(e Event, now time.Time) []byte {
	cal := ics.NewCalendarFor("Kopā")
	cal.SetMethod(ics.Method(e.Method()))
	cal.SetProductId("-//Kopā//Kopā tickets//EN")
	addEvent(cal, e, now)
	return []byte(cal.Serialize(ics.WithNewLine("\r\n"))) // RFC 5545 lines end in CRLF
}

// ICSAll renders a calendar of several entries (the sessions of a weekly
// series), each as ICS writes one; the file is published (METHOD:PUBLISH),
// a cancelled entry marked STATUS:CANCELLED.
func ICSAll(list []Event, now time.Time) []byte {
	cal := ics.NewCalendarFor("Kopā")
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Kopā//Kopā tickets//EN")
	for _, e := range list {
		addEvent(cal, e, now)
	}
	return []byte(cal.Serialize(ics.WithNewLine("\r\n")))
}

func addEvent(cal *ics.Calendar, e Event, now time.Time) {
	ev := cal.AddEvent(e.UID)
	ev.SetDtStampTime(now.UTC())
	ev.SetSequence(e.Sequence)
	ev.SetStartAt(e.Start.UTC())
	ev.SetEndAt(e.End.UTC())
	ev.SetSummary(OneLine(e.Title))
	if d := multiLine(e.Description); d != "" {
		ev.SetDescription(d)
	}
	if l := OneLine(e.Location); l != "" {
		ev.SetLocation(l)
	}
	if u := OneLine(e.URL); u != "" {
		ev.SetURL(u)
	}
	switch {
	case e.Cancelled:
		ev.SetStatus(ics.ObjectStatusCancelled)
	case e.Tentative:
		ev.SetStatus(ics.ObjectStatusTentative)
	default:
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
}
