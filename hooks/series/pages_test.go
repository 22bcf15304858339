package series_test

import (
	"io"
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

// TestSeriesFormAsksParty: where a series takes families, its form asks how
// many are coming and how many children need minding, as an event's does,
// in every public language and without JavaScript; the choices go to the
// standing place and every seat. A party bigger than the series takes, or
// children where it minds none, show the form again with the error on the
// field (above the form where the form does not ask), storing nothing.
func TestSeriesFormAsksParty(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	families, sessions := newSeries(t, app, seriesOpts{Weeks: 2, Capacity: 10, MaxParty: 4, Childcare: true})
	plain, _ := newSeries(t, app, seriesOpts{Weeks: 2, Capacity: 10})
	srv := kopatest.Serve(t, app)
	hints := map[string]string{"lv": "katru nedēļu", "en": "each week", "ru": "каждую неделю", "uk": "щотижня", "ar": "كل أسبوع", "fa": "هر هفته"}
	for lang, hint := range hints {
		page := get(t, srv.URL+"/series/"+families.Id+"?lang="+lang)
		for _, want := range []string{`<select id="party" name="party" aria-describedby="party-hint">`, `<option value="1" selected>1</option>`,
			`<option value="4">4</option>`, `<select id="childcare" name="childcare" aria-describedby="childcare-hint">`, `<label for="childcare">`, hint} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: no %q on the page", lang, want)
			}
		}
		if strings.Contains(page, `<option value="5">`) {
			t.Errorf("%s: a party of 5 offered", lang)
		}
	}
	if page := get(t, srv.URL+"/series/"+plain.Id+"?lang=en"); strings.Contains(page, `name="party"`) || strings.Contains(page, `name="childcare"`) {
		t.Errorf("a series for one person at a time asks for a party or children:\n%s", page)
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(s string, form url.Values) (int, string) {
		t.Helper()
		r, err := noRedirect.PostForm(srv.URL+"/series/"+s+"/register", form)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	places := func() int {
		n, _ := app.CountRecords(domain.Standing)
		return int(n)
	}
	code, page := post(families.Id, url.Values{"name": {"Amina"}, "email": {"amina@example.com"}, "locale": {"en"}, "party": {"9"}, "childcare": {"1"}})
	if code != http.StatusBadRequest || places() != 0 || !strings.Contains(page, `id="party-err"`) ||
		!strings.Contains(page, `aria-describedby="party-hint party-err" aria-invalid="true"`) || !strings.Contains(page, `value="Amina"`) {
		t.Errorf("a party of 9: %d, %d places:\n%s", code, places(), page)
	}
	code, page = post(plain.Id, url.Values{"name": {"Amina"}, "email": {"amina@example.com"}, "locale": {"en"}, "childcare": {"1"}})
	if code != http.StatusBadRequest || places() != 0 || !strings.Contains(page, `<p class="error" role="alert">`) {
		t.Errorf("children where none are minded: %d, %d places:\n%s", code, places(), page)
	}

	code, _ = post(families.Id, url.Values{"name": {"Amina"}, "email": {"amina@example.com"}, "locale": {"en"}, "party": {"3"}, "childcare": {"2"}})
	st := mustStanding(t, app, "amina@example.com")
	if code != http.StatusSeeOther || domain.Party(st) != 3 || st.GetInt("childcare") != 2 {
		t.Fatalf("a family of three: %d, place %v", code, st.FieldsData())
	}
	for i, ev := range sessions {
		if r := seatOf(t, app, st.Id, ev.Id); r == nil || domain.Party(r) != 3 || r.GetInt("childcare") != 2 || domain.RegistrationStatusOf(r) != domain.RegistrationConfirmed {
			t.Errorf("session %d: seat %v", i, r)
		}
	}
}
