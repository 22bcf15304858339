package bulletins_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/bulletins"
	"kopa/internal/kopatest"
)

// TestOptInBoxes: the registration and volunteer sign-up forms (and their
// JSON APIs) offer the bulletins with an unticked box; a ticked box stores
// a pending subscriber with where consent was given and queues the
// confirmation mail, an unticked one stores nobody.
func TestOptInBoxes(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	ev := kopatest.Event(t, src, kopatest.EventOpts{})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	jsonH := map[string]string{"Content-Type": "application/json"}
	subscribed := func(email, source, locale string) func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			s, err := app.FindFirstRecordByData(bulletins.ColSubscribers, "email", email)
			if err != nil {
				t.Fatalf("no subscriber %s: %v", email, err)
			}
			if s.GetString("status") != bulletins.StatusPending || s.GetString("consent_source") != source || s.GetString("locale") != locale || s.GetDateTime("consent_at").IsZero() {
				t.Errorf("stored %v", s.FieldsData())
			}
			if n := mails(t, app, email); n != 1 {
				t.Errorf("%d confirmation mails", n)
			}
		}
	}
	nobody := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := count(t, app, bulletins.ColSubscribers, ""); n != 0 {
			t.Errorf("%d subscribers", n)
		}
	}
	volunteer := url.Values{"name": {"Ilze Ozola"}, "email": {"ilze@example.com"}, "languages": {"lv"}, "locale": {"ru"}, "contact_consent": {"1"}}
	ticked := func(v url.Values) *strings.Reader {
		w := url.Values{}
		for k, x := range v {
			w[k] = x
		}
		w.Set("bulletins", "1")
		return strings.NewReader(w.Encode())
	}
	scenarios := []tests.ApiScenario{
		{Name: "the event page's box is unticked", Method: http.MethodGet, URL: "/events/" + ev.Id + "?lang=en", ExpectedStatus: 200,
			ExpectedContent:    []string{`<input id="bulletins" name="bulletins" type="checkbox" value="1">`, "Send me Kopā&#39;s bulletins too"},
			NotExpectedContent: []string{`name="bulletins" type="checkbox" value="1" checked`}},
		{Name: "the sign-up page's box is unticked", Method: http.MethodGet, URL: "/volunteer?lang=ru", ExpectedStatus: 200,
			ExpectedContent: []string{`<input id="bulletins" name="bulletins" type="checkbox" value="1">`, "Присылайте мне также бюллетени"}},
		{Name: "a registration with the box ticked", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register?lang=en", Headers: form,
			Body:           strings.NewReader(url.Values{"name": {"Amina Haddad"}, "email": {"amina@example.com"}, "locale": {"en"}, "bulletins": {"1"}}.Encode()),
			ExpectedStatus: 303, AfterTestFunc: subscribed("amina@example.com", bulletins.SourceRegistration, "en")},
		{Name: "a registration without", Method: http.MethodPost, URL: "/events/" + ev.Id + "/register?lang=en", Headers: form,
			Body:           strings.NewReader(url.Values{"name": {"Amina Haddad"}, "email": {"amina@example.com"}, "locale": {"en"}}.Encode()),
			ExpectedStatus: 303, AfterTestFunc: nobody},
		{Name: "a registration by the API with bulletins true", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/register", Headers: jsonH,
			Body:           strings.NewReader(`{"name":"Oleg Ivanov","email":"oleg@example.com","locale":"ru","bulletins":true}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"ticket"`}, AfterTestFunc: subscribed("oleg@example.com", bulletins.SourceRegistration, "ru")},
		{Name: "a refused registration subscribes nobody", Method: http.MethodPost, URL: "/api/events/" + ev.Id + "/register", Headers: jsonH,
			Body:           strings.NewReader(`{"name":"","email":"oleg@example.com","locale":"ru","bulletins":true}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name"`}, AfterTestFunc: nobody},
		{Name: "a volunteer sign-up with the box ticked", Method: http.MethodPost, URL: "/volunteer?lang=ru", Headers: form,
			Body: ticked(volunteer), ExpectedStatus: 200, ExpectedContent: []string{"<html"}, AfterTestFunc: subscribed("ilze@example.com", bulletins.SourceVolunteer, "ru")},
		{Name: "a volunteer sign-up without", Method: http.MethodPost, URL: "/volunteer?lang=ru", Headers: form,
			Body: strings.NewReader(volunteer.Encode()), ExpectedStatus: 200, ExpectedContent: []string{"<html"}, AfterTestFunc: nobody},
		{Name: "a volunteer sign-up by the API", Method: http.MethodPost, URL: "/api/volunteers/signup", Headers: jsonH,
			Body:           strings.NewReader(`{"name":"Ilze Ozola","email":"ilze@example.com","languages":["lv"],"locale":"lv","contact_consent":true,"bulletins":true}`),
			ExpectedStatus: 202, ExpectedContent: []string{`{"status":"pending"}`}, AfterTestFunc: subscribed("ilze@example.com", bulletins.SourceVolunteer, "lv")},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
