package manage_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// TestCancellationMailSaysCancelled: cancelling an event in the console
// mails its people a mail that says the event is cancelled (never
// "confirmed"), with a calendar file that cancels their entry (same UID,
// higher SEQUENCE, METHOD:CANCEL, STATUS:CANCELLED); the volunteers of its
// shifts are told too, an accepted one with the calendar file of the
// shift.
func TestCancellationMailSaysCancelled(t *testing.T) {
	t.Parallel()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	org := kopatest.Organiser(t, app, "org@example.com")
	// Three days ahead: no reminder falls due while the test runs.
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Kultūršoks", Starts: time.Now().Add(72 * time.Hour).Truncate(time.Hour)})
	anna := kopatest.Registration(t, app, ev, "Anna", "anna@example.com", "confirmed")
	starts := ev.GetDateTime("starts_at").Time()
	door := kopatest.Shift(t, app, ev, "door", starts, starts.Add(time.Hour))
	vera := kopatest.Volunteer(t, app, "vera@example.com", []string{"ru"}, []string{"door"})
	ilze := kopatest.Volunteer(t, app, "ilze@example.com", []string{"lv"}, []string{"door"})
	kopatest.Assignment(t, app, door, vera, "accepted")
	kopatest.Assignment(t, app, door, ilze, "invited")
	dana := kopatest.Volunteer(t, app, "dana@example.com", []string{"en"}, []string{"door"})
	kopatest.Assignment(t, app, door, dana, "declined")

	const csrf = "cccccccccccccccccccccccccccccccccccccccccc0"
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/manage/events/"+ev.Id+"/cancel", strings.NewReader(url.Values{"csrf": {csrf}, "confirm": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "kopa_session="+kopatest.Token(t, org)+"; kopa_csrf="+csrf)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	mp.WaitFor(t, 3, 20*time.Second)

	cal := func(m mailpit.Message, name string) (string, func(ics.ComponentProperty) string) {
		t.Helper()
		part, ok := m.Attachment(name)
		if !ok {
			t.Fatalf("%s: no %s", m.Subject, name)
		}
		c, err := ics.ParseCalendar(bytes.NewReader(mp.Attachment(t, m.ID, part.PartID)))
		if err != nil || len(c.Events()) != 1 {
			t.Fatalf("%s does not parse: %v", name, err)
		}
		method := ""
		for _, p := range c.CalendarProperties {
			if p.IANAToken == string(ics.PropertyMethod) {
				method = p.Value
			}
		}
		e := c.Events()[0]
		return method, func(k ics.ComponentProperty) string {
			if p := e.GetProperty(k); p != nil {
				return p.Value
			}
			return ""
		}
	}
	one := func(addr string) mailpit.Message {
		t.Helper()
		list := mp.To(t, addr)
		if len(list) != 1 {
			t.Fatalf("%d mails to %s", len(list), addr)
		}
		return mp.Message(t, list[0].ID)
	}

	m := one("anna@example.com")
	if m.Subject != "Pasākums atcelts: Kultūršoks" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, body := range []string{m.Text, m.HTML} {
		if strings.Contains(body, "apstiprināts") || !strings.Contains(body, "atcelts — pasākums nenotiks") {
			t.Errorf("the mail does not say the event is cancelled:\n%s", body)
		}
	}
	if _, ok := m.Attachment("ticket-qr.png"); ok {
		t.Error("a cancelled event's mail carries a QR code")
	}
	method, prop := cal(m, "event.ics")
	if method != "CANCEL" || prop(ics.ComponentPropertyStatus) != "CANCELLED" || prop(ics.ComponentPropertyUniqueId) != anna.Id+"@kopa" || prop(ics.ComponentPropertySequence) != "1" {
		t.Errorf("calendar %s STATUS %s UID %s SEQUENCE %s", method, prop(ics.ComponentPropertyStatus), prop(ics.ComponentPropertyUniqueId), prop(ics.ComponentPropertySequence))
	}

	v := one("vera@example.com")
	if v.Subject != "Event cancelled: Kultūršoks (en)" || !strings.Contains(v.Text, "You do not need to come") {
		t.Errorf("accepted volunteer %q:\n%s", v.Subject, v.Text)
	}
	if method, prop := cal(v, "shift.ics"); method != "CANCEL" || prop(ics.ComponentPropertyStatus) != "CANCELLED" || prop(ics.ComponentPropertySequence) != "1" {
		t.Errorf("shift calendar %s STATUS %s SEQUENCE %s", method, prop(ics.ComponentPropertyStatus), prop(ics.ComponentPropertySequence))
	}
	if i := one("ilze@example.com"); !strings.Contains(i.Text, "no longer open") {
		t.Errorf("invited volunteer:\n%s", i.Text)
	} else if _, ok := i.Attachment("shift.ics"); ok {
		t.Error("an invitation never answered gets a calendar file")
	}
	// Every mail of the cancellation went out together: the one who
	// declined had none among them.
	if n := len(mp.To(t, "dana@example.com")); n != 0 {
		t.Errorf("the volunteer who declined got %d mails", n)
	}
}

// TestEventFormMovesShifts: the console's event form asks whether the
// shifts move with the event; ticked, each shift keeps its time relative
// to the start, and the people and volunteers are told of the new time.
func TestEventFormMovesShifts(t *testing.T) {
	f := newConsoleFixture(t)
	starts := f.ev.GetDateTime("starts_at").Time()
	door := kopatest.Shift(t, f.src, f.ev, "door", starts.Add(-30*time.Minute), starts.Add(time.Hour))
	kopatest.Assignment(t, f.src, door, kopatest.Volunteer(t, f.src, "helper@example.com", nil, []string{"door"}), "accepted")
	local := func(t time.Time) string { return t.In(i18n.Riga).Format("2006-01-02T15:04") }
	values := func(move bool) url.Values {
		v := url.Values{
			"kind": {"club"}, "status": {"published"}, "venue": {f.ev.GetString("venue")},
			"title_lv": {"Kultūršoks"}, "title_en": {"Kultūršoks (en)"}, "title_ru": {"Kultūršoks (ru)"},
			"starts_at": {local(starts.Add(24 * time.Hour))}, "ends_at": {local(starts.Add(26 * time.Hour))},
			"capacity": {"10"}, "waitlist": {"1"},
		}
		if move {
			v.Set("move_shifts", "1")
		}
		return v
	}
	path := "/manage/events/" + f.ev.Id
	shiftStart := func(app core.App) time.Time {
		s, err := app.FindRecordById("shifts", door.Id)
		if err != nil {
			t.Fatal(err)
		}
		return s.GetDateTime("starts_at").Time()
	}
	run(t, f.src, []tests.ApiScenario{
		{Name: "the form offers to move the shifts", Method: http.MethodGet, URL: path + "?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`name="move_shifts" type="checkbox" value="1" checked`, "Move the volunteer shifts with the event"}},
		{Name: "moved with the shifts", Method: http.MethodPost, URL: path, Headers: f.orgH, Body: form(values(true)), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got, want := shiftStart(app), starts.Add(24*time.Hour-30*time.Minute); !got.Equal(want) {
					t.Errorf("the shift starts %v, want %v", got, want)
				}
				m := mails(app)
				if len(m["amina@example.com"]) != 1 || len(m["maria@example.com"]) != 1 || len(m["helper@example.com"]) != 1 {
					t.Errorf("change notices %v", m)
				}
				// The volunteer's notice shows the shift at its new time.
				row, _ := app.FindFirstRecordByData(outbox.Collection, "to", "helper@example.com")
				moved := starts.Add(24*time.Hour - 30*time.Minute).In(i18n.Riga).Format("15:04")
				if msg, err := outbox.Content(app, row); err != nil || !strings.Contains(msg.Text, "Your shift: Door and welcome") || !strings.Contains(msg.Text, moved) {
					t.Errorf("the volunteer's notice (%v):\n%s", err, msg.Text)
				}
			}},
		{Name: "moved without them", Method: http.MethodPost, URL: path, Headers: f.orgH, Body: form(values(false)), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := shiftStart(app); !got.Equal(starts.Add(-30 * time.Minute)) {
					t.Errorf("the shift moved to %v", got)
				}
			}},
	})
}
