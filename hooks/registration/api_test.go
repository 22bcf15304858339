package registration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/internal/kopatest"
)

func body(s string) *strings.Reader { return strings.NewReader(s) }

// mails counts the outbox rows of a registration kind.
func mails(t testing.TB, app *tests.TestApp, kind string) int {
	t.Helper()
	n, err := app.CountRecords(outbox.Collection)
	if err != nil {
		t.Fatal(err)
	}
	if kind == "" {
		return int(n)
	}
	rows, _ := app.FindAllRecords(outbox.Collection)
	c := 0
	for _, r := range rows {
		if r.GetString("kind") == kind {
			c++
		}
	}
	return c
}

func TestRegisterAPI(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	open := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 2, Waitlist: true})
	kopatest.Registration(t, src, open, "Amina", "amina@example.com", "confirmed")
	full := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 1, Waitlist: true})
	kopatest.Registration(t, src, full, "Olek", "olek@example.com", "confirmed")
	kopatest.Registration(t, src, full, "Wait One", "w1@example.com", "waitlisted")
	noWait := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 1})
	kopatest.Registration(t, src, noWait, "Ivan", "ivan@example.com", "confirmed")
	cancelled := kopatest.Event(t, src, kopatest.EventOpts{Status: "cancelled"})
	draft := kopatest.Event(t, src, kopatest.EventOpts{Status: "draft"})
	started := kopatest.Event(t, src, kopatest.EventOpts{Starts: time.Now().Add(-30 * time.Minute)})
	factory := kopatest.CloneFactory(src, hooks.Default)
	url := func(id string) string { return "/api/events/" + id + "/register" }
	noRows := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := mails(t, app, ""); n != 0 {
			t.Errorf("%d mails queued for a refused registration", n)
		}
	}
	oneMail := func(kind string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if n := mails(t, app, kind); n != 1 {
				t.Errorf("%d %s mails queued, want 1", n, kind)
			}
		}
	}

	scenarios := []tests.ApiScenario{
		{Name: "a free seat is confirmed", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"Leyla","email":"Leyla@Example.com","locale":"ru","photo_consent":true}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`, `"ticket":"`, `"ticket_url":"/t/`}, NotExpectedContent: []string{`"position"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindFirstRecordByData("registrations", "email", "leyla@example.com")
				if err != nil {
					t.Fatalf("stored with a lower-cased e-mail: %v", err)
				}
				if r.GetString("locale") != "ru" || !r.GetBool("photo_consent") || r.GetString("status") != "confirmed" {
					t.Errorf("stored %v", r.PublicExport())
				}
				oneMail("ticket_confirmed")(t, app, res)
			}},
		{Name: "a full event with a waiting list gives a position", Method: http.MethodPost, URL: url(full.Id), Body: body(`{"name":"Wait Two","email":"w2@example.com"}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"waitlisted"`, `"position":2`, `"ticket":"`, `"ticket_url":"/t/`}, AfterTestFunc: oneMail("ticket_waitlisted")},
		{Name: "a full event without waiting list", Method: http.MethodPost, URL: url(noWait.Id), Body: body(`{"name":"Late","email":"late@example.com"}`),
			ExpectedStatus: 409, ExpectedContent: []string{`"status":409`, `"data":{"code":"full"}`}, AfterTestFunc: noRows},
		{Name: "a cancelled event is closed", Method: http.MethodPost, URL: url(cancelled.Id), Body: body(`{"name":"X","email":"x@example.com"}`),
			ExpectedStatus: 409, ExpectedContent: []string{`"data":{"code":"closed"}`}, AfterTestFunc: noRows},
		{Name: "a started event is closed", Method: http.MethodPost, URL: url(started.Id), Body: body(`{"name":"X","email":"x@example.com"}`),
			ExpectedStatus: 409, ExpectedContent: []string{`"data":{"code":"closed"}`}, AfterTestFunc: noRows},
		{Name: "a draft event is not found", Method: http.MethodPost, URL: url(draft.Id), Body: body(`{"name":"X","email":"x@example.com"}`),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: noRows},
		{Name: "an unknown event is not found", Method: http.MethodPost, URL: url("nope"), Body: body(`{"name":"X","email":"x@example.com"}`),
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: noRows},
		{Name: "the same e-mail again gets exists and its ticket mailed again", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"Someone","email":" AMINA@example.com "}`),
			ExpectedStatus: 200, ExpectedContent: []string{`{"status":"exists"}`}, NotExpectedContent: []string{"ticket"}, AfterTestFunc: oneMail("ticket_again")},
		{Name: "a duplicate within an hour of the last ticket mailed again mails nothing more", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"Someone","email":"amina@example.com"}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				in := registration.Input{Name: "Someone", Email: "amina@example.com", Locale: "lv"}
				if res, err := registration.Create(app, open.Id, in, time.Now()); err != nil || res.Status != registration.StatusExists {
					t.Fatalf("first duplicate: %+v %v", res, err)
				}
			},
			ExpectedStatus: 200, ExpectedContent: []string{`{"status":"exists"}`}, NotExpectedContent: []string{"ticket"}, AfterTestFunc: oneMail("ticket_again")},
		{Name: "missing name", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"email":"a@example.com"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_required"`}, AfterTestFunc: noRows},
		{Name: "a name of only spaces", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"   \t ","email":"a@example.com"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_required"`}, AfterTestFunc: noRows},
		{Name: "a name over 200 characters", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"` + strings.Repeat("ā", 201) + `","email":"a@example.com"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_length_too_long"`}, AfterTestFunc: noRows},
		{Name: "a name of exactly 200 characters is fine", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"` + strings.Repeat("ā", 200) + `","email":"long@example.com"}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`}},
		{Name: "a name holding a web address", Method: http.MethodPost, URL: url(open.Id),
			Body:           body(`{"name":"Your residence permit is suspended, verify at kopa-help.lv/verify","email":"victim@example.com"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_invalid_value"`}, AfterTestFunc: noRows},
		{Name: "a name holding an e-mail address", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"write to help@kopa-help.lv","email":"victim@example.com"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_invalid_value"`}, AfterTestFunc: noRows},
		{Name: "a name with a right-to-left override", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"Anna \u202emoc.live","email":"victim@example.com"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_invalid_value"`}, AfterTestFunc: noRows},
		{Name: "a Persian name with a zero-width non-joiner and an initial is fine", Method: http.MethodPost, URL: url(open.Id),
			Body:           body(`{"name":"زهرا\u200cسادات M. احمدی","email":"zahra@example.com","locale":"en"}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`}},
		{Name: "a bad e-mail", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"A","email":"not-an-address"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_invalid_email"`}, AfterTestFunc: noRows},
		{Name: "header injection in the e-mail", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"A","email":"a@example.com\r\nBcc: all@example.com"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_invalid_email"`}, AfterTestFunc: noRows},
		{Name: "a display name instead of an address", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"A","email":"Anna <a@example.com>"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_invalid_email"`}, AfterTestFunc: noRows},
		{Name: "an unknown locale", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"A","email":"a@example.com","locale":"de"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"locale":{"code":"validation_invalid_locale"`}, AfterTestFunc: noRows},
		{Name: "wrong types are reported per field", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":42,"email":["a@example.com"],"photo_consent":"yes"}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_invalid_type"`, `"email":{"code":"validation_invalid_type"`, `"photo_consent":{"code":"validation_invalid_type"`}, AfterTestFunc: noRows},
		{Name: "not JSON", Method: http.MethodPost, URL: url(open.Id), Body: body(`name=A`),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}, AfterTestFunc: noRows},
		{Name: "an unknown interpretation language", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"A","email":"a@example.com","interpretation":["xx"]}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"interpretation":{"code":"validation_invalid_value"`}, AfterTestFunc: noRows},
		{Name: "a body over 64 KiB", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"A","email":"a@example.com","pad":"` + strings.Repeat("x", 70000) + `"}`),
			ExpectedStatus: 413, ExpectedContent: []string{`"status":413`, `"code":"too_large"`}, AfterTestFunc: noRows},
		{Name: "interpretation wishes are kept", Method: http.MethodPost, URL: url(open.Id), Body: body(`{"name":"Farid","email":"farid@example.com","interpretation":["fa","ar"]}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData("registrations", "email", "farid@example.com")
				if err != nil || len(r.GetStringSlice("interpretation")) != 2 {
					t.Errorf("interpretation not stored: %v", err)
				}
			}},
		{Name: "availability", Method: http.MethodGet, URL: "/api/events/" + full.Id + "/availability",
			ExpectedStatus: 200, ExpectedContent: []string{`"capacity":1`, `"seats_left":0`, `"waitlisted":1`}, NotExpectedContent: []string{"olek", "Olek"}},
		{Name: "availability of an event without a limit", Method: http.MethodGet, URL: "/api/events/" + started.Id + "/availability",
			ExpectedStatus: 200, ExpectedContent: []string{`"capacity":0`, `"seats_left":null`}},
		{Name: "no availability for drafts", Method: http.MethodGet, URL: "/api/events/" + draft.Id + "/availability", ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}
