package hooks_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// TestRecordAPIChecksNamesAndTexts: the record API holds names and event
// texts to the rules of every other entry point. A registration's or a
// volunteer's new or changed name holding a web or e-mail address, or
// control or text-direction characters, is refused; so is a line break in
// a new or changed event title or venue. What was stored before these
// rules is not refused when something else of its record changes.
func TestRecordAPIChecksNamesAndTexts(t *testing.T) {
	t.Parallel()
	f := newRulesFixture(t)
	// Old data, written past the checks.
	for _, q := range []struct{ sql, id string }{
		{"UPDATE registrations SET name = 'Verify at kopa-help.lv' WHERE id = {:id}", f.reg.Id},
		{"UPDATE events SET title_lv = 'Diskusija' || char(13, 10) || 'Bcc: x' WHERE id = {:id}", f.ev.Id},
	} {
		if _, err := f.app.DB().NewQuery(q.sql).Bind(dbx.Params{"id": q.id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	factory := kopatest.CloneFactory(f.app, hooks.Default)
	rec := func(c string) string { return "/api/collections/" + c + "/records" }
	org := map[string]string{"Authorization": f.orgToken}
	vol := map[string]string{"Authorization": f.volToken}
	refused := func(field string) []string {
		return []string{`"status":400`, `"` + field + `":{"code":"validation_invalid_value"`}
	}
	event := func(fields string) *strings.Reader {
		return strings.NewReader(`{"kind":"club","status":"draft","starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 11:00:00.000Z",` + fields + `}`)
	}
	scenarios := []tests.ApiScenario{
		{Name: "a registration's name holding a web address", Method: http.MethodPost, URL: rec("registrations"), Headers: org,
			Body:           strings.NewReader(`{"event":"` + f.ev.Id + `","name":"Your permit is suspended: https://kopa-help.example","status":"confirmed"}`),
			ExpectedStatus: 400, ExpectedContent: refused("name")},
		{Name: "a registration's name changed to an e-mail address", Method: http.MethodPatch, URL: rec("registrations") + "/" + f.reg.Id, Headers: org,
			Body: strings.NewReader(`{"name":"help@kopa-help.lv"}`), ExpectedStatus: 400, ExpectedContent: refused("name")},
		{Name: "a registration's name with a right-to-left override", Method: http.MethodPost, URL: rec("registrations"), Headers: org,
			Body:           strings.NewReader(`{"event":"` + f.ev.Id + `","name":"Anna \u202egnp.exe","status":"confirmed"}`),
			ExpectedStatus: 400, ExpectedContent: refused("name")},
		{Name: "a registration with an Arabic name", Method: http.MethodPost, URL: rec("registrations"), Headers: org,
			Body:           strings.NewReader(`{"event":"` + f.ev.Id + `","name":"عبد الله بن عمر","status":"confirmed"}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"name":"عبد الله بن عمر"`}},
		{Name: "a registration stored with an old name can still be cancelled", Method: http.MethodPatch, URL: rec("registrations") + "/" + f.reg.Id, Headers: org,
			Body: strings.NewReader(`{"status":"cancelled"}`), ExpectedStatus: 200, ExpectedContent: []string{`"status":"cancelled"`}},
		{Name: "a volunteer cannot give themselves a web address for a name", Method: http.MethodPatch, URL: rec("volunteers") + "/" + f.vol.Id, Headers: vol,
			Body: strings.NewReader(`{"name":"Anna www.kopa-help.example"}`), ExpectedStatus: 400, ExpectedContent: refused("name")},
		{Name: "a volunteer's name with an isolate", Method: http.MethodPatch, URL: rec("volunteers") + "/" + f.vol.Id, Headers: vol,
			Body: strings.NewReader(`{"name":"\u2067Anna\u2069"}`), ExpectedStatus: 400, ExpectedContent: refused("name")},
		{Name: "a volunteer renames themselves", Method: http.MethodPatch, URL: rec("volunteers") + "/" + f.vol.Id, Headers: vol,
			Body: strings.NewReader(`{"name":" Jānis Bērziņš "}`), ExpectedStatus: 200, ExpectedContent: []string{`"name":"Jānis Bērziņš"`}},
		{Name: "an organiser cannot create a volunteer named after an address", Method: http.MethodPost, URL: rec("volunteers"), Headers: org,
			Body:           strings.NewReader(`{"email":"x@example.com","password":"12345678901","passwordConfirm":"12345678901","name":"x@kopa-help.lv","languages":["ar"]}`),
			ExpectedStatus: 400, ExpectedContent: refused("name")},
		{Name: "an event title with a line break", Method: http.MethodPost, URL: rec("events"), Headers: org,
			Body: event(`"title_lv":"Diskusija\r\nBcc: x@example.com"`), ExpectedStatus: 400, ExpectedContent: refused("title_lv")},
		{Name: "a venue with a line break", Method: http.MethodPost, URL: rec("events"), Headers: org,
			Body: event(`"title_lv":"Diskusija","venue":"Rīga\nTērbatas 1"`), ExpectedStatus: 400, ExpectedContent: refused("venue")},
		{Name: "an English title with a tab", Method: http.MethodPost, URL: rec("events"), Headers: org,
			Body: event(`"title_lv":"Diskusija","title_en":"Talk\tabout"`), ExpectedStatus: 400, ExpectedContent: refused("title_en")},
		{Name: "a summary with NUL", Method: http.MethodPost, URL: rec("events"), Headers: org,
			Body: event(`"title_lv":"Diskusija","summary_lv":"a\u0000b"`), ExpectedStatus: 400, ExpectedContent: refused("summary_lv")},
		{Name: "a summary keeps its paragraphs", Method: http.MethodPost, URL: rec("events"), Headers: org,
			Body: event(`"title_lv":"Diskusija","summary_lv":"Pirmā rindkopa.\r\n\r\nOtrā."`), ExpectedStatus: 200, ExpectedContent: []string{`"summary_lv":"Pirmā rindkopa.\r\n\r\nOtrā."`}},
		{Name: "an event stored with a broken title can still be moved", Method: http.MethodPatch, URL: rec("events") + "/" + f.ev.Id, Headers: org,
			Body: strings.NewReader(`{"venue":"Rīga, Tērbatas iela 1"}`), ExpectedStatus: 200, ExpectedContent: []string{`"venue":"Rīga, Tērbatas iela 1"`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}
