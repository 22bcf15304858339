package registration_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/settings"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// mailApp is a whole Kopā serving on loopback and sending to mailpit.
func mailApp(t *testing.T) (*mailpit.Server, *tests.TestApp, string) {
	t.Helper()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app) // sets meta.appURL, starts the worker
	return mp, app, srv.URL
}

// person registers name at ev with a locale and a status.
func person(t *testing.T, app core.App, ev *core.Record, name, locale string, status domain.RegistrationStatus) *core.Record {
	t.Helper()
	r := kopatest.Registration(t, app, ev, name, strings.ToLower(name)+"@example.com", status)
	r.Set("locale", locale)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// calendar parses the calendar file attached to a mail and returns its
// one event.
func calendar(t *testing.T, mp *mailpit.Server, m mailpit.Message) *ics.VEvent {
	t.Helper()
	part, ok := m.Attachment("event.ics")
	if !ok || !strings.HasPrefix(part.ContentType, "text/calendar") {
		t.Fatalf("no calendar attached to %q (%+v)", m.Subject, m.Attachments)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(mp.Attachment(t, m.ID, part.PartID)))
	if err != nil {
		t.Fatalf("the calendar of %q does not parse: %v", m.Subject, err)
	}
	if evs := cal.Events(); len(evs) == 1 {
		return evs[0]
	}
	t.Fatalf("the calendar of %q has %d events", m.Subject, len(cal.Events()))
	return nil
}

func prop(ev *ics.VEvent, p ics.ComponentProperty) string {
	if v := ev.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

// TestRemindersMailOnce moves the job's clock: each confirmed registration
// of a published event that starts within reminder_hours gets one reminder,
// in its language, with the ticket, its QR code, the calendar file and the
// "can't come" link; waiting, cancelled and last-minute registrations, and
// cancelled events, get none; a second run sends nothing, and a later event
// waits its turn.
func TestRemindersMailOnce(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	now := time.Now()
	soon := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Starts: now.Add(20 * time.Hour), Capacity: 4, Waitlist: true})
	anna := person(t, app, soon, "Anna", "lv", "confirmed")
	olek := person(t, app, soon, "Olek", "en", "confirmed")
	ivan := person(t, app, soon, "Ivan", "ru", "confirmed")
	gone := person(t, app, soon, "Gone", "en", "confirmed") // cancels before the mail goes out
	person(t, app, soon, "Leyla", "ru", "waitlisted")       // confirmed when Gone cancels
	person(t, app, soon, "Farid", "en", "cancelled")
	lastMinute := kopatest.Event(t, app, kopatest.EventOpts{Title: "Pēdējā brīdī", Starts: now.Add(50 * time.Minute)})
	person(t, app, lastMinute, "Late", "en", "confirmed") // registered 50 minutes before the start
	off := kopatest.Event(t, app, kopatest.EventOpts{Title: "Atcelts", Starts: now.Add(20 * time.Hour)})
	person(t, app, off, "Off", "en", "confirmed")
	off.Set("status", "cancelled")
	if err := app.Save(off); err != nil {
		t.Fatal(err)
	}
	draft := kopatest.Event(t, app, kopatest.EventOpts{Title: "Melnraksts", Starts: now.Add(20 * time.Hour)})
	person(t, app, draft, "Draft", "en", "confirmed")
	draft.Set("status", "draft")
	if err := app.Save(draft); err != nil {
		t.Fatal(err)
	}
	later := kopatest.Event(t, app, kopatest.EventOpts{Title: "Ekskursija", Starts: now.Add(72 * time.Hour)})
	laura := person(t, app, later, "Laura", "en", "confirmed")
	// Who got a reminder queued, by name.
	reminded := func() map[string]bool {
		t.Helper()
		rows, err := app.FindAllRecords(outbox.Collection)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, row := range rows {
			if row.GetString("template") == "ticket_reminder" {
				r, err := app.FindRecordById("registrations", row.GetString("ref"))
				if err != nil {
					t.Fatal(err)
				}
				names[r.GetString("name")] = true
			}
		}
		return names
	}

	for i, want := range []int{4, 0, 0} {
		n, err := registration.SendReminders(app, now.Add(time.Duration(i)*time.Minute))
		if err != nil || n != want {
			t.Fatalf("run %d: %d reminders, %v; want %d", i, n, err, want)
		}
	}
	if _, _, err := registration.Cancel(app, gone.GetString("ticket"), now); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	if got := reminded(); len(got) != 4 || !got["Anna"] || !got["Olek"] || !got["Ivan"] || !got["Gone"] {
		t.Errorf("reminders queued for %v, want Anna, Olek, Ivan and Gone", got)
	}
	mp.WaitFor(t, 5, 10*time.Second) // the three reminders, Leyla's seat and Off's cancellation
	subjects := map[string]string{
		"lv": "Atgādinājums: Sarunu klubs",
		"en": "Reminder: Sarunu klubs (en)",
		"ru": "Напоминание: Sarunu klubs (ru)",
	}
	cantCome := map[string]string{"lv": "Nevaru ierasties", "en": "I cannot come", "ru": "Не смогу прийти"}
	for _, r := range []*core.Record{anna, olek, ivan} {
		lang := r.GetString("locale")
		list := mp.To(t, r.GetString("email"))
		if len(list) != 1 {
			t.Fatalf("%s: %d mails", r.GetString("name"), len(list))
		}
		m := mp.Message(t, list[0].ID)
		if m.Subject != subjects[lang] {
			t.Errorf("%s: subject %q, want %q", lang, m.Subject, subjects[lang])
		}
		ticket := base + "/t/" + r.GetString("ticket")
		for _, body := range []string{m.Text, m.HTML} {
			if !strings.Contains(body, ticket) || !strings.Contains(body, ticket+"/cancel") || !strings.Contains(body, cantCome[lang]) {
				t.Errorf("%s: the mail lacks the ticket link, the can't-come link or its label:\n%s", lang, body)
			}
		}
		if !strings.Contains(m.HTML, `href="`+ticket+`/cancel"`) {
			t.Errorf("%s: the can't-come link is not a link in the HTML", lang)
		}
		if _, ok := m.Attachment("ticket-qr.png"); !ok || !strings.Contains(m.HTML, "cid:ticket-qr.png") {
			t.Errorf("%s: no QR code", lang)
		}
		cal := calendar(t, mp, m)
		if cal.Id() != r.Id+"@kopa" || prop(cal, ics.ComponentPropertyStatus) != "CONFIRMED" {
			t.Errorf("%s: calendar entry %s, %s", lang, cal.Id(), prop(cal, ics.ComponentPropertyStatus))
		}
		if got, _ := app.FindRecordById("registrations", r.Id); got.GetDateTime("reminded_at").IsZero() {
			t.Errorf("%s: reminded_at not set", lang)
		}
	}
	for _, name := range []string{"gone", "farid", "late", "draft", "laura"} {
		if n := len(mp.To(t, name+"@example.com")); n != 0 {
			t.Errorf("%s was mailed (%d mails)", name, n)
		}
	}
	if row, err := app.FindFirstRecordByFilter(outbox.Collection, "template = 'ticket_reminder' && ref = {:ref}", map[string]any{"ref": gone.Id}); err != nil || row.GetString("status") != outbox.StatusSkipped {
		t.Errorf("the reminder of a registration cancelled meanwhile: %v %v", row, err)
	}

	// Two days on, the later event is due; nobody else is reminded again.
	if n, err := registration.SendReminders(app, now.Add(49*time.Hour)); n != 1 || err != nil {
		t.Fatalf("later: %d %v", n, err)
	}
	if n, err := registration.SendReminders(app, now.Add(49*time.Hour+time.Minute)); n != 0 || err != nil {
		t.Fatalf("later again: %d %v", n, err)
	}
	if got := reminded(); len(got) != 5 || !got["Laura"] {
		t.Errorf("reminders queued for %v, want Laura's too", got)
	}
	if n := mails(t, app, "ticket_reminder"); n != 5 {
		t.Errorf("%d reminders queued in all, want 5", n)
	}
	if r, _ := app.FindRecordById("registrations", laura.Id); r.GetDateTime("reminded_at").IsZero() {
		t.Error("the later event's registration was not marked")
	}
}

// TestReminderHours: the window follows the organisation's reminder_hours,
// and 0 sends no reminders at all.
func TestReminderHours(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	now := time.Now()
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: now.Add(30 * time.Hour)})
	person(t, app, ev, "Anna", "lv", "confirmed")
	setHours := func(h int) {
		t.Helper()
		s := settings.Load(app)
		s.ReminderHours = h
		if err := settings.Save(app, s); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := registration.SendReminders(app, now); n != 0 || err != nil {
		t.Fatalf("30 hours ahead with the default day: %d %v", n, err)
	}
	setHours(0)
	if n, err := registration.SendReminders(app, now.Add(29*time.Hour)); n != 0 || err != nil {
		t.Fatalf("with reminders off: %d %v", n, err)
	}
	setHours(48)
	if n, err := registration.SendReminders(app, now); n != 1 || err != nil {
		t.Fatalf("within 48 hours: %d %v", n, err)
	}
}

// TestReminderJobRunsEveryMinute: the reminders are a job on PocketBase's
// cron, run every minute, and running it queues what is due.
func TestReminderJobRunsEveryMinute(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: time.Now().Add(3 * time.Hour)})
	kopatest.Registration(t, app, ev, "Anna", "anna@example.com", "confirmed")
	for _, j := range app.Cron().Jobs() {
		if j.Id() != registration.ReminderJob {
			continue
		}
		if j.Expression() != "* * * * *" {
			t.Errorf("runs at %q, want every minute", j.Expression())
		}
		j.Run()
		if n := mails(t, app, "ticket_reminder"); n != 1 {
			t.Errorf("the job queued %d reminders, want 1", n)
		}
		return
	}
	t.Fatal("no reminder job on the cron")
}

// TestCantComeLinkAsksFirst: what the reminder's "can't come" link opens
// is only a question. Mail scanners and link previews open links (GET,
// HEAD): none of that cancels anything; the page's POST frees the seat,
// which goes to the first on the waiting list at once, who is mailed.
func TestCantComeLinkAsksFirst(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	// Three days ahead: no reminder falls due while the test runs (the
	// reminders' job runs at every minute's turn).
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Capacity: 1, Waitlist: true, Starts: time.Now().Add(72 * time.Hour).Truncate(time.Hour)})
	anna := person(t, app, ev, "Anna", "en", "confirmed")
	leyla := person(t, app, ev, "Leyla", "ru", "waitlisted")
	link := base + "/t/" + anna.GetString("ticket") + "/cancel"
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, method := range []string{http.MethodHead, http.MethodGet, http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequest(method, link, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; LinkPreview/1.0)")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page := readBody(t, res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", method, res.StatusCode)
		}
		if method == http.MethodGet && !strings.Contains(page, `method="post"`) {
			t.Errorf("GET shows no question:\n%s", page)
		}
	}
	for _, r := range []*core.Record{anna, leyla} {
		got, _ := app.FindRecordById("registrations", r.Id)
		if got.GetString("status") != r.GetString("status") {
			t.Errorf("opening the link changed %s to %s", r.GetString("name"), got.GetString("status"))
		}
	}
	if n := mails(t, app, "ticket_promoted"); n != 0 {
		t.Errorf("%d promotion mails after opening the link", n)
	}

	res, err := client.Post(link, "application/x-www-form-urlencoded", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, res)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST: %d", res.StatusCode)
	}
	if got, _ := app.FindRecordById("registrations", anna.Id); got.GetString("status") != "cancelled" {
		t.Errorf("after the POST Anna is %s", got.GetString("status"))
	}
	if got, _ := app.FindRecordById("registrations", leyla.Id); got.GetString("status") != "confirmed" {
		t.Errorf("the seat did not go to the waiting list: Leyla is %s", got.GetString("status"))
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 1, 10*time.Second)
	if list := mp.To(t, "leyla@example.com"); len(list) != 1 || list[0].Subject != "Освободилось место — ваш билет: Sarunu klubs (ru)" {
		t.Errorf("Leyla's mail: %+v", list)
	}
}

func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
