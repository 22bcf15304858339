package registration_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// TestTicketLinksOpenInTheRegistrationsLanguage: a ticket link opens in
// the language the person registered in, whatever their browser asks for,
// unless they chose another (?lang= or the language cookie).
func TestTicketLinksOpenInTheRegistrationsLanguage(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs"})
	r := kopatest.Registration(t, src, ev, "Мария", "maria@example.com", "confirmed")
	r.Set("locale", "ru")
	if err := src.Save(r); err != nil {
		t.Fatal(err)
	}
	ticket := "/t/" + r.GetString("ticket")
	browser := map[string]string{"Accept-Language": "en-GB,en;q=0.9"}
	chosen := map[string]string{"Accept-Language": "en-GB,en;q=0.9", "Cookie": "kopa_lang=lv"}
	scenarios := []tests.ApiScenario{
		{Name: "the ticket in Russian for an English browser", Method: http.MethodGet, URL: ticket, Headers: browser, ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="ru"`, "Ваш билет", "Sarunu klubs (ru)"}},
		{Name: "the can't-come page in Russian", Method: http.MethodGet, URL: ticket + "/cancel", Headers: browser, ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="ru"`, "Отказаться от участия?"}},
		{Name: "the calendar file in Russian", Method: http.MethodGet, URL: ticket + "/event.ics", Headers: browser, ExpectedStatus: 200,
			ExpectedContent: []string{"SUMMARY:Sarunu klubs (ru)"}},
		{Name: "?lang= chooses another", Method: http.MethodGet, URL: ticket + "?lang=en", Headers: browser, ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="en"`, "Your ticket"}},
		{Name: "the language cookie chooses another", Method: http.MethodGet, URL: ticket, Headers: chosen, ExpectedStatus: 200,
			ExpectedContent: []string{`<html lang="lv"`, "Jūsu biļete"}},
		{Name: "an unknown ticket speaks the visitor's language", Method: http.MethodGet, URL: "/t/AAAAAAAAAAAAAAAAAAAAAAAA", Headers: browser, ExpectedStatus: 404,
			ExpectedContent: []string{`<html lang="en"`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
