package manage_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

// TestConsoleReminderHours: the settings page shows and saves how long
// before an event people are reminded (0: never); a value outside 0–168,
// in the console or through the record API, is refused with 400 and
// changes nothing.
func TestConsoleReminderHours(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t)
	unchanged := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		rows, _ := app.FindAllRecords("kopa_settings")
		if len(rows) != 1 || rows[0].GetInt("reminder_hours") != 24 || rows[0].GetInt("retention_days") != 30 || rows[0].GetString("org_name") != "Kopā" {
			t.Errorf("bad input changed the settings: %v", rows[0].PublicExport())
		}
	}
	saved := func(hours int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			rows, _ := app.FindAllRecords("kopa_settings")
			if len(rows) != 1 || rows[0].GetInt("reminder_hours") != hours {
				t.Errorf("reminder_hours %v, want %d", rows[0].Get("reminder_hours"), hours)
			}
		}
	}
	settingsForm := func(hours string) *strings.Reader {
		return form(url.Values{"retention_days": {"14"}, "org_name": {"Drošā māja"}, "reminder_hours": {hours}})
	}
	api := map[string]string{"Authorization": f.orgTok, "Content-Type": "application/json"}
	record := "/api/collections/kopa_settings/records/kopasettings000"
	var scenarios []tests.ApiScenario
	for lang, label := range map[string]string{"lv": "Cik stundas pirms pasākuma atgādināt pieteiktajiem", "en": "Hours before an event to remind the people registered",
		"ru": "За сколько часов до мероприятия напоминать зарегистрированным"} {
		scenarios = append(scenarios, tests.ApiScenario{Name: "the field in " + lang, Method: http.MethodGet, URL: "/manage/settings?lang=" + lang, Headers: f.orgH,
			ExpectedStatus: 200, ExpectedContent: []string{label, `name="reminder_hours" type="number" min="0" max="168" required value="24"`}})
	}
	scenarios = append(scenarios,
		tests.ApiScenario{Name: "save two days", Method: http.MethodPost, URL: "/manage/settings", Headers: f.orgH, Body: settingsForm("48"),
			ExpectedStatus: 303, AfterTestFunc: saved(48)},
		tests.ApiScenario{Name: "save no reminders", Method: http.MethodPost, URL: "/manage/settings", Headers: f.orgH, Body: settingsForm("0"),
			ExpectedStatus: 303, AfterTestFunc: saved(0)},
		tests.ApiScenario{Name: "a form without the field keeps the setting", Method: http.MethodPost, URL: "/manage/settings", Headers: f.orgH,
			Body: form(url.Values{"retention_days": {"14"}}), ExpectedStatus: 303, AfterTestFunc: saved(24)},
	)
	for _, bad := range []string{"-1", "169", "", "soon", "1.5"} {
		scenarios = append(scenarios, tests.ApiScenario{Name: "the console refuses " + bad, Method: http.MethodPost, URL: "/manage/settings?lang=en", Headers: f.orgH,
			Body: settingsForm(bad), ExpectedStatus: 400, ExpectedContent: []string{"Between 0 and 168 hours (a week).", `id="reminder_hours-error"`},
			AfterTestFunc: unchanged})
	}
	for _, bad := range []string{"-1", "169", "1.5"} {
		scenarios = append(scenarios, tests.ApiScenario{Name: "the record API refuses " + bad, Method: http.MethodPatch, URL: record, Headers: api,
			Body: strings.NewReader(`{"reminder_hours":` + bad + `,"org_name":"Drošā māja"}`), ExpectedStatus: 400,
			ExpectedContent: []string{`"reminder_hours":{"code":`}, AfterTestFunc: unchanged})
	}
	scenarios = append(scenarios,
		tests.ApiScenario{Name: "the record API saves 0", Method: http.MethodPatch, URL: record, Headers: api,
			Body: strings.NewReader(`{"reminder_hours":0}`), ExpectedStatus: 200, ExpectedContent: []string{`"reminder_hours":0`}, AfterTestFunc: saved(0)},
		tests.ApiScenario{Name: "a volunteer may not change it", Method: http.MethodPatch, URL: record,
			Headers: map[string]string{"Authorization": strings.TrimPrefix(strings.Split(f.volH["Cookie"], ";")[0], "kopa_session="), "Content-Type": "application/json"},
			Body:    strings.NewReader(`{"reminder_hours":1}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: unchanged},
	)
	run(t, f.src, scenarios)
}
