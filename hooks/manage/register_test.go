package manage_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
)

// TestConsoleRegistersSomeone: an organiser registers a caller or a
// visitor at the desk from the console, the e-mail optional at every
// event: the party, the children to mind and the interpretation wish are
// stored, the seats are decided as for the public (a party too big for the
// seats left waits whole, an event without a waiting list refuses it),
// and the page after it shows the ticket to print or show. Bad input is a
// 400 with the form again and nothing stored.
func TestConsoleRegistersSomeone(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	// A museum visit for families: parties of up to 5, child minding,
	// 5 seats, no waiting list; e-mail required from the public.
	museum := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Muzejs", Kind: "culture", Capacity: 5})
	museum.Set("max_party", 5)
	museum.Set("childcare", true)
	if err := f.src.Save(museum); err != nil {
		t.Fatal(err)
	}
	// The Haddads, three of them, registered by phone before.
	haddad := kopatest.Registration(t, f.src, museum, "Haddad", "", "confirmed")
	haddad.Set("party", 3)
	if err := f.src.Save(haddad); err != nil {
		t.Fatal(err)
	}
	page := "/manage/events/" + museum.Id + "/register"
	stored := func(t testing.TB, app core.App, name string) *core.Record {
		t.Helper()
		r, err := app.FindFirstRecordByData("registrations", "name", name)
		if err != nil {
			t.Fatalf("%s is not registered: %v", name, err)
		}
		return r
	}
	// Nothing but the Haddads' registration, and no mail.
	nothingStored := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n, _ := app.CountRecords("registrations", dbx.HashExp{"event": museum.Id}); n != 1 {
			t.Errorf("%d registrations at the museum after a refusal, want the one there was", n)
		}
		if n, _ := app.CountRecords(outbox.Collection); n != 0 {
			t.Errorf("%d mails queued after a refusal", n)
		}
	}
	// Two of the Rahimis: two seats are left.
	family := url.Values{"name": {"Rahimi"}, "party": {"2"}, "childcare": {"1"}, "interpretation": {"fa"}, "locale": {"fa"}}
	with := func(k, v string) *strings.Reader {
		c := url.Values{}
		for key, vals := range family {
			c[key] = append([]string(nil), vals...)
		}
		c.Set(k, v)
		return form(c)
	}
	bad := func(name string, body *strings.Reader, want string) tests.ApiScenario {
		return tests.ApiScenario{Name: "400 " + name, Method: http.MethodPost, URL: page + "?lang=en", Headers: f.orgH, Body: body,
			ExpectedStatus: 400, ExpectedContent: []string{want, `value="Rahimi`}, AfterTestFunc: nothingStored}
	}

	run(t, f.src, []tests.ApiScenario{
		{Name: "the registrations page links to the form", Method: http.MethodGet, URL: "/manage/events/" + museum.Id + "/registrations?lang=en", Headers: f.orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`href="/manage/events/` + museum.Id + `/register"`, `id="register-someone">Register someone</a>`}},
		{Name: "the form asks for the party and the children where the event has them", Method: http.MethodGet, URL: page + "?lang=en", Headers: f.orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"<h1>Register someone</h1>", `name="party"`, `<option value="5">5</option>`, `name="childcare"`,
				"E-mail address (optional)", `name="interpretation" value="fa"`, `name="locale"`}},
		{Name: "an event for one person each asks neither", Method: http.MethodGet, URL: "/manage/events/" + f.ev.Id + "/register?lang=en", Headers: f.orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`<input type="hidden" name="party" value="1">`}, NotExpectedContent: []string{`name="childcare"`}},
		{Name: "a volunteer may not", Method: http.MethodGet, URL: page + "?lang=en", Headers: f.volH, ExpectedStatus: 403, ExpectedContent: []string{"No access"}},
		{Name: "a volunteer may not register", Method: http.MethodPost, URL: page + "?lang=en", Headers: f.volH, Body: form(family), ExpectedStatus: 403,
			ExpectedContent: []string{"No access"}, AfterTestFunc: nothingStored},
		{Name: "a family without e-mail: stored, no mail, its ticket next", Method: http.MethodPost, URL: page, Headers: f.orgH, Body: form(family),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r := stored(t, app, "Rahimi")
				if r.GetString("email") != "" || r.GetInt("party") != 2 || r.GetInt("childcare") != 1 || r.GetString("status") != "confirmed" ||
					r.GetString("locale") != "fa" || strings.Join(r.GetStringSlice("interpretation"), ",") != "fa" {
					t.Errorf("stored %v", r.PublicExport())
				}
				if n, _ := app.CountRecords(outbox.Collection); n != 0 {
					t.Errorf("%d mails queued for a registration without an address", n)
				}
				want := "/manage/events/" + museum.Id + "/registrations/" + r.Id + "/ticket?outcome=confirmed"
				if got := res.Header.Get("Location"); got != want {
					t.Errorf("location %q, want %q", got, want)
				}
			}},
		{Name: "with an address, the ticket is mailed", Method: http.MethodPost, URL: page, Headers: f.orgH,
			Body: form(url.Values{"name": {"Olek"}, "email": {"Olek@Example.com"}, "party": {"1"}, "locale": {"ru"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if r := stored(t, app, "Olek"); r.GetString("email") != "olek@example.com" {
					t.Errorf("stored %v", r.PublicExport())
				}
				if got := mails(app)["olek@example.com"]; len(got) != 1 {
					t.Errorf("mails to Olek: %v", got)
				}
			}},
		{Name: "409 a party bigger than the seats left, at an event without a waiting list", Method: http.MethodPost, URL: page + "?lang=en", Headers: f.orgH,
			Body: with("party", "3"), ExpectedStatus: 409, ExpectedContent: []string{"Sorry, all seats are taken."}, AfterTestFunc: nothingStored},
		bad("party 0", with("party", "0"), "Choose how many are coming"),
		bad("a party over the event's largest", with("party", "6"), "Choose how many are coming"),
		bad("a party that is not a number", with("party", "two"), "Choose how many are coming"),
		bad("more children than people", with("childcare", "3"), "Children to mind: from 0 to the people coming"),
		bad("a name with a web address", with("name", "Rahimi http://x.example"), `aria-invalid="true" aria-describedby="name-error"`),
		bad("an e-mail that is not one", with("email", "rahimi@"), "Enter a valid e-mail address, or leave it empty."),
		bad("an unknown language", with("interpretation", "xx"), "Tick languages from the list."),
		bad("an unknown ticket language", with("locale", "de"), "Choose a language from the list."),
		{Name: "400 children where the event offers no child minding", Method: http.MethodPost, URL: "/manage/events/" + f.ev.Id + "/register?lang=en", Headers: f.orgH,
			Body: form(url.Values{"name": {"Rahimi"}, "party": {"1"}, "childcare": {"1"}, "locale": {"lv"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Children to mind: from 0"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if _, err := app.FindFirstRecordByData("registrations", "name", "Rahimi"); err == nil {
					t.Error("registered with children where the event offers no child minding")
				}
			}},
		{Name: "the ticket to show or print", Method: http.MethodGet, URL: "/manage/events/" + museum.Id + "/registrations/" + haddad.Id + "/ticket?lang=en", Headers: f.orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"Haddad", "<dt>People</dt><dd>3</dd>", `src="/t/` + haddad.GetString("ticket") + `/qr.png"`,
				`href="/t/` + haddad.GetString("ticket") + `/print?lang=lv"`, "Without an e-mail address the ticket cannot be sent"}},
		{Name: "no ticket of another event's registration", Method: http.MethodGet, URL: "/manage/events/" + f.ev.Id + "/registrations/" + haddad.Id + "/ticket?lang=en", Headers: f.orgH,
			ExpectedStatus: 404, ExpectedContent: []string{"<html"}},
	})
}
