package series_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kopa/hooks"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestSeriesPage: the public page lists the upcoming sessions with their
// seats in every public language (Arabic and Persian right to left), its
// form works without JavaScript, and the sessions' pages and the home page
// link to it; a series without a published session is not found.
func TestSeriesPage(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, sessions := newSeries(t, app, seriesOpts{Weeks: 2, Capacity: 10})
	draft, _ := newSeries(t, app, seriesOpts{Status: domain.EventDraft})
	srv := kopatest.Serve(t, app)
	for _, lang := range []string{"lv", "en", "ru", "uk", "ar", "fa"} {
		page := get(t, srv.URL+"/series/"+s.Id+"?lang="+lang)
		rtl := lang == "ar" || lang == "fa"
		if got := strings.Contains(page, `<html lang="`+lang+`" dir="rtl">`); got != rtl || !strings.Contains(page, `<html lang="`+lang+`"`) {
			t.Errorf("%s: right to left %v", lang, got)
		}
		if !strings.Contains(page, `action="/series/`+s.Id+`/register"`) || !strings.Contains(page, "/events/"+sessions[1].Id) {
			t.Errorf("%s: no form or no session:\n%s", lang, page)
		}
	}
	if page := get(t, srv.URL+"/series/"+s.Id+"?lang=en"); !strings.Contains(page, "10 seats left") && !strings.Contains(page, "10 seats") {
		t.Errorf("no seats left on the page:\n%s", page)
	}
	if r, _ := http.Get(srv.URL + "/series/" + draft.Id); r.StatusCode != http.StatusNotFound {
		t.Errorf("a draft series: %d", r.StatusCode)
	}
	for _, p := range []string{"/events/" + sessions[0].Id, "/"} {
		if page := get(t, srv.URL+p); !strings.Contains(page, `href="/series/`+s.Id+`"`) {
			t.Errorf("%s does not link to the series", p)
		}
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"name": {"Leyla"}, "email": {"leyla@example.com"}, "locale": {"fa"}}
	r, err := noRedirect.PostForm(srv.URL+"/series/"+s.Id+"/register", form)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	st := mustStanding(t, app, "leyla@example.com")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/t/"+st.GetString("ticket") {
		t.Fatalf("form: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	ticket := get(t, srv.URL+"/t/"+st.GetString("ticket"))
	if !strings.Contains(ticket, `lang="fa" dir="rtl"`) || strings.Count(ticket, `/skip/`) != 2 || !strings.Contains(ticket, "/qr.png") {
		t.Errorf("the standing ticket's page:\n%s", ticket)
	}
	// Bad input shows the form again, storing nothing.
	r, _ = noRedirect.PostForm(srv.URL+"/series/"+s.Id+"/register", url.Values{"name": {""}, "email": {"x"}})
	r.Body.Close()
	if n, _ := app.CountRecords(domain.Standing); r.StatusCode != http.StatusBadRequest || n != 1 {
		t.Errorf("bad form: %d, %d places", r.StatusCode, n)
	}
	// The skip link of a reminder asks first.
	if page := get(t, srv.URL+"/t/"+st.GetString("ticket")+"/skip/"+sessions[0].Id); !strings.Contains(page, `method="post" action="/t/`+st.GetString("ticket")+`/skip/`+sessions[0].Id+`"`) {
		t.Errorf("skip page:\n%s", page)
	}
	if r := seatOf(t, app, st.Id, sessions[0].Id); domain.Skipped(r) {
		t.Error("opening the skip link skipped")
	}
}
