package manage_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/internal/domain"
)

// TestConsoleLanguages: the console speaks Latvian, English and Russian
// only. A choice of Arabic (?lang=ar, an Arabic browser) gets a console
// language, never an error, and is still remembered for the public pages;
// the sign-in page, which volunteers share, speaks all six. The event form
// takes titles and summaries in Ukrainian, Arabic and Persian, and the
// event list shows which languages an event has.
func TestConsoleLanguages(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	withCookie := func(c string) map[string]string {
		return map[string]string{"Cookie": f.orgH["Cookie"] + "; kopa_lang=" + c, "Content-Type": f.orgH["Content-Type"]}
	}
	arabicBrowser := map[string]string{"Cookie": f.orgH["Cookie"], "Accept-Language": "ar-SY,ar;q=0.9"}
	console := []string{`href="/manage?lang=lv"`, `href="/manage?lang=en"`, `href="/manage?lang=ru"`}
	public := []string{`?lang=uk"`, `?lang=ar"`, `?lang=fa"`, `dir="rtl"`}
	run(t, f.src, []tests.ApiScenario{
		{Name: "?lang=ar on the console: Latvian, and the choice kept for the public pages", Method: http.MethodGet, URL: "/manage?lang=ar", Headers: f.orgH,
			ExpectedStatus: 200, ExpectedContent: append([]string{`<html lang="lv">`}, console...), NotExpectedContent: public,
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if c := res.Header.Get("Set-Cookie"); !strings.Contains(c, "kopa_lang=ar") {
					t.Errorf("Set-Cookie %q", c)
				}
			}},
		{Name: "?lang=fa with Russian remembered: Russian", Method: http.MethodGet, URL: "/manage?lang=fa", Headers: withCookie("ru"),
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="ru">`}, NotExpectedContent: public},
		{Name: "Arabic remembered: the console falls back as for an unknown language", Method: http.MethodGet, URL: "/manage", Headers: withCookie("ar"),
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="lv">`}, NotExpectedContent: public},
		{Name: "an Arabic browser: the console in Latvian", Method: http.MethodGet, URL: "/manage/settings", Headers: arabicBrowser,
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="lv">`}, NotExpectedContent: public},
		{Name: "the door scanner stays in the console's languages", Method: http.MethodGet, URL: "/manage/events/" + f.ev.Id + "/scan?lang=ar", Headers: f.orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="lv">`}, NotExpectedContent: public},
		{Name: "a console error page in a console language", Method: http.MethodGet, URL: "/manage/events/nosuchevent00000?lang=ar", Headers: f.orgH,
			ExpectedStatus: 404, ExpectedContent: []string{`<html lang="lv">`}, NotExpectedContent: public},
		{Name: "the sign-in page, which volunteers share, speaks Arabic", Method: http.MethodGet, URL: "/manage/login?lang=ar",
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="ar" dir="rtl">`, "تسجيل الدخول", `href="/manage/login?lang=fa"`}},
		{Name: "an unknown language falls back as before", Method: http.MethodGet, URL: "/?lang=xx",
			ExpectedStatus: 200, ExpectedContent: []string{`<html lang="lv">`}},
		{Name: "the event form has the new languages' fields", Method: http.MethodGet, URL: "/manage/events/new?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`name="title_uk" lang="uk"`, `name="title_ar" lang="ar" dir="rtl"`, `name="summary_fa" lang="fa" dir="rtl"`, "Ukrainian", "Arabic", "Persian"}},
		{Name: "create an event with Arabic and Persian texts", Method: http.MethodPost, URL: "/manage/events/new", Headers: f.orgH,
			Body: form(url.Values{"kind": {"discussion"}, "status": {"published"}, "title_lv": {"Vietējo bailes"}, "title_ar": {"مخاوف السكان المحليين"},
				"summary_ar": {"حديث مفتوح"}, "title_fa": {"ترس‌های مردم محلی"}, "title_uk": {" "},
				"starts_at": {"2031-12-01T18:00"}, "ends_at": {"2031-12-01T20:30"}, "capacity": {"30"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData(domain.Events, "title_lv", "Vietējo bailes")
				if err != nil {
					t.Fatal(err)
				}
				if r.GetString("title_ar") != "مخاوف السكان المحليين" || r.GetString("summary_ar") != "حديث مفتوح" || r.GetString("title_fa") != "ترس‌های مردم محلی" || r.GetString("title_uk") != "" {
					t.Errorf("stored %v", r.PublicExport())
				}
				if got := domain.TextLanguages(r); !slices.Equal(got, []string{"lv", "ar", "fa"}) {
					t.Errorf("languages %v", got)
				}
			}},
		{Name: "the event list shows which languages an event has", Method: http.MethodGet, URL: "/manage?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Texts in:", `<abbr title="Latvian">lv</abbr> <abbr title="English">en</abbr> <abbr title="Russian">ru</abbr>`}},
	})
}
