package volunteers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestDirectory: organisers list, filter and search every volunteer, read
// one volunteer's page with their shifts and the organisers' note, approve,
// pause, write the note and erase; volunteers and strangers cannot, and a
// refused form changes nothing.
func TestDirectory(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	amina := kopatest.Volunteer(t, src, "amina@example.com", []string{"ar", "en"}, []string{"interpreting"})
	amina.Set("name", "Amina Haddad")
	amina.Set("notes", "References checked 2026-11-02")
	if err := src.Save(amina); err != nil {
		t.Fatal(err)
	}
	pending := kopatest.Volunteer(t, src, "juris@example.com", []string{"lv"}, []string{"door"}, "pending")
	kopatest.Volunteer(t, src, "olga@example.com", []string{"ru"}, []string{"childcare"}, "paused")
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Valodu klubs"})
	starts := ev.GetDateTime("starts_at").Time()
	shift := kopatest.Shift(t, src, ev, "interpreting", starts, starts.Add(2*time.Hour))
	came := kopatest.Assignment(t, src, shift, amina, "accepted")
	// She came half an hour late to her two-hour shift: 1.5 hours count.
	came.Set("arrived_at", domain.DateTime(starts.Add(30*time.Minute)))
	if err := src.Save(came); err != nil {
		t.Fatal(err)
	}
	later := kopatest.Shift(t, src, ev, "interpreting", starts.Add(3*time.Hour), starts.Add(4*time.Hour))
	same := kopatest.Shift(t, src, ev, "interpreting", starts.Add(time.Hour), starts.Add(3*time.Hour))
	door := kopatest.Shift(t, src, ev, "door", starts.Add(5*time.Hour), starts.Add(6*time.Hour))
	factory := kopatest.CloneFactory(src, hooks.Default)
	orgs := session(kopatest.Token(t, org))
	vols := session(kopatest.Token(t, amina))

	scenarios := []tests.ApiScenario{
		{Name: "anonymous is sent to the login", Method: http.MethodGet, URL: "/manage/volunteers", ExpectedStatus: 303},
		{Name: "a volunteer has no directory", Method: http.MethodGet, URL: "/manage/volunteers?lang=en", Headers: vols,
			ExpectedStatus: 403, NotExpectedContent: []string{"juris@example.com"}},
		{Name: "a volunteer cannot open another's page (nor read the note)", Method: http.MethodGet, URL: "/manage/volunteers/" + amina.Id, Headers: vols,
			ExpectedStatus: 403, NotExpectedContent: []string{"References checked"}},
		{Name: "every volunteer is listed", Method: http.MethodGet, URL: "/manage/volunteers?lang=en", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"Amina Haddad", "juris@example.com", "olga@example.com", "waiting for approval", "paused", "/manage/volunteers/" + amina.Id, "3 of 3"}},
		{Name: "filter by language", Method: http.MethodGet, URL: "/manage/volunteers?lang=en&language=ar", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"Amina Haddad"}, NotExpectedContent: []string{"juris@example.com", "olga@example.com"}},
		{Name: "filter by skill", Method: http.MethodGet, URL: "/manage/volunteers?skill=childcare", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"olga@example.com"}, NotExpectedContent: []string{"juris@example.com", "amina@example.com"}},
		{Name: "filter by status", Method: http.MethodGet, URL: "/manage/volunteers?status=pending", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"juris@example.com"}, NotExpectedContent: []string{"olga@example.com", "amina@example.com"}},
		{Name: "search by name", Method: http.MethodGet, URL: "/manage/volunteers?q=haddad", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"amina@example.com"}, NotExpectedContent: []string{"juris@example.com", "olga@example.com"}},
		{Name: "search by address; a wildcard is a literal", Method: http.MethodGet, URL: "/manage/volunteers?q=%25", Headers: orgs, ExpectedStatus: 200,
			NotExpectedContent: []string{"juris@example.com", "olga@example.com", "amina@example.com"}},
		{Name: "an unknown filter value is ignored", Method: http.MethodGet, URL: "/manage/volunteers?status=admin&skill=%27", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"juris@example.com", "olga@example.com", "amina@example.com"}},
		{Name: "one volunteer's page: shifts and the note", Method: http.MethodGet, URL: "/manage/volunteers/" + amina.Id + "?lang=en", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"Amina Haddad", "References checked 2026-11-02", "Valodu klubs", "Interpreting", "accepted", `value="paused"`, "/manage/volunteers/" + amina.Id + "/erase"}},
		{Name: "one volunteer's page: the hours each shift counts, and their sum", Method: http.MethodGet, URL: "/manage/volunteers/" + amina.Id + "?lang=en", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{`<dd id="volunteer-hours">1.50</dd>`, `class="num">1.50</td>`}},
		{Name: "a volunteer who never came has no hours", Method: http.MethodGet, URL: "/manage/volunteers/" + pending.Id + "?lang=en", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{`<dd id="volunteer-hours">0.00</dd>`}},
		{Name: "the page offers the open shifts of their skills they are free for", Method: http.MethodGet, URL: "/manage/volunteers/" + amina.Id + "?lang=en", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent:    []string{`action="/manage/volunteers/` + amina.Id + `/invite"`, `<option value="` + later.Id + `"`},
			NotExpectedContent: []string{`<option value="` + same.Id + `"`, `<option value="` + door.Id + `"`, `<option value="` + shift.Id + `"`}},
		{Name: "a pending volunteer is offered no invitation", Method: http.MethodGet, URL: "/manage/volunteers/" + pending.Id + "?lang=en", Headers: orgs, ExpectedStatus: 200,
			NotExpectedContent: []string{"/invite"}},
		{Name: "inviting to a shift", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/invite", Headers: orgs,
			Body: form(url.Values{"shift": {later.Id}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if st := assignments(t, app, later.Id)[amina.Id]; st != "invited" {
					t.Errorf("status %q", st)
				}
				if n := len(outboxRows(t, app, "volunteer_invite")); n != 1 {
					t.Errorf("%d invitations queued", n)
				}
			}},
		{Name: "inviting to an overlapping shift invites nobody", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/invite?lang=en", Headers: orgs,
			Body: form(url.Values{"shift": {same.Id}}), ExpectedStatus: 409, ExpectedContent: []string{"Not invited"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n := len(assignments(t, app, same.Id)); n != 0 {
					t.Errorf("%d assignments", n)
				}
			}},
		{Name: "inviting a pending volunteer is refused", Method: http.MethodPost, URL: "/manage/volunteers/" + pending.Id + "/invite?lang=en", Headers: orgs,
			Body: form(url.Values{"shift": {door.Id}}), ExpectedStatus: 409, ExpectedContent: []string{"Only approved volunteers can be invited"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n := len(assignments(t, app, door.Id)); n != 0 {
					t.Errorf("%d assignments", n)
				}
			}},
		{Name: "inviting to an unknown shift", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/invite?lang=en", Headers: orgs,
			Body: form(url.Values{"shift": {"nosuchshift"}}), ExpectedStatus: 400, ExpectedContent: []string{"Choose a shift from the list."},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n := count(t, app, "assignments"); n != 1 {
					t.Errorf("%d assignments", n)
				}
			}},
		{Name: "a volunteer cannot invite", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/invite", Headers: vols,
			Body: form(url.Values{"shift": {later.Id}}), ExpectedStatus: 403, ExpectedContent: []string{"<h1>"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n := count(t, app, "assignments"); n != 1 {
					t.Errorf("%d assignments", n)
				}
			}},
		{Name: "an unknown volunteer is not found", Method: http.MethodGet, URL: "/manage/volunteers/nosuchvolunteer?lang=en", Headers: orgs, ExpectedStatus: 404, ExpectedContent: []string{"Page not found"}},
		{Name: "approving", Method: http.MethodPost, URL: "/manage/volunteers/" + pending.Id + "/status", Headers: orgs,
			Body: form(url.Values{"status": {"approved"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if st, _ := statusOf(t, app, pending.Id); st != "approved" {
					t.Errorf("status %q", st)
				}
				if n := len(outboxRows(t, app, "volunteer_approved")); n != 1 {
					t.Errorf("%d approval mails queued", n)
				}
			}},
		{Name: "pausing", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/status", Headers: orgs,
			Body: form(url.Values{"status": {"paused"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if st, _ := statusOf(t, app, amina.Id); st != "paused" {
					t.Errorf("status %q", st)
				}
			}},
		{Name: "an unknown status is refused", Method: http.MethodPost, URL: "/manage/volunteers/" + pending.Id + "/status?lang=en", Headers: orgs,
			Body: form(url.Values{"status": {"admin"}}), ExpectedStatus: 400, ExpectedContent: []string{"Choose approve or pause."},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if st, _ := statusOf(t, app, pending.Id); st != "pending" {
					t.Errorf("status %q", st)
				}
			}},
		{Name: "a status form without the CSRF token is refused", Method: http.MethodPost, URL: "/manage/volunteers/" + pending.Id + "/status",
			Headers: map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org), "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader("status=approved"), ExpectedStatus: 403, ExpectedContent: []string{"<h1>"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if st, _ := statusOf(t, app, pending.Id); st != "pending" {
					t.Errorf("status %q", st)
				}
			}},
		{Name: "a volunteer cannot approve anyone", Method: http.MethodPost, URL: "/manage/volunteers/" + pending.Id + "/status", Headers: vols,
			Body: form(url.Values{"status": {"approved"}}), ExpectedStatus: 403, ExpectedContent: []string{"<h1>"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if st, _ := statusOf(t, app, pending.Id); st != "pending" {
					t.Errorf("status %q", st)
				}
			}},
		{Name: "the note is saved", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/notes", Headers: orgs,
			Body: form(url.Values{"notes": {"Safeguarding training 2026-11-20"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if _, notes := statusOf(t, app, amina.Id); notes != "Safeguarding training 2026-11-20" {
					t.Errorf("notes %q", notes)
				}
			}},
		{Name: "a note too long is refused and nothing is stored", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/notes?lang=en", Headers: orgs,
			Body: form(url.Values{"notes": {strings.Repeat("x", 5001)}}), ExpectedStatus: 400, ExpectedContent: []string{"The note is too long"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if _, notes := statusOf(t, app, amina.Id); notes != "References checked 2026-11-02" {
					t.Errorf("notes %q", notes)
				}
			}},
		{Name: "a volunteer cannot write the note", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/notes", Headers: vols,
			Body: form(url.Values{"notes": {"mine"}}), ExpectedStatus: 403, ExpectedContent: []string{"<h1>"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if _, notes := statusOf(t, app, amina.Id); notes != "References checked 2026-11-02" {
					t.Errorf("notes %q", notes)
				}
			}},
		{Name: "erasing asks first", Method: http.MethodGet, URL: "/manage/volunteers/" + amina.Id + "/erase?lang=en", Headers: orgs, ExpectedStatus: 200,
			ExpectedContent: []string{"It cannot be undone", "Erase the account", "amina@example.com"}},
		{Name: "erasing deletes the account and its shifts", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/erase", Headers: orgs,
			Body: form(url.Values{}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if _, err := app.FindRecordById("volunteers", amina.Id); err == nil {
					t.Error("the volunteer is still there")
				}
				if n := count(t, app, "assignments"); n != 0 {
					t.Errorf("%d assignments left", n)
				}
				if loc := res.Header.Get("Location"); loc != "/manage/volunteers?notice=erased" {
					t.Errorf("location %q", loc)
				}
			}},
		{Name: "erasing needs the CSRF token", Method: http.MethodPost, URL: "/manage/volunteers/" + amina.Id + "/erase",
			Headers: map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org), "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader(""), ExpectedStatus: 403, ExpectedContent: []string{"<h1>"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if _, err := app.FindRecordById("volunteers", amina.Id); err != nil {
					t.Error("the volunteer was erased")
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}
