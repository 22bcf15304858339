package reports_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/internal/kopatest"
)

func TestCSVAndReport(t *testing.T) {
	src := kopatest.NewApp(t)
	day := time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC) // 18:00 in Riga
	disc := kopatest.Event(t, src, kopatest.EventOpts{Title: "Bēgļu nodarbinātība", Kind: "discussion", Capacity: 40, Starts: day})
	club := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs", Kind: "club", Capacity: 15, Starts: day.AddDate(0, 0, 1)})
	late := kopatest.Event(t, src, kopatest.EventOpts{Title: "Janvāris", Kind: "culture", Starts: day.AddDate(0, 1, 0)})
	kopatest.Event(t, src, kopatest.EventOpts{Title: "Melnraksts", Status: "draft", Starts: day})
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
	repURL := "/api/reports/attendance?from=2026-12-01&to=2026-12-31"

	scenarios := []tests.ApiScenario{
		{Name: "CSV for organisers", Method: http.MethodGet, URL: csvURL, Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{"\ufeffname,email,status,locale,registered_at,checked_in_at\r\n", "'=cmd|' /C calc'!A0", "'+1", "'-1", "'@SUM(A1)", "Латвия", "Ģirts", "عربي"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
					t.Errorf("content type %q", ct)
				}
				if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="registrations-2026-12-02-`) {
					t.Errorf("disposition %q", cd)
				}
			}},
		{Name: "no CSV for volunteers", Method: http.MethodGet, URL: csvURL, Headers: vol, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no CSV anonymously", Method: http.MethodGet, URL: csvURL, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "report", Method: http.MethodGet, URL: repURL, Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{
				`"id":"` + disc.Id + `","kind":"discussion","title":"Bēgļu nodarbinātība","starts_at":"2026-12-02 16:00:00.000Z","capacity":40,"confirmed":7,"checked_in":3`,
				`"id":"` + club.Id + `","kind":"club","title":"Sarunu klubs"`, `"confirmed":1,"checked_in":0`,
				`"totals":{`, `"discussion":{"events":1,"registered":7,"checked_in":3}`, `"club":{"events":1,"registered":1,"checked_in":0}`, `"culture":{"events":0,"registered":0,"checked_in":0}`,
			},
			NotExpectedContent: []string{"Janvāris", "Melnraksts", "@example.com", "Латвия", "Olek"}},
		{Name: "report: bad dates", Method: http.MethodGet, URL: "/api/reports/attendance?from=2026-13-01&to=x", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"from":{"code":"validation_invalid_date"`, `"to":{"code":"validation_invalid_date"`}},
		{Name: "report: to before from", Method: http.MethodGet, URL: "/api/reports/attendance?from=2026-12-31&to=2026-12-01", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"to":{"code":"validation_before_from"`}},
		{Name: "report: too long", Method: http.MethodGet, URL: "/api/reports/attendance?from=2020-01-01&to=2026-12-01", Headers: org, ExpectedStatus: 400,
			ExpectedContent: []string{`"to":{"code":"validation_range_too_long"`}},
		{Name: "no report for volunteers", Method: http.MethodGet, URL: repURL, Headers: vol, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "no report anonymously", Method: http.MethodGet, URL: repURL, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "report as CSV", Method: http.MethodGet, URL: "/api/reports/attendance.csv?from=2026-12-01&to=2026-12-31", Headers: org, ExpectedStatus: 200,
			ExpectedContent: []string{"id,kind,title,starts_at,capacity,registered,checked_in", ",discussion,total,,,7,3"}},
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
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(hostile)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	names := map[string]bool{}
	for _, r := range rows[1:] {
		names[r[0]] = true
	}
	for _, n := range []string{"'=cmd|' /C calc'!A0", "Латвия", "Ģirts", "عربي"} {
		if !names[n] {
			t.Errorf("name %q not read back", n)
		}
	}
}
