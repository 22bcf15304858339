package reports_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/settings"
	"kopa/internal/kopatest"
)

// keepNames keeps personal data as long as retention may: the events of
// these tests are a year back.
func keepNames(t testing.TB, app core.App) {
	t.Helper()
	s := settings.Load(app)
	s.RetentionDays = settings.MaxRetentionDays
	if err := settings.Save(app, s); err != nil {
		t.Fatal(err)
	}
}

func TestCSVAndReport(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	// A December that is over, so that its events have ended and have
	// no-show rates; retention keeps their names meanwhile.
	keepNames(t, src)
	day := time.Date(2025, 12, 2, 16, 0, 0, 0, time.UTC) // 18:00 in Riga
	disc := kopatest.Event(t, src, kopatest.EventOpts{Title: "Bēgļu nodarbinātība", Kind: "discussion", Capacity: 40, Starts: day})
	club := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs", Kind: "club", Capacity: 15, Starts: day.AddDate(0, 0, 1)})
	late := kopatest.Event(t, src, kopatest.EventOpts{Title: "Janvāris", Kind: "culture", Starts: day.AddDate(0, 1, 0)})
	kopatest.Event(t, src, kopatest.EventOpts{Title: "Melnraksts", Status: "draft", Starts: day})
	called := kopatest.Event(t, src, kopatest.EventOpts{Title: "Atcelts", Kind: "club", Status: "published", Starts: day})
	kopatest.Registration(t, src, called, "Called Off", "off@example.com", "confirmed")
	called.Set("status", "cancelled")
	if err := src.Save(called); err != nil {
		t.Fatal(err)
	}
	// The first minute of 1 December and the last of 31 December in Riga
	// are in the period; the minute before and after are not.
	kopatest.Event(t, src, kopatest.EventOpts{Title: "Pirmā minūte", Kind: "culture", Starts: time.Date(2025, 11, 30, 22, 0, 0, 0, time.UTC)})
	kopatest.Event(t, src, kopatest.EventOpts{Title: "Pēdējā minūte", Kind: "culture", Starts: time.Date(2025, 12, 31, 21, 59, 0, 0, time.UTC)})
	kopatest.Event(t, src, kopatest.EventOpts{Title: "Novembris", Kind: "culture", Starts: time.Date(2025, 11, 30, 21, 59, 0, 0, time.UTC)})
	kopatest.Event(t, src, kopatest.EventOpts{Title: "Jaunais gads", Kind: "culture", Starts: time.Date(2025, 12, 31, 22, 0, 0, 0, time.UTC)})
	hostile := []string{"=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "Латвия", "Ģirts", "عربي"}
	for i, n := range hostile {
		r := kopatest.Registration(t, src, disc, n, fmt.Sprintf("guest%d@example.com", i), "confirmed")
		if i < 3 {
			if _, err := checkin.CheckIn(src, disc.Id, r.GetString("ticket"), "qr", day); err != nil {
				t.Fatal(err)
			}
		}
	}
	kopatest.Registration(t, src, disc, "Cancelled One", "c@example.com", "cancelled")
	kopatest.Registration(t, src, club, "Olek", "olek@example.com", "confirmed")
	kopatest.Registration(t, src, club, "Ivan", "ivan@example.com", "waitlisted")
	kopatest.Registration(t, src, late, "Later", "later@example.com", "confirmed")
	org := map[string]string{"Authorization": kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))}
	vol := map[string]string{"Authorization": kopatest.Token(t, kopatest.Volunteer(t, src, "vol@example.com", nil, []string{"door"}))}
	csvURL := "/api/events/" + disc.Id + "/registrations.csv"
	repURL := "/api/reports/attendance?from=2025-12-01&to=2025-12-31"

	scenarios := []tests.ApiScenario{
		{Name: "CSV for organisers", Method: http.MethodGet, URL: csvURL, Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{"\ufeffname,email,status,locale,registered_at,checked_in_at,party,childcare,arrived\r\n", "'=cmd|' /C calc'!A0", "'+1", "'-1", "'@SUM(A1)", "Латвия", "Ģirts", "عربي"},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
					t.Errorf("content type %q", ct)
				}
				if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="registrations-2025-12-02-`+disc.Id+`.csv"` {
					t.Errorf("disposition %q", cd)
				}
				if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("cache control %q", cc)
				}
			}},
		{Name: "no CSV for volunteers", Method: http.MethodGet, URL: csvURL, Headers: vol, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no CSV anonymously", Method: http.MethodGet, URL: csvURL, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "report", Method: http.MethodGet, URL: repURL, Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{
				`"id":"` + disc.Id + `","kind":"discussion","title":"Bēgļu nodarbinātība","starts_at":"2025-12-02 16:00:00.000Z","capacity":40,"confirmed":7,"checked_in":3`,
				`"id":"` + club.Id + `","kind":"club","title":"Sarunu klubs"`, `"confirmed":1,"checked_in":0`,
				`"totals":{`, `"discussion":{"events":1,"registered":7,"checked_in":3}`, `"club":{"events":1,"registered":1,"checked_in":0}`, `"culture":{"events":2,"registered":0,"checked_in":0}`,
				"Pirmā minūte", "Pēdējā minūte",
			},
			NotExpectedContent: []string{"Janvāris", "Melnraksts", "Atcelts", "Novembris", "Jaunais gads", "@example.com", "Латвия", "Olek", "name", "email"},
			ExpectedEvents:     map[string]int{"*": 0}},
		{Name: "report: bad dates", Method: http.MethodGet, URL: "/api/reports/attendance?from=2026-13-01&to=x", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"from":{"code":"validation_invalid_date"`, `"to":{"code":"validation_invalid_date"`}},
		{Name: "report: no period", Method: http.MethodGet, URL: "/api/reports/attendance", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"from":{"code":"validation_required"`, `"to":{"code":"validation_required"`}},
		{Name: "report: one day", Method: http.MethodGet, URL: "/api/reports/attendance?from=2025-12-02&to=2025-12-02", Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{`"discussion":{"events":1,"registered":7,"checked_in":3}`, `"club":{"events":0,`}},
		{Name: "report: the longest period", Method: http.MethodGet, URL: "/api/reports/attendance?from=2024-01-01&to=2027-01-02", Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{`"discussion":{"events":1,"registered":7,"checked_in":3}`}},
		{Name: "report: to before from", Method: http.MethodGet, URL: "/api/reports/attendance?from=2025-12-31&to=2025-12-01", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"to":{"code":"validation_before_from"`}},
		{Name: "report: too long", Method: http.MethodGet, URL: "/api/reports/attendance?from=2024-01-01&to=2027-01-03", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"to":{"code":"validation_range_too_long"`}},
		{Name: "no report for volunteers", Method: http.MethodGet, URL: repURL, Headers: vol, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no report anonymously", Method: http.MethodGet, URL: repURL, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "report as CSV", Method: http.MethodGet, URL: "/api/reports/attendance.csv?from=2025-12-01&to=2025-12-31", Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{"\ufeffid,kind,title,starts_at,events,capacity,registered,checked_in,no_show_percent\r\n",
				disc.Id + ",discussion,Bēgļu nodarbinātība,2025-12-02 16:00:00.000Z,1,40,7,3,57\r\n",
				",discussion,total,,1,,7,3,57\r\n", ",club,total,,1,,1,0,100\r\n", ",culture,total,,2,,0,0,0\r\n"},
			NotExpectedContent: []string{"@example.com"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="attendance-2025-12-01-2025-12-31.csv"` {
					t.Errorf("disposition %q", cd)
				}
			}},
		{Name: "report as CSV: bad period", Method: http.MethodGet, URL: "/api/reports/attendance.csv?from=2025-12-01", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"to":{"code":"validation_required"`}},
		{Name: "no report CSV for volunteers", Method: http.MethodGet, URL: "/api/reports/attendance.csv?from=2025-12-01&to=2025-12-31", Headers: vol, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no report CSV anonymously", Method: http.MethodGet, URL: "/api/reports/attendance.csv?from=2025-12-01&to=2025-12-31", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "CSV of an unknown event", Method: http.MethodGet, URL: "/api/events/nosuchevent0000/registrations.csv", Headers: org, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}

	// The CSV reads back with encoding/csv, names intact.
	app := kopatest.CloneFactory(src, hooks.Default)(t)
	defer app.Cleanup()
	srv := kopatest.Serve(t, app)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+csvURL, nil)
	req.Header.Set("Authorization", org["Authorization"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		t.Fatal("no UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "name,email,status,locale,registered_at,checked_in_at,party,childcare,arrived" {
		t.Fatalf("header %q", got)
	}
	if len(rows) != 1+len(hostile)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	byName := map[string][]string{}
	for _, r := range rows[1:] {
		byName[r[0]] = r
	}
	// Hostile names come back defused, with a leading quote; others intact.
	for i, n := range []string{"'=cmd|' /C calc'!A0", "'+1", "'-1", "'@SUM(A1)", "Латвия", "Ģirts", "عربي"} {
		r, ok := byName[n]
		if !ok {
			t.Errorf("name %q not read back", n)
			continue
		}
		if r[1] != fmt.Sprintf("guest%d@example.com", i) || r[2] != "confirmed" || r[3] != "lv" {
			t.Errorf("row %q", r)
		}
		if _, err := time.Parse("2006-01-02 15:04:05.000Z", r[4]); err != nil {
			t.Errorf("registered_at %q is not in the contract's form", r[4])
		}
		want := ""
		if i < 3 {
			want = "2025-12-02 16:00:00.000Z"
		}
		if r[5] != want {
			t.Errorf("%s checked_in_at %q, want %q", n, r[5], want)
		}
	}
	if r := byName["Cancelled One"]; r == nil || r[2] != "cancelled" {
		t.Errorf("cancelled row %q", r)
	}
}
