package checkin_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/attendance"
	"kopa/hooks/checkin"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

func TestParseCode(t *testing.T) {
	code := "AbCdEfGhIjKlMnOpQrStUvWx"
	ok := []string{code, " " + code + "\n", "https://kopa.example.org/t/" + code, "http://127.0.0.1:8090/t/" + code + "/",
		"https://kopa.example.org/t/" + code + "?lang=ru", "https://kopa.example.org/t/" + code + "/qr.png", "https://x.example/sub/t/" + code,
		"HTTPS://KOPA.EXAMPLE.ORG/t/" + code, "https://kopa.example.org/t/" + code + "#top"}
	for _, s := range ok {
		if got, valid := checkin.ParseCode(s); !valid || got != code {
			t.Errorf("ParseCode(%q) = %q, %v", s, got, valid)
		}
	}
	for _, s := range []string{"", "short", "javascript:alert(1)", "https://kopa.example.org/events/" + code, "ftp://x/t/" + code,
		"https://kopa.example.org/t/" + code + "!!", "https://kopa.example.org/t/", strings.Repeat("a", 3000)} {
		if got, valid := checkin.ParseCode(s); valid {
			t.Errorf("ParseCode(%q) accepted %q", s, got)
		}
	}
}

// FuzzParseCode: whatever a camera reads, ParseCode gives a well-formed
// ticket code or nothing, and a code it gives back is found again in its
// own ticket URL. The seed corpus is in testdata/fuzz/FuzzParseCode.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"AbCdEfGhIjKlMnOpQrStUvWx", "https://kopa.example.org/t/AbCdEfGhIjKlMnOpQrStUvWx", "https://x/t/", "%zz", "http://[::1]:80/t/AbCdEfGhIjKlMnOpQrStUvWx/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := checkin.ParseCode(s)
		if !ok {
			return
		}
		if len(code) < 24 || len(code) > 64 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Fatalf("ParseCode(%q) gave %q", s, code)
		}
		for _, again := range []string{code, "https://kopa.example.org/t/" + code, "https://kopa.example.org/t/" + code + "/qr.png"} {
			if got, ok := checkin.ParseCode(again); !ok || got != code {
				t.Fatalf("ParseCode(%q) = %q, %v; want %q", again, got, ok, code)
			}
		}
	})
}

func TestMaskEmail(t *testing.T) {
	if got := checkin.MaskEmail("amina@example.com"); got != "a***@example.com" {
		t.Error(got)
	}
	if got := checkin.MaskEmail("Ģirts@example.lv"); got != "Ģ***@example.lv" {
		t.Error(got)
	}
	if checkin.MaskEmail("") != "" {
		t.Error("empty")
	}
}

func TestCheckInAPI(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	start := time.Now().Add(30 * time.Minute)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 3, Waitlist: true, Starts: start})
	other := kopatest.Event(t, src, kopatest.EventOpts{Starts: start})
	amina := kopatest.Registration(t, src, ev, "Amina", "amina@example.com", "confirmed")
	olek := kopatest.Registration(t, src, ev, "Olek", "olek@example.com", "confirmed")
	cancelled := kopatest.Registration(t, src, ev, "Ivan", "ivan@example.com", "cancelled")
	waiting := kopatest.Registration(t, src, ev, "Leyla", "leyla@example.com", "waitlisted")
	elsewhere := kopatest.Registration(t, src, other, "Farid", "farid@example.com", "confirmed")
	full := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 1, Starts: start})
	kopatest.Registration(t, src, full, "Mira", "mira@example.com", "confirmed")
	called := kopatest.Event(t, src, kopatest.EventOpts{Status: "cancelled", Starts: start})
	zara := kopatest.Registration(t, src, called, "Zara", "zara@example.com", "confirmed")
	// Olek was checked in at the door earlier.
	first := time.Now().Add(-10 * time.Minute).UTC()
	if _, err := checkin.CheckIn(src, ev.Id, olek.GetString("ticket"), "qr", first); err != nil {
		t.Fatal(err)
	}
	org := kopatest.Organiser(t, src, "org@example.com")
	door := kopatest.Volunteer(t, src, "door@example.com", []string{"lv"}, []string{"door"})
	otherDoor := kopatest.Volunteer(t, src, "otherdoor@example.com", []string{"lv"}, []string{"door"})
	host := kopatest.Volunteer(t, src, "host@example.com", []string{"lv"}, []string{"hosting"})
	late := kopatest.Volunteer(t, src, "late@example.com", []string{"lv"}, []string{"door"})
	// pending holds an accepted door shift but was never approved.
	pending := kopatest.Volunteer(t, src, "pending@example.com", []string{"lv"}, []string{"door"}, "pending")
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", start, start.Add(2*time.Hour)), pending, "accepted")
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", start, start.Add(2*time.Hour)), door, "accepted")
	kopatest.Assignment(t, src, kopatest.Shift(t, src, other, "door", start, start.Add(2*time.Hour)), otherDoor, "accepted")
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "hosting", start, start.Add(2*time.Hour)), host, "accepted")
	// late worked the door of ev until an hour ago.
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", time.Now().Add(-4*time.Hour), time.Now().Add(-time.Hour)), late, "accepted")
	auth := func(r interface{ NewAuthToken() (string, error) }) map[string]string {
		tok, _ := r.NewAuthToken()
		return map[string]string{"Authorization": tok}
	}
	orgH, doorH, otherH, hostH, lateH, pendingH := auth(org), auth(door), auth(otherDoor), auth(host), auth(late), auth(pending)
	scan := func(code string) *strings.Reader {
		return strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q}`, ev.Id, code))
	}
	stamp := func(d time.Duration) string { return time.Now().Add(d).UTC().Format("2006-01-02 15:04:05.000Z") }
	scanAt := func(code string, at string) *strings.Reader {
		return strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q,"at":%q}`, ev.Id, code, at))
	}
	storedAt := func(reg string, want string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			c, err := app.FindFirstRecordByData("checkins", "registration", reg)
			if err != nil {
				t.Fatalf("no check-in stored: %v", err)
			}
			if got := c.GetDateTime("at").String(); got != want {
				t.Errorf("stored at %s, want %s", got, want)
			}
		}
	}
	earlier := stamp(-5 * time.Minute)
	inShift := stamp(-2 * time.Hour)
	url := "https://kopa.example.org/t/"

	scenarios := []tests.ApiScenario{
		{Name: "ok: the organiser scans a ticket URL", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(url + amina.GetString("ticket")),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Amina"`, `"checked_in_at":"`, `"stats":{"capacity":3,"confirmed":2,"waitlisted":1,"cancelled":1,"checked_in":2}`,
				`"photo_consent":false`, `"registration":"` + amina.Id + `"`},
			NotExpectedContent: []string{"amina@example.com", "event_cancelled"},
			// One prepared INSERT, then what follows a create (the counts,
			// the live dashboards), as after a record save.
			ExpectedEvents: map[string]int{"*": 0, "OnModelAfterCreateSuccess": 1, "OnRecordAfterCreateSuccess": 1}},
		{Name: "ok: a door volunteer of the event scans a bare code", Method: http.MethodPost, URL: "/api/checkin", Headers: doorH, Body: scan(amina.GetString("ticket")),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Amina"`}},
		{Name: "already: the first time is given", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(olek.GetString("ticket")),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"already"`, `"name":"Olek"`, `"checked_in_at":"` + first.Format("2006-01-02 15:04:05")},
			// The insert is tried and refused by the unique index; nothing is
			// stored, and no create is announced.
			ExpectedEvents: map[string]int{"*": 0}},
		{Name: "ok: a scan sent later keeps its own time", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scanAt(amina.GetString("ticket"), earlier),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"checked_in_at":"` + earlier + `"`}, AfterTestFunc: storedAt(amina.Id, earlier)},
		{Name: "already: a later scan sent with its time loses to the first", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scanAt(olek.GetString("ticket"), earlier),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"already"`, `"checked_in_at":"` + first.Format("2006-01-02 15:04:05")}},
		{Name: "already: an earlier scan sent later becomes the first time", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scanAt(olek.GetString("ticket"), stamp(-20*time.Minute)),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"already"`}, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				c, _ := app.FindFirstRecordByData("checkins", "registration", olek.Id)
				if !c.GetDateTime("at").Time().Before(first) {
					t.Errorf("stored %v, want earlier than %v", c.GetDateTime("at"), first)
				}
			}},
		{Name: "ok: a door volunteer sends a scan made during their shift after it ended", Method: http.MethodPost, URL: "/api/checkin", Headers: lateH, Body: scanAt(amina.GetString("ticket"), inShift),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"checked_in_at":"` + inShift + `"`}, AfterTestFunc: storedAt(amina.Id, inShift)},
		{Name: "403 for a door volunteer scanning after their shift", Method: http.MethodPost, URL: "/api/checkin", Headers: lateH, Body: scan(amina.GetString("ticket")),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "403 for a door volunteer claiming a scan time after their shift", Method: http.MethodPost, URL: "/api/checkin", Headers: lateH, Body: scanAt(amina.GetString("ticket"), stamp(-30*time.Minute)),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "400 for a scan time a day before the event", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scanAt(amina.GetString("ticket"), stamp(-25*time.Hour)),
			ExpectedStatus: 400, ExpectedContent: []string{`"at":{"code":"validation_outside_event"`}},
		{Name: "400 for a scan time that is not a time", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scanAt(amina.GetString("ticket"), "yesterday"),
			ExpectedStatus: 400, ExpectedContent: []string{`"at":{"code":"validation_invalid_datetime"`}},
		{Name: "400 for an unknown method", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q,"method":"walkin"}`, ev.Id, amina.GetString("ticket"))),
			ExpectedStatus: 400, ExpectedContent: []string{`"method":{"code":"validation_invalid_value"`}},
		{Name: "413 for a body over 64 KiB", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q,"pad":"%s"}`, ev.Id, amina.GetString("ticket"), strings.Repeat("x", 70<<10))),
			ExpectedStatus: 413, ExpectedContent: []string{`"code":"too_large"`}},
		{Name: "400 for a body that is not JSON", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: strings.NewReader(`event=x&code=y`),
			ExpectedStatus: 400, ExpectedContent: []string{`"body":{"code":"validation_invalid_json"`}},
		{Name: "wrong event", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(elsewhere.GetString("ticket")),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"wrong_event"`, `"name":""`}, NotExpectedContent: []string{"Farid"}},
		{Name: "cancelled", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(cancelled.GetString("ticket")),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"cancelled"`, `"name":"Ivan"`}},
		{Name: "waitlisted", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan(waiting.GetString("ticket")),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"waitlisted"`, `"name":"Leyla"`}},
		{Name: "unknown code", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan("AAAAAAAAAAAAAAAAAAAAAAAA"),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"unknown"`}},
		{Name: "not a ticket at all", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: scan("https://example.org/hello"),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"unknown"`}},
		{Name: "manual check-in by registration", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: strings.NewReader(fmt.Sprintf(`{"event":%q,"registration":%q}`, ev.Id, amina.Id)),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				c, err := app.FindFirstRecordByData("checkins", "registration", amina.Id)
				if err != nil || c.GetString("method") != "manual" {
					t.Errorf("method: %v %v", c, err)
				}
			}},
		{Name: "401 without a token", Method: http.MethodPost, URL: "/api/checkin", Body: scan(amina.GetString("ticket")), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "401 with a forged token", Method: http.MethodPost, URL: "/api/checkin", Headers: map[string]string{"Authorization": "eyJhbGciOiJIUzI1NiJ9.e30.x"}, Body: scan(amina.GetString("ticket")), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "403 for a door volunteer of another event", Method: http.MethodPost, URL: "/api/checkin", Headers: otherH, Body: scan(amina.GetString("ticket")), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "403 for a volunteer without a door shift", Method: http.MethodPost, URL: "/api/checkin", Headers: hostH, Body: scan(amina.GetString("ticket")), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "403 for a door volunteer who is not approved", Method: http.MethodPost, URL: "/api/checkin", Headers: pendingH, Body: scan(amina.GetString("ticket")), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if _, err := app.FindFirstRecordByData("checkins", "registration", amina.Id); err == nil {
					t.Error("a pending volunteer's scan checked someone in")
				}
			}},
		{Name: "no ticket list for a door volunteer who is not approved", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/tickets", Headers: pendingH, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "400 for a malformed body", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: strings.NewReader(`{"event":5}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		{Name: "400 without a code", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: strings.NewReader(`{"event":"` + ev.Id + `"}`), ExpectedStatus: 400, ExpectedContent: []string{`"code":{"code":"validation_required"`}},
		{Name: "400 for a scan time in the future", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q,"at":%q}`, ev.Id, amina.GetString("ticket"), time.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04:05.000Z"))),
			ExpectedStatus: 400, ExpectedContent: []string{`"at":{"code":"validation_in_future"`}},
		{Name: "404 for an unknown event", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH, Body: strings.NewReader(`{"event":"nope","code":"AAAAAAAAAAAAAAAAAAAAAAAA"}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "stats for the door", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/stats", Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`{"capacity":3,"confirmed":2,"waitlisted":1,"cancelled":1,"checked_in":1}`}},
		{Name: "no stats for a volunteer of another event", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/stats", Headers: otherH, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no stats anonymously", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/stats", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "a door volunteer searches and sees masked e-mails", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/search?q=AMI", Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Amina"`, `"email":"a***@example.com"`}, NotExpectedContent: []string{"amina@example.com", "Olek", "Farid"}},
		{Name: "an organiser searches by e-mail", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/search?q=olek@", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Olek"`, `"email":"olek@example.com"`, `"checked_in_at":"`}},
		{Name: "search needs two letters", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/search?q=a", Headers: orgH, ExpectedStatus: 400, ExpectedContent: []string{`"q":`}},
		{Name: "search wildcards are literal", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/search?q=%25%25", Headers: orgH, ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "offline ticket list: hashed codes, no e-mails", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/tickets", Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"hash":"` + checkin.CodeHash(amina.GetString("ticket")) + `"`, `"registration":"` + amina.Id + `"`, `"name":"Amina"`, `"status":"waitlisted"`, `"ends_at":"`, `"keep_hours":6`, `"cancelled":false`},
			NotExpectedContent: []string{"@example.com", amina.GetString("ticket"), `"code"`, elsewhere.GetString("ticket"), checkin.CodeHash(elsewhere.GetString("ticket"))}},
		{Name: "the offline list of a cancelled event says so", Method: http.MethodGet, URL: "/api/events/" + called.Id + "/tickets", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"cancelled":true`, `"name":"Zara"`}},
		{Name: "nobody is checked in at a cancelled event", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q}`, called.Id, zara.GetString("ticket"))),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"cancelled"`, `"event_cancelled":true`, `"name":"Zara"`, `"checked_in":0`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("checkins", dbx.HashExp{"event": called.Id}); n != 0 {
					t.Errorf("%d check-ins at a cancelled event", n)
				}
			}},
		{Name: "nor by name", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"registration":%q}`, called.Id, zara.Id)),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"cancelled"`, `"event_cancelled":true`}},
		{Name: "409 event_cancelled: no walk-in at a cancelled event", Method: http.MethodPost, URL: "/api/events/" + called.Id + "/walkin", Headers: orgH, Body: strings.NewReader(`{"name":"Late","override":true}`),
			ExpectedStatus: 409, ExpectedContent: []string{`"status":409`, `"code":"event_cancelled"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("registrations", dbx.HashExp{"event": called.Id}); n != 1 {
					t.Errorf("%d registrations after a refused walk-in", n)
				}
			}},
		{Name: "no offline ticket list for a volunteer without a door shift", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/tickets", Headers: hostH, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no offline ticket list anonymously", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/tickets", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "no search anonymously", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/search?q=ami", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "no search for a door volunteer of another event", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/search?q=ami", Headers: otherH, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no walk-in anonymously", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Body: strings.NewReader(`{"name":"X"}`), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "no walk-in for a volunteer without a door shift", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: hostH, Body: strings.NewReader(`{"name":"X"}`), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "stats for the organiser", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/stats", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`{"capacity":3,"confirmed":2,"waitlisted":1,"cancelled":1,"checked_in":1}`}},
		{Name: "no stats for a volunteer without a door shift", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/stats", Headers: hostH, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "404 stats of an unknown event", Method: http.MethodGet, URL: "/api/events/nope/stats", Headers: orgH, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "walk-in", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH, Body: strings.NewReader(`{"name":"  Nadia  "}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Nadia"`, `"confirmed":3`, `"checked_in":2`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData("registrations", "name", "Nadia")
				if err != nil || r.GetString("status") != "confirmed" {
					t.Fatalf("walk-in not registered: %v", err)
				}
				c, err := app.FindFirstRecordByData("checkins", "registration", r.Id)
				if err != nil || c.GetString("method") != "walkin" {
					t.Errorf("walk-in check-in: %v", err)
				}
			}},
		{Name: "a walk-in who had registered is checked in on that registration", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH, Body: strings.NewReader(`{"name":"Amina A.","email":"AMINA@example.com"}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Amina"`, `"confirmed":2`}},
		{Name: "a walk-in needs a name", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH, Body: strings.NewReader(`{"name":" ","email":"x"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_required"`, `"email":{"code":"validation_invalid_email"`}},
		{Name: "a walk-in's name follows the rules of every entry point", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH,
			Body:           strings.NewReader(`{"name":"Nadia\u0000"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_invalid_value"`}},
		{Name: "a walk-in's name holding a web address", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH,
			Body:           strings.NewReader(`{"name":"Nadia http://kopa-help.example"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_invalid_value"`}},
		{Name: "a walk-in's name of over 200 characters", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH,
			Body:           strings.NewReader(`{"name":"` + strings.Repeat("ā", 201) + `"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_length_too_long"`}},
		{Name: "409 full: a walk-in on a full event", Method: http.MethodPost, URL: "/api/events/" + full.Id + "/walkin", Headers: orgH, Body: strings.NewReader(`{"name":"Late"}`),
			ExpectedStatus: 409, ExpectedContent: []string{`"status":409`, `"code":"full"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("registrations", dbx.HashExp{"event": full.Id}); n != 1 {
					t.Errorf("%d registrations after a refused walk-in", n)
				}
			}},
		{Name: "an organiser lets a walk-in into a full event", Method: http.MethodPost, URL: "/api/events/" + full.Id + "/walkin", Headers: orgH, Body: strings.NewReader(`{"name":"Late","override":true}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Late"`, `"capacity":1,"confirmed":2`}},
		{Name: "only organisers override capacity", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH, Body: strings.NewReader(`{"name":"X","override":true}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"override":{"code":"validation_organisers_only"`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestTheDoorsNames: organisers are told full names and may search by
// e-mail; a door volunteer is told the short name everywhere, and searches
// only that: an e-mail fragment or a surname finds nobody, so no answer
// gives away what the volunteer is not shown. A volunteer's walk-in with
// the address of an existing registration checks that registration in and
// answers with the short name.
func TestTheDoorsNames(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	start := time.Now().Add(30 * time.Minute)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 10, Starts: start})
	amina := kopatest.Registration(t, src, ev, "Amina Haddad", "amina.haddad@example.com", "confirmed")
	kopatest.Registration(t, src, ev, "Olek Petrenko", "olek@example.net", "confirmed")
	org := kopatest.Organiser(t, src, "org@example.org")
	door := kopatest.Volunteer(t, src, "door@example.org", []string{"lv"}, []string{"door"})
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", start, start.Add(2*time.Hour)), door, "accepted")
	orgH := map[string]string{"Authorization": kopatest.Token(t, org)}
	doorH := map[string]string{"Authorization": kopatest.Token(t, door)}
	search := func(q string) string { return "/api/events/" + ev.Id + "/search?q=" + q }
	walkIn := func(name, email string) *strings.Reader {
		return strings.NewReader(fmt.Sprintf(`{"name":%q,"email":%q}`, name, email))
	}
	// No new registration: the walk-in found Amina's, and checked it in.
	foundAmina := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords("registrations", dbx.HashExp{"event": ev.Id}); n != 2 {
			t.Errorf("%d registrations, want the two there were", n)
		}
		if _, err := app.FindFirstRecordByData("checkins", "registration", amina.Id); err != nil {
			t.Errorf("Amina is not checked in: %v", err)
		}
	}
	hidden := []string{"Haddad", "amina.haddad@", "Petrenko", "olek@"}

	scenarios := []tests.ApiScenario{
		{Name: "a volunteer finds by the first name and sees the short name", Method: http.MethodGet, URL: search("ami"), Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Amina H."`, `"email":"a***@example.com"`, `"registration":"` + amina.Id + `"`},
			NotExpectedContent: hidden},
		{Name: "a volunteer finds by the short name", Method: http.MethodGet, URL: search("amina%20h"), Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Amina H."`}, NotExpectedContent: hidden},
		{Name: "a volunteer's search by the local part of an address finds nothing", Method: http.MethodGet, URL: search("amina.h"), Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "a volunteer's search by an address finds nothing", Method: http.MethodGet, URL: search("olek@"), Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "a volunteer's search by a domain finds nothing", Method: http.MethodGet, URL: search("example.net"), Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "a volunteer's search by the surname finds nothing", Method: http.MethodGet, URL: search("haddad"), Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "an organiser finds by the surname, with the full name and address", Method: http.MethodGet, URL: search("haddad"), Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Amina Haddad"`, `"email":"amina.haddad@example.com"`}},
		{Name: "an organiser finds by a domain", Method: http.MethodGet, URL: search("example.net"), Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Olek Petrenko"`, `"email":"olek@example.net"`}, NotExpectedContent: []string{"Amina"}},
		{Name: "a volunteer's walk-in with an existing address answers with the short name", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH,
			Body: walkIn("A", "amina.haddad@example.com"), ExpectedStatus: 200,
			ExpectedContent: []string{`"result":"ok"`, `"name":"Amina H."`, `"registration":"` + amina.Id + `"`, `"confirmed":2`}, NotExpectedContent: hidden,
			AfterTestFunc: foundAmina},
		{Name: "an organiser's walk-in with an existing address answers with the full name", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: orgH,
			Body: walkIn("A", "amina.haddad@example.com"), ExpectedStatus: 200,
			ExpectedContent: []string{`"result":"ok"`, `"name":"Amina Haddad"`}, AfterTestFunc: foundAmina},
		{Name: "a volunteer's new walk-in is told the short name too", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/walkin", Headers: doorH,
			Body: walkIn("Nadia Qasim", ""), ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Nadia Q."`, `"confirmed":3`}},
		{Name: "a volunteer's scan answers with the short name", Method: http.MethodPost, URL: "/api/checkin", Headers: doorH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q}`, ev.Id, amina.GetString("ticket"))),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Amina H."`}, NotExpectedContent: hidden},
		{Name: "a volunteer's check-in by registration answers with the short name", Method: http.MethodPost, URL: "/api/checkin", Headers: doorH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"registration":%q}`, ev.Id, amina.Id)),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Amina H."`}, NotExpectedContent: hidden},
		{Name: "an organiser's scan answers with the full name", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q}`, ev.Id, amina.GetString("ticket"))),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"name":"Amina Haddad"`}},
		{Name: "a volunteer's offline list holds short names and no addresses", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/tickets", Headers: doorH,
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"Amina H."`, `"name":"Olek P."`}, NotExpectedContent: append(hidden, "@")},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

// TestTheDoorsDay: the door checks people in from a day before an event
// until a day after it, by one rule for a scan answered at once and a scan
// made offline and sent later: the check-in's time decides, not when it is
// sent nor which way it came.
func TestTheDoorsDay(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	soon := kopatest.Event(t, src, kopatest.EventOpts{Starts: time.Now().Add(72 * time.Hour)})
	early := kopatest.Registration(t, src, soon, "Amina", "amina@example.com", "confirmed")
	past := kopatest.Event(t, src, kopatest.EventOpts{Starts: time.Now().Add(-72 * time.Hour)})
	late := kopatest.Registration(t, src, past, "Olek", "olek@example.com", "confirmed")
	orgH := map[string]string{"Authorization": kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))}
	stamp := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000Z") }
	body := func(ev, code, at string) *strings.Reader {
		if at == "" {
			return strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q}`, ev, code))
		}
		return strings.NewReader(fmt.Sprintf(`{"event":%q,"code":%q,"at":%q}`, ev, code, at))
	}
	nothingStored := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords("checkins"); n != 0 {
			t.Errorf("%d check-ins stored", n)
		}
	}
	// The past event ended 70 hours ago; a scan made an hour after its end
	// is still its door's.
	inPast := stamp(time.Now().Add(-69 * time.Hour))
	scenarios := []tests.ApiScenario{
		{Name: "400 for a scan answered at once three days before the event", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           body(soon.Id, early.GetString("ticket"), ""),
			ExpectedStatus: 400, ExpectedContent: []string{`"at":{"code":"validation_outside_event"`}, AfterTestFunc: nothingStored},
		{Name: "400 for the same scan made now and sent later", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           body(soon.Id, early.GetString("ticket"), stamp(time.Now().Add(-time.Minute))),
			ExpectedStatus: 400, ExpectedContent: []string{`"at":{"code":"validation_outside_event"`}, AfterTestFunc: nothingStored},
		{Name: "400 for a scan answered at once three days after the event", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           body(past.Id, late.GetString("ticket"), ""),
			ExpectedStatus: 400, ExpectedContent: []string{`"at":{"code":"validation_outside_event"`}, AfterTestFunc: nothingStored},
		{Name: "ok for a scan made within a day of the event, sent days later", Method: http.MethodPost, URL: "/api/checkin", Headers: orgH,
			Body:           body(past.Id, late.GetString("ticket"), inPast),
			ExpectedStatus: 200, ExpectedContent: []string{`"result":"ok"`, `"checked_in_at":"` + inPast + `"`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

func TestWalkInCapacity(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Capacity: 1})
	kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	if _, err := checkin.WalkIn(app, ev.Id, "Late", "", false, time.Now()); err != checkin.ErrFull {
		t.Fatalf("walk-in on a full event: %v", err)
	}
	res, err := checkin.WalkIn(app, ev.Id, "Late", "", true, time.Now())
	if err != nil || res.Result != "ok" || res.Stats.Confirmed != 2 {
		t.Fatalf("override: %+v %v", res, err)
	}
}

// TestTwentyDevicesOneTicket: twenty door phones scan the same ticket at the
// same moment; exactly one is told ok, nineteen already.
func TestTwentyDevicesOneTicket(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	r := kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	org := kopatest.Organiser(t, app, "org@example.com")
	token := kopatest.Token(t, org)
	srv := kopatest.Serve(t, app)

	var wg sync.WaitGroup
	results := make([]string, 20)
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			body, _ := json.Marshal(map[string]string{"event": ev.Id, "code": r.GetString("ticket")})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/checkin", bytes.NewReader(body))
			req.Header.Set("Authorization", token)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var out struct{ Result string }
			_ = json.NewDecoder(res.Body).Decode(&out)
			results[i] = out.Result
		}(i)
	}
	close(start)
	wg.Wait()
	ok, already := 0, 0
	for _, r := range results {
		switch r {
		case "ok":
			ok++
		case "already":
			already++
		}
	}
	if ok != 1 || already != 19 {
		t.Fatalf("ok %d, already %d: %v", ok, already, results)
	}
	if n, _ := app.CountRecords("checkins"); n != 1 {
		t.Fatalf("%d check-ins stored", n)
	}
}

// TestEarliestOfflineScanWins: a scan made offline earlier and synced later
// keeps the earlier time; the later scan is "already".
func TestEarliestOfflineScanWins(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	r := kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	now := time.Now()
	online, _ := checkin.CheckIn(app, ev.Id, r.GetString("ticket"), "qr", now)
	synced, _ := checkin.CheckIn(app, ev.Id, r.GetString("ticket"), "qr", now.Add(-5*time.Minute))
	if online.Result != "ok" || synced.Result != "already" {
		t.Fatalf("results %s %s", online.Result, synced.Result)
	}
	c, _ := app.FindFirstRecordByData("checkins", "registration", r.Id)
	if got := c.GetDateTime("at").Time(); !got.Round(time.Second).Equal(now.Add(-5 * time.Minute).UTC().Round(time.Second)) {
		t.Errorf("stored %v, want the earlier scan", got)
	}
}

func TestScannerPageAccess(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	start := time.Now().Add(30 * time.Minute)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Starts: start})
	called := kopatest.Event(t, src, kopatest.EventOpts{Status: "cancelled", Starts: start})
	org := kopatest.Organiser(t, src, "org@example.com")
	door := kopatest.Volunteer(t, src, "door@example.com", nil, []string{"door"})
	host := kopatest.Volunteer(t, src, "host@example.com", nil, []string{"hosting"})
	kopatest.Assignment(t, src, kopatest.Shift(t, src, ev, "door", start, start.Add(time.Hour)), door, "accepted")
	cookie := func(r interface{ NewAuthToken() (string, error) }) map[string]string {
		tok, _ := r.NewAuthToken()
		return map[string]string{"Cookie": "kopa_session=" + tok}
	}
	for _, s := range []tests.ApiScenario{
		{Name: "anonymous goes to the login", Method: http.MethodGet, URL: "/manage/events/" + ev.Id + "/scan", ExpectedStatus: 303},
		{Name: "organiser", Method: http.MethodGet, URL: "/manage/events/" + ev.Id + "/scan?lang=en", Headers: cookie(org), ExpectedStatus: 200,
			ExpectedContent:    []string{`data-event="` + ev.Id + `"`, `src="/static/js/scanner.js?v=`, `href="/static/css/scanner.css?v=`, "Start the camera", "No QR code?", "Let them in even when the event is full"},
			NotExpectedContent: []string{"<script>", "data-event-cancelled=", `role="alert">This event was cancelled`}},
		{Name: "the door of a cancelled event says so", Method: http.MethodGet, URL: "/manage/events/" + called.Id + "/scan?lang=lv", Headers: cookie(org), ExpectedStatus: 200,
			ExpectedContent: []string{`data-event-cancelled="1"`, `id="event-cancelled" class="notice" role="alert">Šis pasākums ir atcelts.`}},
		{Name: "door volunteer, without the override", Method: http.MethodGet, URL: "/manage/events/" + ev.Id + "/scan?lang=ru", Headers: cookie(door), ExpectedStatus: 200,
			ExpectedContent: []string{"Включить камеру"}, NotExpectedContent: []string{"w-override"}},
		{Name: "a volunteer without a door shift", Method: http.MethodGet, URL: "/manage/events/" + ev.Id + "/scan", Headers: cookie(host), ExpectedStatus: 403, ExpectedContent: []string{"Nav piekļuves"}},
		{Name: "the service worker may control /manage/", Method: http.MethodGet, URL: "/manage/scan-sw.js", ExpectedStatus: 200, ExpectedContent: []string{"kopa-scanner-v2"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if res.Header.Get("Service-Worker-Allowed") != "/manage" {
					t.Error("no Service-Worker-Allowed header")
				}
			}},
	} {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}

func TestSearchIgnoresCaseInEveryAlphabet(t *testing.T) {
	for _, c := range []struct{ q, name string }{{"мар", "Мария"}, {"ģir", "Ģirts"}, {"AMI", "amina"}, {"عرب", "عربي"}} {
		if !checkin.Matches(c.q, c.name, "") {
			t.Errorf("%q does not find %q", c.q, c.name)
		}
	}
	if checkin.Matches("zz", "Amina", "a@example.com") {
		t.Error("false match")
	}
}

// TestScanAndSearchRace: the same person scanned at one door and checked in
// by name at another, fifty times at once, in process: one ok.
func TestScanAndSearchRace(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	r := kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	var wg sync.WaitGroup
	results := make([]string, 50)
	start := make(chan struct{})
	for i := range results {
		wg.Go(func() {
			<-start
			var res checkin.Result
			var err error
			if i%2 == 0 {
				res, err = checkin.CheckIn(app, ev.Id, r.GetString("ticket"), domain.CheckinQR, time.Now())
			} else {
				res, err = checkin.CheckInRegistration(app, ev.Id, r.Id, domain.CheckinManual, time.Now())
			}
			if err != nil {
				t.Error(err)
			}
			results[i] = res.Result
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, res := range results {
		switch res {
		case checkin.OK:
			ok++
		case checkin.Already:
		default:
			t.Errorf("result %q", res)
		}
	}
	if ok != 1 {
		t.Fatalf("%d ok: %v", ok, results)
	}
	if st, _ := attendance.ForEvent(app, ev.Id); st.CheckedIn != 1 {
		t.Errorf("counts say %d checked in", st.CheckedIn)
	}
}

// TestCheckInAfterTheStatementClosed: when the door's prepared INSERT no
// longer works (the database was reopened under it), check-ins still go
// through, and the statement is prepared again.
func TestCheckInAfterTheStatementClosed(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	a := kopatest.Registration(t, app, ev, "Amina", "amina@example.com", "confirmed")
	b := kopatest.Registration(t, app, ev, "Olek", "olek@example.com", "confirmed")
	c := kopatest.Registration(t, app, ev, "Leyla", "leyla@example.com", "confirmed")
	if res, err := checkin.CheckIn(app, ev.Id, a.GetString("ticket"), "qr", time.Now()); err != nil || res.Result != "ok" {
		t.Fatalf("first: %+v %v", res, err)
	}
	first, ok := app.Store().Get("kopa.checkin.insert").(*sql.Stmt)
	if !ok {
		t.Fatal("no prepared statement kept")
	}
	first.Close()
	res, err := checkin.CheckIn(app, ev.Id, b.GetString("ticket"), "qr", time.Now())
	if err != nil || res.Result != "ok" || res.Stats.CheckedIn != 2 {
		t.Fatalf("with the statement closed: %+v %v", res, err)
	}
	res, err = checkin.CheckIn(app, ev.Id, c.GetString("ticket"), "qr", time.Now())
	if err != nil || res.Result != "ok" || res.Stats.CheckedIn != 3 {
		t.Fatalf("after: %+v %v", res, err)
	}
	if again, _ := app.Store().Get("kopa.checkin.insert").(*sql.Stmt); again == nil || again == first {
		t.Error("the statement was not prepared again")
	}
	if n, _ := app.CountRecords("checkins", dbx.HashExp{"event": ev.Id}); n != 3 {
		t.Errorf("%d check-ins stored, want 3", n)
	}
}
