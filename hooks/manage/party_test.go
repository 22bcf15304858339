package manage_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/internal/domain"
)

// TestEventFormFamilies: the console's event form sets the largest party,
// child minding and registration without e-mail, in Latvian, English and
// Russian; a largest party out of 1–20 is refused and nothing is stored.
func TestEventFormFamilies(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	fields := func(maxParty string, extra ...string) url.Values {
		v := url.Values{"kind": {"culture"}, "status": {"published"}, "title_lv": {"Ģimeņu diena"},
			"starts_at": {"2031-12-01T12:00"}, "ends_at": {"2031-12-01T15:00"}, "capacity": {"40"}, "max_party": {maxParty}}
		for _, k := range extra {
			v.Set(k, "1")
		}
		return v
	}
	none := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if _, err := app.FindFirstRecordByData(domain.Events, "title_lv", "Ģimeņu diena"); err == nil {
			t.Error("an event with a bad largest party was stored")
		}
	}
	run(t, f.src, []tests.ApiScenario{
		{Name: "the form in English", Method: http.MethodGet, URL: "/manage/events/new?lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{`name="max_party" type="number" min="1" max="20"`, `value="1"`, "Largest party per registration",
				`name="childcare"`, "We offer child minding", `name="email_optional"`, "People may register without an e-mail address"}},
		{Name: "the form in Latvian", Method: http.MethodGet, URL: "/manage/events/new?lang=lv", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Lielākā grupa vienā reģistrācijā", "Piedāvājam bērnu pieskatīšanu", "Var reģistrēties bez e-pasta adreses"}},
		{Name: "the form in Russian", Method: http.MethodGet, URL: "/manage/events/" + f.ev.Id + "?lang=ru", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"Наибольшая группа в одной регистрации", "присмотр за детьми", "без адреса e-mail"}},
		{Name: "an event for families", Method: http.MethodPost, URL: "/manage/events/new", Headers: f.orgH,
			Body: form(fields("6", "childcare", "email_optional")), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData(domain.Events, "title_lv", "Ģimeņu diena")
				if err != nil {
					t.Fatal(err)
				}
				if domain.MaxParty(r) != 6 || !domain.OffersChildcare(r) || !domain.EmailOptional(r) {
					t.Errorf("stored %v", r.PublicExport())
				}
			}},
		{Name: "no largest party is one", Method: http.MethodPost, URL: "/manage/events/new", Headers: f.orgH,
			Body: form(fields("")), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData(domain.Events, "title_lv", "Ģimeņu diena")
				if err != nil || r.GetInt("max_party") != 1 || r.GetBool("childcare") || r.GetBool("email_optional") {
					t.Errorf("stored %v (%v)", r, err)
				}
			}},
		{Name: "a largest party of 0", Method: http.MethodPost, URL: "/manage/events/new?lang=en", Headers: f.orgH,
			Body: form(fields("0")), ExpectedStatus: 400, ExpectedContent: []string{"Enter a number from 1 to 20.", `aria-invalid="true"`}, AfterTestFunc: none},
		{Name: "a largest party of 21", Method: http.MethodPost, URL: "/manage/events/new?lang=en", Headers: f.orgH,
			Body: form(fields("21")), ExpectedStatus: 400, ExpectedContent: []string{"Enter a number from 1 to 20."}, AfterTestFunc: none},
	})
}
