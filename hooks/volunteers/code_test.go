package volunteers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestVolunteerCodeIsTheirs: a volunteer's personal code is read by that
// volunteer and by organisers only; another volunteer neither reads nor
// probes it, and nobody but PocketBase writes it.
func TestVolunteerCodeIsTheirs(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	amina := kopatest.Volunteer(t, src, "amina@example.com", []string{"ar"}, []string{"door"})
	olek := kopatest.Volunteer(t, src, "olek@example.com", []string{"ru"}, []string{"door"})
	pending := kopatest.Volunteer(t, src, "new@example.com", []string{"ru"}, []string{"door"}, "pending")
	code := amina.GetString("code")
	if !domain.IsVolunteerCode(code) || code == olek.GetString("code") {
		t.Fatalf("codes %q, %q", code, olek.GetString("code"))
	}
	rec := "/api/collections/volunteers/records"
	mine := map[string]string{"Authorization": kopatest.Token(t, amina)}
	olekH := map[string]string{"Authorization": kopatest.Token(t, olek)}
	orgH := map[string]string{"Authorization": kopatest.Token(t, org)}
	unchanged := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		v, err := app.FindRecordById(domain.Volunteers, amina.Id)
		if err != nil || v.GetString("code") != code {
			t.Errorf("code changed to %q (%v)", v.GetString("code"), err)
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "the volunteer reads their own code", Method: http.MethodGet, URL: rec + "/" + amina.Id, Headers: mine,
			ExpectedStatus: 200, ExpectedContent: []string{`"code":"` + code + `"`}},
		{Name: "an organiser reads it", Method: http.MethodGet, URL: rec + "/" + amina.Id, Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`"code":"` + code + `"`}},
		{Name: "an organiser's list has every code", Method: http.MethodGet, URL: rec, Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{code, olek.GetString("code")}},
		{Name: "another volunteer cannot read it", Method: http.MethodGet, URL: rec + "/" + amina.Id, Headers: olekH,
			ExpectedStatus: 404, NotExpectedContent: []string{code}},
		{Name: "another volunteer's list holds only their own", Method: http.MethodGet, URL: rec, Headers: olekH,
			ExpectedStatus: 200, ExpectedContent: []string{olek.GetString("code")}, NotExpectedContent: []string{code}},
		{Name: "nor can they find a volunteer by a code", Method: http.MethodGet, URL: rec + "?filter=" + url.QueryEscape("code='"+olek.GetString("code")+"'"), Headers: olekH,
			ExpectedStatus: 400, NotExpectedContent: []string{code}},
		{Name: "the volunteer cannot choose their code", Method: http.MethodPatch, URL: rec + "/" + amina.Id, Headers: mine,
			Body: body(`{"code":"V-AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`), ExpectedStatus: 200, ExpectedContent: []string{`"code":"` + code + `"`}, AfterTestFunc: unchanged},
		{Name: "nor have it made again", Method: http.MethodPatch, URL: rec + "/" + amina.Id, Headers: mine,
			Body: body(`{"code:autogenerate":""}`), ExpectedStatus: 200, ExpectedContent: []string{`"code":"` + code + `"`}, AfterTestFunc: unchanged},
		{Name: "the portal shows the code as a QR code", Method: http.MethodGet, URL: "/volunteer/me?lang=en", Headers: session(kopatest.Token(t, amina)),
			ExpectedStatus: 200, ExpectedContent: []string{"Your check-in code", `src="/volunteer/me/code.png"`}, NotExpectedContent: []string{code}},
		{Name: "in Latvian", Method: http.MethodGet, URL: "/volunteer/me?lang=lv", Headers: session(kopatest.Token(t, amina)),
			ExpectedStatus: 200, ExpectedContent: []string{"Tavs ierašanās kods"}},
		{Name: "in Russian", Method: http.MethodGet, URL: "/volunteer/me?lang=ru", Headers: session(kopatest.Token(t, amina)),
			ExpectedStatus: 200, ExpectedContent: []string{"Ваш код для отметки"}},
		{Name: "the QR image, never cached", Method: http.MethodGet, URL: "/volunteer/me/code.png", Headers: session(kopatest.Token(t, amina)),
			ExpectedStatus: 200, ExpectedContent: []string{"\x89PNG"}, AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if res.Header.Get("Cache-Control") != "private, no-store" {
					t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
				}
			}},
		{Name: "a pending volunteer has no code to show yet", Method: http.MethodGet, URL: "/volunteer/me?lang=en", Headers: session(kopatest.Token(t, pending)),
			ExpectedStatus: 200, NotExpectedContent: []string{"Your check-in code", "code.png"}},
		{Name: "no QR without signing in", Method: http.MethodGet, URL: "/volunteer/me/code.png", ExpectedStatus: 303},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.CloneFactory(src, hooks.Default)
		s.Test(t)
	}
}
