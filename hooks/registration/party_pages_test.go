package registration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// TestPartyPages: the form asks how many are coming only where parties
// are taken, how many children need minding only where it is offered, and
// marks the e-mail optional only where it is; the ticket page of a party
// gives seats back, says when a waiting party is passed over, and offers
// to keep a ticket that was not mailed.
func TestPartyPages(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	family := familyEvent(t, src, kopatest.EventOpts{Title: "Ģimeņu diena", Capacity: 5, Waitlist: true}, 4, true, true)
	plain := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 10})
	tightNoWait := familyEvent(t, src, kopatest.EventOpts{Capacity: 4}, 4, false, false)
	partyOf(t, src, tightNoWait, "ivan", "confirmed", 2)
	big := partyOf(t, src, family, "big", "confirmed", 4)
	big.Set("childcare", 2)
	big.Set("email", "")
	if err := src.Save(big); err != nil {
		t.Fatal(err)
	}
	waiting := partyOf(t, src, family, "waiting", "waitlisted", 3)
	code := big.GetString("ticket")
	factory := kopatest.CloneFactory(src, hooks.Default)
	formHeaders := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	form := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }
	count := func(ev *core.Record, want int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if n, _ := app.CountRecords("registrations", hashExp("event", ev.Id)); int(n) != want {
				t.Errorf("%d registrations, want %d", n, want)
			}
		}
	}

	scenarios := []tests.ApiScenario{
		{Name: "the form of a family event asks", Method: http.MethodGet, URL: "/events/" + family.Id + "?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"How many of you are coming?", `<select id="party" name="party"`, `<option value="4">4</option>`,
				"How many children need minding?", `<select id="childcare" name="childcare"`, `<option value="0" selected>0</option>`,
				"E-mail address (optional)"},
			NotExpectedContent: []string{`<option value="5">`, `id="email" name="email" type="email" autocomplete="email" inputmode="email" required`}},
		{Name: "the form of a plain event does not", Method: http.MethodGet, URL: "/events/" + plain.Id + "?lang=en", ExpectedStatus: 200,
			ExpectedContent:    []string{`id="email" name="email" type="email" autocomplete="email" inputmode="email" required`},
			NotExpectedContent: []string{`id="party"`, `id="childcare"`, "E-mail address (optional)", "How many"}},
		{Name: "the questions in Persian", Method: http.MethodGet, URL: "/events/" + family.Id + "?lang=fa", ExpectedStatus: 200,
			ExpectedContent: []string{`dir="rtl"`, "چند نفر می‌آیید؟", "چند طفل به مراقبت نیاز دارند؟", "ایمیل (اختیاری)"}},
		{Name: "the form registers a party without an e-mail", Method: http.MethodPost, URL: "/events/" + family.Id + "/register", Headers: formHeaders,
			Body: form(url.Values{"name": {"Reza"}, "party": {"1"}, "childcare": {"1"}, "locale": {"en"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindFirstRecordByData("registrations", "name", "Reza")
				if err != nil || r.GetInt("party") != 1 || r.GetInt("childcare") != 1 || r.GetString("status") != "confirmed" {
					t.Fatalf("stored %v, %v", r, err)
				}
				if res.Header.Get("Location") != "/t/"+r.GetString("ticket") {
					t.Errorf("location %q", res.Header.Get("Location"))
				}
			}},
		{Name: "party 0 through the form", Method: http.MethodPost, URL: "/events/" + family.Id + "/register?lang=en", Headers: formHeaders,
			Body: form(url.Values{"name": {"Reza"}, "party": {"0"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Please choose how many of you are coming from the list.", `aria-invalid="true"`}, AfterTestFunc: count(family, 2)},
		{Name: "a party over max_party through the form", Method: http.MethodPost, URL: "/events/" + family.Id + "/register?lang=lv", Headers: formHeaders,
			Body: form(url.Values{"name": {"Reza"}, "party": {"5"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Lūdzu, izvēlieties no saraksta, cik jūs nāksiet."}, AfterTestFunc: count(family, 2)},
		{Name: "more children than people through the form", Method: http.MethodPost, URL: "/events/" + family.Id + "/register?lang=ru", Headers: formHeaders,
			Body: form(url.Values{"name": {"Reza"}, "party": {"2"}, "childcare": {"3"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"скольким детям нужен присмотр: не больше"}, AfterTestFunc: count(family, 2)},
		{Name: "childcare through the form where it is not offered", Method: http.MethodPost, URL: "/events/" + plain.Id + "/register?lang=en", Headers: formHeaders,
			Body: form(url.Values{"name": {"Reza"}, "email": {"reza@example.com"}, "childcare": {"1"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Please choose how many children need minding"}, AfterTestFunc: count(plain, 0)},
		{Name: "a party that does not fit where nobody waits, through the form", Method: http.MethodPost, URL: "/events/" + tightNoWait.Id + "/register?lang=en", Headers: formHeaders,
			Body: form(url.Values{"name": {"Reza"}, "email": {"reza@example.com"}, "party": {"3"}}), ExpectedStatus: 409,
			ExpectedContent: []string{"Sorry, there are not enough seats left for all of you."}, AfterTestFunc: count(tightNoWait, 1)},
		{Name: "no e-mail through the form where it is required", Method: http.MethodPost, URL: "/events/" + plain.Id + "/register?lang=en", Headers: formHeaders,
			Body: form(url.Values{"name": {"Reza"}}), ExpectedStatus: 400,
			ExpectedContent: []string{"Please enter a valid e-mail address."}, AfterTestFunc: count(plain, 0)},
		{Name: "the ticket of a party without an e-mail", Method: http.MethodGet, URL: "/t/" + code + "?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"People", "<dd>4</dd>", "Children to mind", "<dd>2</dd>",
				"This ticket was not sent by e-mail and cannot be sent again.", `href="/t/` + code + `/event.ics"`, `data-share="/t/` + code + `"`,
				`href="/t/` + code + `/print"`, "/static/js/ticket.js",
				"One of us can", `action="/t/` + code + `/party"`, `<option value="3">3</option>`}},
		{Name: "a waiting ticket with an e-mail loads no script; passed over, it is told it keeps its place", Method: http.MethodGet, URL: "/t/" + waiting.GetString("ticket") + "?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{`href="/t/` + waiting.GetString("ticket") + `/event.ics"`, "One of us can",
				"Seats free now: 1, but your group needs 3.", "You keep your place on the waiting list", "number 1 on the list"},
			NotExpectedContent: []string{"ticket.js", "cannot be sent again"}},
		{Name: "a waiting party that fits is not told it was passed over", Method: http.MethodGet, URL: "/t/" + waiting.GetString("ticket") + "?lang=en", ExpectedStatus: 200,
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				w, _ := app.FindRecordById("registrations", waiting.Id)
				w.Set("party", 1)
				if err := app.Save(w); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedContent: []string{"number 1 on the list"}, NotExpectedContent: []string{"Seats free now"}},
		{Name: "the print view", Method: http.MethodGet, URL: "/t/" + code + "/print?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"Ģimeņu diena", "big", `src="/t/` + code + `/qr.png"`, "data-print", "/static/js/ticket.js", "Print this page"},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if res.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("the print view may be stored: %v", res.Header)
				}
			}},
		{Name: "giving seats back through the form", Method: http.MethodPost, URL: "/t/" + code + "/party", Headers: formHeaders,
			Body: form(url.Values{"party": {"1"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/t/"+code+"?given=1" {
					t.Errorf("redirect %q", loc)
				}
				r, _ := app.FindRecordById("registrations", big.Id)
				if r.GetInt("party") != 1 || r.GetInt("childcare") != 1 {
					t.Errorf("party %d, childcare %d", r.GetInt("party"), r.GetInt("childcare"))
				}
				w, _ := app.FindRecordById("registrations", waiting.Id)
				if w.GetString("status") != "confirmed" {
					t.Errorf("the waiting party of three is %s with four seats free", w.GetString("status"))
				}
			}},
		{Name: "giving seats back as JSON", Method: http.MethodPost, URL: "/t/" + code + "/party", Headers: map[string]string{"Content-Type": "application/json", "Accept": "application/json"},
			Body: strings.NewReader(`{"party":3}`), ExpectedStatus: 200, ExpectedContent: []string{`"party":3`, `"status":"confirmed"`}},
		{Name: "giving back all seats is refused", Method: http.MethodPost, URL: "/t/" + code + "/party", Headers: map[string]string{"Content-Type": "application/json", "Accept": "application/json"},
			Body: strings.NewReader(`{"party":0}`), ExpectedStatus: 400, ExpectedContent: []string{`"party":{"code":"validation_party_give_back"`}},
		{Name: "asking for more seats is refused", Method: http.MethodPost, URL: "/t/" + code + "/party", Headers: formHeaders,
			Body: form(url.Values{"party": {"5"}}), ExpectedStatus: 400, ExpectedContent: []string{"<html"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if r, _ := app.FindRecordById("registrations", big.Id); r.GetInt("party") != 4 {
					t.Errorf("party %d", r.GetInt("party"))
				}
			}},
		{Name: "giving back seats of an unknown ticket", Method: http.MethodPost, URL: "/t/AAAAAAAAAAAAAAAAAAAAAAAA/party", Headers: formHeaders,
			Body: form(url.Values{"party": {"1"}}), ExpectedStatus: 404, ExpectedContent: []string{"<html"}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}
