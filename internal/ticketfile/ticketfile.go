// Package ticketfile makes the files that travel with a ticket: the QR code
// (a PNG of the ticket's address) and the calendar entry (iCalendar).
package ticketfile

import (
	"bytes"
	"container/list"
	"image"
	"image/color"
	"image/png"
	"sync"
	"time"

	ics "github.com/arran4/golang-ical"
	qrcode "github.com/skip2/go-qrcode"
)

// ModulePixels is the size of one QR module in the PNG. A ticket URL needs
// a 33×33 or 37×37 code; with the quiet zone that is a PNG of about 330 px:
// large enough to scan from a cracked phone screen at arm's length, a
// couple of kilobytes for slow links.
const ModulePixels = 8

var qrPalette = color.Palette{color.White, color.Black}

// QR renders url as a black-and-white PNG QR code with medium error
// correction. It draws the modules itself into a 1-bit image and encodes it
// with the fastest compression: the result is as small, and several times
// quicker to make than the library's own PNG.
func QR(url string) ([]byte, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bits := q.Bitmap() // includes the quiet zone
	n := len(bits) * ModulePixels
	img := image.NewPaletted(image.Rect(0, 0, n, n), qrPalette)
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < ModulePixels; dy++ {
				off := img.PixOffset(x*ModulePixels, y*ModulePixels+dy)
				for dx := 0; dx < ModulePixels; dx++ {
					img.Pix[off+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
	Cancelled                    bool
}

// ICS renders a one-event calendar. Times are written in UTC, which every
// calendar converts to the reader's zone (Europe/Riga for the NGO).
func ICS(e Event, now time.Time) []byte {
	cal := ics.NewCalendarFor("Kopā")
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Kopā//Kopā tickets//EN")
	ev := cal.AddEvent(e.UID)
	ev.SetDtStampTime(now.UTC())
	ev.SetStartAt(e.Start.UTC())
	ev.SetEndAt(e.End.UTC())
	ev.SetSummary(e.Title)
	if e.Description != "" {
		ev.SetDescription(e.Description)
	}
	if e.Location != "" {
		ev.SetLocation(e.Location)
	}
	if e.URL != "" {
		ev.SetURL(e.URL)
	}
	if e.Cancelled {
		ev.SetStatus(ics.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
	return []byte(cal.Serialize(ics.WithNewLine("\r\n"))) // RFC 5545 lines end in CRLF
}
