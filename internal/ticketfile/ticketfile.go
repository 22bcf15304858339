// Package ticketfile makes the files that travel with a ticket: the QR code
// (a PNG of the ticket's address) and the calendar entry (iCalendar).
package ticketfile

import (
	"container/list"
	"sync"
	"time"

	ics "github.com/arran4/golang-ical"
	qrcode "github.com/skip2/go-qrcode"
)

// QRSize is the QR image's width and height in pixels: large enough to scan
// from a cracked phone screen at arm's length, small enough for slow links.
const QRSize = 384

// QR renders url as a PNG QR code with medium error correction.
func QR(url string) ([]byte, error) {
	return qrcode.Encode(url, qrcode.Medium, QRSize)
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[url]; !ok {
		c.items[url] = c.order.PushFront(url)
		c.data[url] = png
		for c.order.Len() > c.max {
			old := c.order.Back()
			c.order.Remove(old)
			delete(c.items, old.Value.(string))
			delete(c.data, old.Value.(string))
		}
	}
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
	return []byte(cal.Serialize())
}
