package registration_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/registration"
	"kopa/internal/kopatest"
)

// TestConcurrentRegistrations: three hundred people at once on fifty seats
// with a waiting list, thirty of them sending their registration twice:
// exactly fifty confirmed, the rest waitlisted at positions 1..250 with no
// gap and no repeat, one registration per address, one mail per answer, and
// the counts the public pages show agree.
func TestConcurrentRegistrations(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 50, Waitlist: true})
	srv := kopatest.Serve(t, app)

	const n, twice = 300, 30
	type answer struct {
		Code     int
		Status   string
		Position int
		Ticket   string
	}
	answers := make([]answer, n+twice)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: time.Minute}
	availability := func() (left, waiting int) {
		t.Helper()
		res, err := client.Get(srv.URL + "/api/events/" + ev.Id + "/availability")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var a struct {
			SeatsLeft  int `json:"seats_left"`
			Waitlisted int `json:"waitlisted"`
		}
		if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
		return a.SeatsLeft, a.Waitlisted
	}
	// Asked once before, the counts are kept in memory from now on.
	if left, waiting := availability(); left != 50 || waiting != 0 {
		t.Fatalf("availability before: %d left, %d waiting", left, waiting)
	}
	for i := range n + twice {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			who := i % n // the last thirty repeat the first thirty
			b, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Person %d", who), "email": fmt.Sprintf("p%d@example.com", who)})
			res, err := client.Post(srv.URL+"/api/events/"+ev.Id+"/register", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			defer res.Body.Close()
			answers[i].Code = res.StatusCode
			if res.StatusCode != 201 && res.StatusCode != 200 {
				data, _ := io.ReadAll(res.Body)
				t.Errorf("request %d: %d %s", i, res.StatusCode, data)
				return
			}
			_ = json.NewDecoder(res.Body).Decode(&answers[i])
		}(i)
	}
	wg.Wait()

	confirmed, exists, positions := 0, 0, []int{}
	for i, a := range answers {
		switch a.Status {
		case "confirmed":
			confirmed++
		case "waitlisted":
			positions = append(positions, a.Position)
		case "exists":
			exists++
			if a.Code != 200 || a.Ticket != "" {
				t.Errorf("answer %d: %+v", i, a)
			}
		}
	}
	if confirmed != 50 {
		t.Errorf("confirmed: %d, want 50", confirmed)
	}
	if exists != twice {
		t.Errorf("exists: %d, want %d", exists, twice)
	}
	sort.Ints(positions)
	for i, p := range positions {
		if p != i+1 {
			t.Fatalf("waiting-list positions are not 1..%d: %v", len(positions), positions)
		}
	}
	if len(positions) != n-50 {
		t.Errorf("waitlisted: %d, want %d", len(positions), n-50)
	}
	if c, _ := app.CountRecords("registrations"); c != n {
		t.Errorf("stored: %d", c)
	}
	if c, _ := app.CountRecords("registrations", dbx.HashExp{"status": "confirmed"}); c != 50 {
		t.Errorf("confirmed in the database: %d", c)
	}
	if got := mails(t, app, ""); got != n+twice {
		t.Errorf("mails queued: %d, want %d", got, n+twice)
	}
	if got := mails(t, app, "ticket_again"); got != twice {
		t.Errorf("tickets mailed again: %d, want %d", got, twice)
	}

	// The counts kept in memory by the after-create hooks are the
	// database's.
	if left, waiting := availability(); left != 0 || waiting != n-50 {
		t.Errorf("availability after: %d left, %d waiting; want 0 and %d", left, waiting, n-50)
	}
}

// TestCancelPromotesTheFirstOnTheWaitingList: cancelling a confirmed seat
// confirms the first waitlisted person at once and mails them; the others
// move up; cancelling twice changes nothing.
func TestCancelPromotesTheFirstOnTheWaitingList(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 1, Waitlist: true})
	in := func(name string) registration.Input {
		i := registration.Input{Name: name, Email: strings.ToLower(name) + "@example.com", Locale: "en"}
		if err := i.Normalize(); err != nil {
			t.Fatal(err)
		}
		return i
	}
	now := time.Now()
	first, err := registration.Create(app, ev.Id, in("First"), now)
	if err != nil || first.Status != "confirmed" {
		t.Fatalf("first: %+v %v", first, err)
	}
	var waiting []registration.Result
	for _, name := range []string{"Second", "Third", "Fourth"} {
		r, err := registration.Create(app, ev.Id, in(name), now)
		if err != nil || r.Status != "waitlisted" {
			t.Fatalf("%s: %+v %v", name, r, err)
		}
		waiting = append(waiting, r)
	}
	if waiting[2].Position != 3 {
		t.Fatalf("fourth's position: %d", waiting[2].Position)
	}

	_, promoted, err := registration.Cancel(app, first.Registration.GetString("ticket"), now)
	if err != nil || promoted == nil || promoted.Id != waiting[0].Registration.Id {
		t.Fatalf("promotion: %v %v", promoted, err)
	}
	if n := mails(t, app, "ticket_promoted"); n != 1 {
		t.Errorf("promoted mails: %d", n)
	}
	third, _ := app.FindRecordById("registrations", waiting[1].Registration.Id)
	if p, _ := registration.Position(app, third); p != 1 {
		t.Errorf("third moved to %d, want 1", p)
	}

	// Twice is harmless: nobody else is promoted.
	_, again, err := registration.Cancel(app, first.Registration.GetString("ticket"), now)
	if err != nil || again != nil {
		t.Errorf("second cancel: %v %v", again, err)
	}
	if n := mails(t, app, "ticket_promoted"); n != 1 {
		t.Errorf("promoted mails after a second cancel: %d", n)
	}
	// Cancelling a waitlisted place frees no seat.
	_, none, err := registration.Cancel(app, waiting[2].Registration.GetString("ticket"), now)
	if err != nil || none != nil {
		t.Errorf("waitlisted cancel promoted %v (%v)", none, err)
	}
}

func TestTicketPagesAndForm(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Bēgļu nodarbinātība", Capacity: 1, Waitlist: true})
	conf := kopatest.Registration(t, src, ev, "Amina", "amina@example.com", "confirmed")
	wait := kopatest.Registration(t, src, ev, "Olek", "olek@example.com", "waitlisted")
	closed := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 1})
	kopatest.Registration(t, src, closed, "Ivan", "ivan@example.com", "confirmed")
	code := conf.GetString("ticket")
	factory := kopatest.CloneFactory(src, hooks.Default)
	formHeaders := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	form := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }

	scenarios := []tests.ApiScenario{
		{Name: "ticket page", Method: http.MethodGet, URL: "/t/" + code + "?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"Your ticket", "Bēgļu nodarbinātība (en)", "Amina", "confirmed", `src="/t/` + code + `/qr.png"`, `href="/t/` + code + `/event.ics"`, `href="/t/` + code + `/cancel"`},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("ticket page headers: %v", res.Header)
				}
			}},
		{Name: "waitlisted ticket shows the position and no QR", Method: http.MethodGet, URL: "/t/" + wait.GetString("ticket") + "?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"on the waiting list", "number 1 on the list"}, NotExpectedContent: []string{"qr.png"}},
		{Name: "unknown ticket is a friendly 404", Method: http.MethodGet, URL: "/t/AAAAAAAAAAAAAAAAAAAAAAAA", ExpectedStatus: 404, ExpectedContent: []string{"Lapa nav atrasta"}},
		{Name: "QR code", Method: http.MethodGet, URL: "/t/" + code + "/qr.png", ExpectedStatus: 200, ExpectedContent: []string{"\x89PNG"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if res.Header.Get("Content-Type") != "image/png" {
					t.Errorf("content type %q", res.Header.Get("Content-Type"))
				}
			}},
		{Name: "calendar file", Method: http.MethodGet, URL: "/t/" + code + "/event.ics", ExpectedStatus: 200,
			ExpectedContent: []string{"BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:" + conf.Id + "@kopa", "DTSTART:", "Z", "SUMMARY:Bēgļu nodarbinātība", "/t/" + code},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/calendar") {
					t.Errorf("content type %q", res.Header.Get("Content-Type"))
				}
			}},
		{Name: "cancel asks first", Method: http.MethodGet, URL: "/t/" + code + "/cancel?lang=ru", ExpectedStatus: 200,
			ExpectedContent: []string{"Отказаться от участия?", `method="post"`, `action="/t/` + code + `/cancel"`}},
		{Name: "cancel, then the first waiting is confirmed", Method: http.MethodPost, URL: "/t/" + code + "/cancel", Headers: formHeaders, ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/t/"+code+"?cancelled=1" {
					t.Errorf("redirect %q", loc)
				}
				w, _ := app.FindRecordById("registrations", wait.Id)
				if w.GetString("status") != "confirmed" {
					t.Errorf("waiting person is %s", w.GetString("status"))
				}
			}},
		{Name: "cancel as JSON", Method: http.MethodPost, URL: "/t/" + code + "/cancel", Headers: map[string]string{"Accept": "application/json"},
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"cancelled"`}},
		{Name: "the form registers and redirects to the ticket", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register", Headers: formHeaders,
			Body: form(url.Values{"name": {"Leyla"}, "email": {"leyla@example.com"}, "locale": {"ru"}, "photo_consent": {"1"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindFirstRecordByData("registrations", "email", "leyla@example.com")
				if err != nil {
					t.Fatal(err)
				}
				if res.Header.Get("Location") != "/t/"+r.GetString("ticket") || r.GetString("locale") != "ru" || !r.GetBool("photo_consent") || r.GetString("status") != "waitlisted" {
					t.Errorf("location %q, record %v", res.Header.Get("Location"), r.PublicExport())
				}
			}},
		{Name: "form errors come back in the visitor's language with the values kept", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register?lang=ru", Headers: formHeaders,
			Body: form(url.Values{"name": {"  "}, "email": {"leyla@"}, "locale": {"ru"}}), ExpectedStatus: 400,
			ExpectedContent: []string{`<html lang="ru">`, "Пожалуйста, введите имя.", "Пожалуйста, введите правильный адрес", `value="leyla@"`, `aria-invalid="true"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("registrations"); n != 3 {
					t.Errorf("stored %d registrations", n)
				}
			}},
		{Name: "a web address for a name is refused in the visitor's language", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register?lang=en", Headers: formHeaders,
			Body: form(url.Values{"name": {"Verify at https://kopa-help.example"}, "email": {"victim@example.com"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Please enter only your name: no web or e-mail address", `aria-invalid="true"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("registrations"); n != 3 {
					t.Errorf("stored %d registrations", n)
				}
			}},
		{Name: "the form on a full event without waiting list", Method: http.MethodPost, URL: "/events/" + closed.Id + "/register?lang=en", Headers: formHeaders,
			Body: form(url.Values{"name": {"Late"}, "email": {"late@example.com"}}), ExpectedStatus: 409, ExpectedContent: []string{"Sorry, all seats are taken."}},
		{Name: "a bot filling the honeypot stores nothing", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register", Headers: formHeaders,
			Body: form(url.Values{"name": {"Bot"}, "email": {"bot@example.com"}, "website": {"http://spam.example"}}), ExpectedStatus: 200,
			ExpectedContent: []string{"Pārbaudiet savu e-pastu"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("registrations"); n != 3 {
					t.Errorf("a bot was stored: %d registrations", n)
				}
			}},
		{Name: "a known e-mail through the form shows no ticket", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register", Headers: formHeaders,
			Body: form(url.Values{"name": {"Someone"}, "email": {"amina@example.com"}}), ExpectedStatus: 200,
			ExpectedContent: []string{"Pārbaudiet savu e-pastu"}, NotExpectedContent: []string{code}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestRateLimit: with the limiter on (as the migration leaves it), one
// address gets 429 after the registration rule's allowance.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.RateLimits.Enabled = true
	})
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	srv := kopatest.Serve(t, app)
	got429 := false
	for i := 0; i < 40 && !got429; i++ {
		b := fmt.Sprintf(`{"name":"P%d","email":"p%d@example.com"}`, i, i)
		res, err := http.Post(srv.URL+"/api/events/"+ev.Id+"/register", "application/json", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 429 {
			got429 = true
			if !strings.Contains(string(data), `"status":429`) {
				t.Errorf("429 body %s", data)
			}
			if i < 30 {
				t.Errorf("limited after %d requests; the rule allows 30 a minute", i)
			}
		}
	}
	if !got429 {
		t.Fatal("no 429 after 40 registrations from one address")
	}
	// Switching the limiter off through the settings API keeps the rules.
	kopatest.ChangeSettings(t, app, func(s *core.Settings) {
		s.RateLimits.Enabled = false
	})
	labels := map[string]bool{}
	for _, r := range app.Settings().RateLimits.Rules {
		labels[r.Label] = true
	}
	if !labels["POST /api/events/"] || !labels["/t/"] {
		t.Errorf("rules lost: %v", labels)
	}
}
