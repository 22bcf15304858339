package notices_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/notices"
	"kopa/hooks/outbox"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// people is an event with its people: registrations in three languages
// (one waitlisted, one cancelled), a volunteer who accepted a shift, one
// invited to it and one who declined.
type people struct {
	app                 *tests.TestApp
	mp                  *mailpit.Server
	ev, shift           *core.Record
	anna, ivan, john    *core.Record // lv confirmed, ru waitlisted, en confirmed
	olek                *core.Record // cancelled
	vAccepted, vInvited *core.Record
}

// newPeople starts mailpit and an app that sends to it. No worker runs:
// the test flushes the outbox when it wants the mail.
func newPeople(t *testing.T) *people {
	t.Helper()
	p := &people{mp: mailpit.Start(t)}
	p.app = kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(p.app, p.mp.SMTPHost(), p.mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	kopatest.ChangeSettings(t, p.app, func(s *core.Settings) { s.Meta.AppURL = "https://kopa.example.org" })
	starts := time.Date(2031, 3, 12, 16, 0, 0, 0, time.UTC) // 18:00 in Riga
	p.ev = kopatest.Event(t, p.app, kopatest.EventOpts{Title: "Kultūršoks", Starts: starts, Capacity: 2, Waitlist: true})
	p.anna = registration(t, p.app, p.ev, "Anna", "anna@example.com", "confirmed", "lv")
	p.john = registration(t, p.app, p.ev, "John", "john@example.com", "confirmed", "en")
	p.ivan = registration(t, p.app, p.ev, "Иван", "ivan@example.com", "waitlisted", "ru")
	p.olek = registration(t, p.app, p.ev, "Olek", "olek@example.com", "cancelled", "lv")
	p.shift = kopatest.Shift(t, p.app, p.ev, "door", starts.Add(-30*time.Minute), starts.Add(2*time.Hour))
	p.vAccepted = kopatest.Volunteer(t, p.app, "vera@example.com", []string{"ru"}, []string{"door"})
	p.vInvited = kopatest.Volunteer(t, p.app, "ilze@example.com", []string{"lv"}, []string{"door"})
	declined := kopatest.Volunteer(t, p.app, "dana@example.com", []string{"en"}, []string{"door"})
	kopatest.Assignment(t, p.app, p.shift, p.vAccepted, "accepted")
	kopatest.Assignment(t, p.app, p.shift, p.vInvited, "invited")
	kopatest.Assignment(t, p.app, p.shift, declined, "declined")
	p.vInvited.Set("locale", "lv")
	if err := p.app.Save(p.vInvited); err != nil {
		t.Fatal(err)
	}
	// The tickets went out before the change.
	p.send(t)
	p.mp.DeleteAll(t)
	return p
}

func registration(t testing.TB, app core.App, ev *core.Record, name, email string, status domain.RegistrationStatus, locale string) *core.Record {
	t.Helper()
	r := kopatest.Registration(t, app, ev, name, email, status)
	r.Set("locale", locale)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// edit changes the event as the record API or the console would.
func (p *people) edit(t testing.TB, fields map[string]any) {
	t.Helper()
	ev, err := p.app.FindRecordById("events", p.ev.Id)
	if err != nil {
		t.Fatal(err)
	}
	ev.Load(fields)
	if err := p.app.Save(ev); err != nil {
		t.Fatal(err)
	}
	p.ev = ev
}

// send makes every waiting mail due (the notices wait a while) and sends
// them, returning how many went out.
func (p *people) send(t testing.TB) int {
	t.Helper()
	if err := outbox.RetryNow(p.app); err != nil {
		t.Fatal(err)
	}
	n, err := outbox.Flush(p.app)
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	return n
}

// mailTo is the one mail addr received.
func (p *people) mailTo(t testing.TB, addr string) mailpit.Message {
	t.Helper()
	list := p.mp.To(t, addr)
	if len(list) != 1 {
		t.Fatalf("%d mails to %s, want 1", len(list), addr)
	}
	return p.mp.Message(t, list[0].ID)
}

// calendar parses a mail's calendar attachment and returns its method and
// its one entry's properties.
func calendar(t testing.TB, mp *mailpit.Server, m mailpit.Message, name string) (method string, prop func(ics.ComponentProperty) string) {
	t.Helper()
	part, ok := m.Attachment(name)
	if !ok {
		t.Fatalf("%q: no %s attached (%+v)", m.Subject, name, m.Attachments)
	}
	if !strings.HasPrefix(part.ContentType, "text/calendar") {
		t.Errorf("%s is %s", name, part.ContentType)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(mp.Attachment(t, m.ID, part.PartID)))
	if err != nil {
		t.Fatalf("%s does not parse: %v", name, err)
	}
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ics.PropertyMethod) {
			method = p.Value
		}
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%s holds %d events", name, len(evs))
	}
	return method, func(k ics.ComponentProperty) string {
		if v := evs[0].GetProperty(k); v != nil {
			return v.Value
		}
		return ""
	}
}

// TestChangeNoticeUpdatesTheCalendarEntry: moving a published event by an
// hour mails everyone confirmed or waiting and every invited or accepted
// volunteer, each in their language, saying what changed (old → new); the
// calendar file updates the same entry (same UID, higher SEQUENCE). The
// cancelled registration and the volunteer who declined hear nothing.
func TestChangeNoticeUpdatesTheCalendarEntry(t *testing.T) {
	t.Parallel()
	p := newPeople(t)
	starts := p.ev.GetDateTime("starts_at").Time()
	p.edit(t, map[string]any{"starts_at": starts.Add(time.Hour), "ends_at": starts.Add(3 * time.Hour)})
	if got := p.ev.GetInt("sequence"); got != 1 {
		t.Fatalf("sequence %d after the change, want 1", got)
	}

	// The notices wait, so that quick edits make one mail.
	if n, err := outbox.Flush(p.app); n != 0 || err != nil {
		t.Fatalf("sent %d at once (%v); the notices should wait", n, err)
	}
	rows, err := p.app.FindAllRecords(outbox.Collection, dbx.In("template", notices.MailChanged, notices.MailChangedVolunteer))
	if err != nil || len(rows) != 5 {
		t.Fatalf("%d notices queued (%v), want 5", len(rows), err)
	}
	for _, r := range rows {
		if wait := time.Until(r.GetDateTime("next_attempt_at").Time()); wait < time.Minute {
			t.Errorf("notice to %s due in %v", r.GetString("to"), wait)
		}
	}

	if n := p.send(t); n != 5 {
		t.Fatalf("sent %d notices, want 5", n)
	}
	for _, c := range []struct {
		to, subject, when string
		r                 *core.Record
	}{
		{"anna@example.com", "Izmaiņas: Kultūršoks", "18:00–20:00", p.anna},
		{"john@example.com", "Changed: Kultūršoks (en)", "18:00–20:00", p.john},
		{"ivan@example.com", "Изменения: Kultūršoks (ru)", "18:00–20:00", p.ivan},
	} {
		m := p.mailTo(t, c.to)
		if m.Subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.to, m.Subject, c.subject)
		}
		for _, body := range []string{m.Text, m.HTML} {
			if !strings.Contains(body, c.when) || !strings.Contains(body, "19:00–21:00") {
				t.Errorf("%s: the mail does not say old and new time:\n%s", c.to, body)
			}
		}
		if !strings.Contains(m.Text, c.when+" → ") {
			t.Errorf("%s: no old → new line in %q", c.to, m.Text)
		}
		method, prop := calendar(t, p.mp, m, "event.ics")
		if method != "PUBLISH" || prop(ics.ComponentPropertyUniqueId) != c.r.Id+"@kopa" || prop(ics.ComponentPropertySequence) != "1" {
			t.Errorf("%s: calendar %s UID %s SEQUENCE %s", c.to, method, prop(ics.ComponentPropertyUniqueId), prop(ics.ComponentPropertySequence))
		}
		if got := prop(ics.ComponentPropertyDtStart); got != "20310312T170000Z" {
			t.Errorf("%s: DTSTART %s", c.to, got)
		}
	}
	if m := p.mailTo(t, "ivan@example.com"); !strings.Contains(m.Text, "лист") && !strings.Contains(m.Text, "ожидания") {
		t.Errorf("the waitlisted notice does not say so: %s", m.Text)
	}

	vera := p.mailTo(t, "vera@example.com")
	if vera.Subject != "Changed: Kultūršoks (en)" || !strings.Contains(vera.Text, "Your shift") {
		t.Errorf("accepted volunteer's notice %q:\n%s", vera.Subject, vera.Text)
	}
	_, prop := calendar(t, p.mp, vera, "shift.ics")
	if prop(ics.ComponentPropertySequence) != "1" || !strings.HasSuffix(prop(ics.ComponentPropertyUniqueId), "@kopa") {
		t.Errorf("shift calendar UID %s SEQUENCE %s", prop(ics.ComponentPropertyUniqueId), prop(ics.ComponentPropertySequence))
	}
	ilze := p.mailTo(t, "ilze@example.com")
	if ilze.Subject != "Izmaiņas: Kultūršoks" || !strings.Contains(ilze.Text, "aicināts") {
		t.Errorf("invited volunteer's notice %q:\n%s", ilze.Subject, ilze.Text)
	}
	for _, addr := range []string{"olek@example.com", "dana@example.com"} {
		if n := len(p.mp.To(t, addr)); n != 0 {
			t.Errorf("%s got %d mails", addr, n)
		}
	}
}

// TestQuickEditsMakeOneMail: three edits in a row (time, venue, title)
// reach each person as one mail that says all three, old → new; someone
// who registered between the edits hears only of what changed after.
func TestQuickEditsMakeOneMail(t *testing.T) {
	t.Parallel()
	p := newPeople(t)
	starts := p.ev.GetDateTime("starts_at").Time()
	p.edit(t, map[string]any{"starts_at": starts.Add(time.Hour), "ends_at": starts.Add(3 * time.Hour)})
	// Records' created times are to the millisecond: the registration and
	// the changes on either side of it must not share one.
	time.Sleep(5 * time.Millisecond)
	registration(t, p.app, p.ev, "Late", "late@example.com", "waitlisted", "en")
	time.Sleep(5 * time.Millisecond)
	p.edit(t, map[string]any{"venue": "Rīga, Tērbatas iela 5"})
	p.edit(t, map[string]any{"title_lv": "Kultūršoks un dialogs", "title_en": "Culture shock and dialogue"})
	if got := p.ev.GetInt("sequence"); got != 3 {
		t.Errorf("sequence %d after three changes, want 3", got)
	}
	if n := p.send(t); n != 6 {
		t.Errorf("sent %d mails, want 6 (one per person)", n)
	}
	for _, addr := range []string{"anna@example.com", "john@example.com", "ivan@example.com", "vera@example.com", "ilze@example.com", "late@example.com"} {
		if n := len(p.mp.To(t, addr)); n != 1 {
			t.Errorf("%s got %d mails, want 1", addr, n)
		}
	}
	anna := p.mailTo(t, "anna@example.com")
	t.Log(anna.Text)
	t.Log(p.mailTo(t, "vera@example.com").Text)
	t.Log(p.mailTo(t, "ivan@example.com").HTML)
	for _, want := range []string{"18:00–20:00 → ", "19:00–21:00", "Rīga, Brīvības iela 1 → Rīga, Tērbatas iela 5", "Kultūršoks → Kultūršoks un dialogs"} {
		if !strings.Contains(anna.Text, want) {
			t.Errorf("Anna's mail lacks %q:\n%s", want, anna.Text)
		}
	}
	if anna.Subject != "Izmaiņas: Kultūršoks un dialogs" {
		t.Errorf("subject %q", anna.Subject)
	}
	_, prop := calendar(t, p.mp, anna, "event.ics")
	if prop(ics.ComponentPropertySequence) != "3" || prop(ics.ComponentPropertyUniqueId) != p.anna.Id+"@kopa" || prop(ics.ComponentPropertyLocation) != "Rīga\\, Tērbatas iela 5" && prop(ics.ComponentPropertyLocation) != "Rīga, Tērbatas iela 5" {
		t.Errorf("calendar SEQUENCE %s UID %s LOCATION %s", prop(ics.ComponentPropertySequence), prop(ics.ComponentPropertyUniqueId), prop(ics.ComponentPropertyLocation))
	}
	lateMail := p.mailTo(t, "late@example.com")
	if strings.Contains(lateMail.Text, "18:00–20:00") || !strings.Contains(lateMail.Text, "Tērbatas") || !strings.Contains(lateMail.Text, "Culture shock and dialogue") {
		t.Errorf("the late registration's mail should tell only what changed after it:\n%s", lateMail.Text)
	}
	skipped, _ := p.app.CountRecords(outbox.Collection, dbx.HashExp{"status": outbox.StatusSkipped})
	// Five people's notices of the two earlier edits, and the late
	// registration's of the second.
	if skipped != 11 {
		t.Errorf("%d notices skipped as superseded, want 11", skipped)
	}
}

// TestOtherEditsSendNothing: a new summary, capacity or waiting list,
// edits of a draft, and a change put back before the notice is sent, mail
// nobody; a title changed in Russian only is news to Russian readers
// alone.
func TestOtherEditsSendNothing(t *testing.T) {
	t.Parallel()
	p := newPeople(t)
	p.edit(t, map[string]any{"summary_lv": "Cits apraksts", "capacity": 3, "waitlist": false})
	if n, _ := p.app.CountRecords(outbox.Collection, dbx.HashExp{"template": notices.MailChanged}); n != 0 {
		t.Errorf("%d change notices queued for an edit nobody is told of", n)
	}
	// The raised capacity confirmed Ivan from the waiting list: that mail
	// is the waiting list's, not a change notice. Out of the way.
	if n := p.send(t); n != 1 {
		t.Errorf("sent %d mails after a capacity raise, want Ivan's confirmation alone", n)
	}
	p.mp.DeleteAll(t)
	if p.ev.GetInt("sequence") != 0 {
		t.Errorf("sequence %d after an edit of nothing announced", p.ev.GetInt("sequence"))
	}

	draft := kopatest.Event(t, p.app, kopatest.EventOpts{Title: "Melnraksts", Status: "draft"})
	kopatest.Registration(t, p.app, draft, "Early", "early@example.com", "confirmed")
	draft.Set("venue", "Citur")
	if err := p.app.Save(draft); err != nil {
		t.Fatal(err)
	}

	// Moved and moved back before the notice went out: nothing to say.
	old := p.ev.GetString("venue")
	p.edit(t, map[string]any{"venue": "Citur"})
	p.edit(t, map[string]any{"venue": old})
	if n := p.send(t); n != 0 {
		t.Errorf("sent %d mails for a change undone", n)
	}

	p.edit(t, map[string]any{"title_ru": "Культурный шок"})
	if n := p.send(t); n != 1 {
		t.Errorf("sent %d mails for a Russian title, want 1", n)
	}
	if m := p.mailTo(t, "ivan@example.com"); !strings.Contains(m.Text, "Kultūršoks (ru) → Культурный шок") {
		t.Errorf("Ivan's mail:\n%s", m.Text)
	}
}

// TestChangesThroughTheRecordAPIAreAnnounced: an organiser's PATCH of the
// event's venue queues the notices; the sequence cannot be set from
// outside.
func TestChangesThroughTheRecordAPIAreAnnounced(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs"})
	kopatest.Registration(t, src, ev, "Anna", "anna@example.com", "confirmed")
	kopatest.Registration(t, src, ev, "Olek", "olek@example.com", "waitlisted")
	h := map[string]string{"Authorization": kopatest.Token(t, org), "Content-Type": "application/json"}
	for _, s := range []tests.ApiScenario{
		{
			Name: "a new venue is announced", Method: http.MethodPatch, URL: "/api/collections/events/records/" + ev.Id, Headers: h,
			Body: strings.NewReader(`{"venue":"Citur","sequence":40}`), ExpectedStatus: 200,
			ExpectedContent: []string{`"venue":"Citur"`, `"sequence":1`},
			// The change is one record; its notices are rows the outbox's
			// Writer inserts, without record hooks.
			ExpectedEvents: map[string]int{"OnRecordUpdateRequest": 1, "OnRecordUpdateExecute": 1, "OnRecordCreateExecute": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				n, _ := app.CountRecords(outbox.Collection, dbx.HashExp{"template": notices.MailChanged, "status": outbox.StatusPending})
				c, _ := app.CountRecords("event_changes", dbx.HashExp{"event": ev.Id})
				if n != 2 || c != 1 {
					t.Errorf("%d notices and %d changes recorded, want 2 and 1", n, c)
				}
			},
		},
		{
			Name: "a new capacity is not", Method: http.MethodPatch, URL: "/api/collections/events/records/" + ev.Id, Headers: h,
			Body: strings.NewReader(`{"capacity":30,"sequence":7}`), ExpectedStatus: 200,
			ExpectedContent: []string{`"capacity":30`, `"sequence":0`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(outbox.Collection, dbx.HashExp{"template": notices.MailChanged}); n != 0 {
					t.Errorf("%d change notices queued", n)
				}
			},
		},
	} {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
