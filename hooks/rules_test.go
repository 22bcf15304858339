package hooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// rulesFixture is one app shared by the rule scenarios, with one record of
// every kind and a token per actor.
type rulesFixture struct {
	app                                  *tests.TestApp
	org, vol, vol2                       *core.Record
	ev, draft, reg, chk, shift, asg      *core.Record
	orgToken, volToken                   string
	disposableEvent, disposableVolunteer *core.Record
}

func newRulesFixture(t *testing.T) *rulesFixture {
	app := kopatest.NewApp(t)
	f := &rulesFixture{app: app}
	f.org = kopatest.Organiser(t, app, "org@example.com")
	f.vol = kopatest.Volunteer(t, app, "vol@example.com", []string{"ar"}, []string{"door"})
	f.vol2 = kopatest.Volunteer(t, app, "vol2@example.com", []string{"ru"}, []string{"hosting"})
	f.disposableVolunteer = kopatest.Volunteer(t, app, "gone@example.com", []string{"ru"}, []string{"hosting"})
	f.ev = kopatest.Event(t, app, kopatest.EventOpts{Title: "Published event"})
	f.draft = kopatest.Event(t, app, kopatest.EventOpts{Title: "Draft event", Status: "draft"})
	f.disposableEvent = kopatest.Event(t, app, kopatest.EventOpts{Title: "Disposable", Status: "draft"})
	f.reg = kopatest.Registration(t, app, f.ev, "Amina", "amina@example.com", "confirmed")
	col, _ := app.FindCollectionByNameOrId("checkins")
	f.chk = core.NewRecord(col)
	f.chk.Load(map[string]any{"registration": f.reg.Id, "event": f.ev.Id, "at": time.Now().UTC().Format("2006-01-02 15:04:05.000Z"), "method": "qr"})
	if err := app.Save(f.chk); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(time.Hour)
	f.shift = kopatest.Shift(t, app, f.ev, "door", start, start.Add(2*time.Hour))
	f.asg = kopatest.Assignment(t, app, f.shift, f.vol, "accepted")
	f.orgToken = kopatest.Token(t, f.org)
	f.volToken = kopatest.Token(t, f.vol)
	return f
}

// TestAPIRules pins who may list, view, create, update and delete what
// through PocketBase's record API: organisers everything; the public only
// published events; a volunteer only their own record and their shifts.
func TestAPIRules(t *testing.T) {
	t.Parallel()
	f := newRulesFixture(t)
	factory := kopatest.CloneFactory(f.app, hooks.Default)
	rec := func(c string) string { return "/api/collections/" + c + "/records" }
	anon := map[string]string{}
	org := map[string]string{"Authorization": f.orgToken}
	vol := map[string]string{"Authorization": f.volToken}
	empty := []string{`"totalItems":0`}

	scenarios := []tests.ApiScenario{
		// events
		{Name: "anonymous lists only published events", Method: http.MethodGet, URL: rec("events"), Headers: anon, ExpectedStatus: 200,
			ExpectedContent: []string{f.ev.Id}, NotExpectedContent: []string{f.draft.Id}},
		{Name: "anonymous cannot view a draft", Method: http.MethodGet, URL: rec("events") + "/" + f.draft.Id, Headers: anon, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "anonymous views a published event", Method: http.MethodGet, URL: rec("events") + "/" + f.ev.Id, Headers: anon, ExpectedStatus: 200, ExpectedContent: []string{f.ev.Id}},
		{Name: "anonymous cannot create events", Method: http.MethodPost, URL: rec("events"), Headers: anon, Body: strings.NewReader(`{"kind":"club","title_lv":"x","status":"published","starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 11:00:00.000Z"}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		{Name: "anonymous cannot update events", Method: http.MethodPatch, URL: rec("events") + "/" + f.ev.Id, Headers: anon, Body: strings.NewReader(`{"title_lv":"hacked"}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "anonymous cannot delete events", Method: http.MethodDelete, URL: rec("events") + "/" + f.ev.Id, Headers: anon, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "volunteer lists only published events", Method: http.MethodGet, URL: rec("events"), Headers: vol, ExpectedStatus: 200, ExpectedContent: []string{f.ev.Id}, NotExpectedContent: []string{f.draft.Id}},
		{Name: "volunteer cannot update events", Method: http.MethodPatch, URL: rec("events") + "/" + f.ev.Id, Headers: vol, Body: strings.NewReader(`{"title_lv":"hacked"}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "organiser lists drafts too", Method: http.MethodGet, URL: rec("events"), Headers: org, ExpectedStatus: 200, ExpectedContent: []string{f.ev.Id, f.draft.Id}},
		{Name: "organiser creates an event", Method: http.MethodPost, URL: rec("events"), Headers: org, Body: strings.NewReader(`{"kind":"club","title_lv":"Jauns","status":"draft","starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 11:00:00.000Z"}`), ExpectedStatus: 200, ExpectedContent: []string{`"title_lv":"Jauns"`}},
		{Name: "an event cannot end before it starts", Method: http.MethodPost, URL: rec("events"), Headers: org, Body: strings.NewReader(`{"kind":"club","title_lv":"Jauns","status":"draft","starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 09:00:00.000Z"}`), ExpectedStatus: 400, ExpectedContent: []string{`"ends_at":{"code":"validation_ends_before_starts"`}},
		{Name: "organiser updates an event", Method: http.MethodPatch, URL: rec("events") + "/" + f.ev.Id, Headers: org, Body: strings.NewReader(`{"venue":"Rīga"}`), ExpectedStatus: 200, ExpectedContent: []string{`"venue":"Rīga"`}},
		{Name: "organiser deletes an event", Method: http.MethodDelete, URL: rec("events") + "/" + f.disposableEvent.Id, Headers: org, ExpectedStatus: 204},

		// volunteers
		{Name: "anonymous lists no volunteers", Method: http.MethodGet, URL: rec("volunteers"), Headers: anon, ExpectedStatus: 200, ExpectedContent: empty},
		{Name: "anonymous cannot sign up through the record API", Method: http.MethodPost, URL: rec("volunteers"), Headers: anon, Body: strings.NewReader(`{"email":"x@example.com","password":"12345678901","passwordConfirm":"12345678901","name":"X"}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		{Name: "volunteer lists only themselves", Method: http.MethodGet, URL: rec("volunteers"), Headers: vol, ExpectedStatus: 200, ExpectedContent: []string{f.vol.Id, `"totalItems":1`}, NotExpectedContent: []string{f.vol2.Id}},
		{Name: "volunteer cannot view another volunteer", Method: http.MethodGet, URL: rec("volunteers") + "/" + f.vol2.Id, Headers: vol, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "volunteer edits their own record", Method: http.MethodPatch, URL: rec("volunteers") + "/" + f.vol.Id, Headers: vol, Body: strings.NewReader(`{"languages":["ar","fa"]}`), ExpectedStatus: 200, ExpectedContent: []string{`"languages":["ar","fa"]`}},
		{Name: "volunteer cannot edit another volunteer", Method: http.MethodPatch, URL: rec("volunteers") + "/" + f.vol2.Id, Headers: vol, Body: strings.NewReader(`{"name":"hacked"}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "volunteer cannot delete another volunteer", Method: http.MethodDelete, URL: rec("volunteers") + "/" + f.vol2.Id, Headers: vol, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "organiser lists every volunteer", Method: http.MethodGet, URL: rec("volunteers"), Headers: org, ExpectedStatus: 200, ExpectedContent: []string{f.vol.Id, f.vol2.Id}},
		{Name: "organiser deletes a volunteer", Method: http.MethodDelete, URL: rec("volunteers") + "/" + f.disposableVolunteer.Id, Headers: org, ExpectedStatus: 204},

		// organisers
		{Name: "anonymous lists no organisers", Method: http.MethodGet, URL: rec("organisers"), Headers: anon, ExpectedStatus: 200, ExpectedContent: empty},
		{Name: "volunteer lists no organisers", Method: http.MethodGet, URL: rec("organisers"), Headers: vol, ExpectedStatus: 200, ExpectedContent: empty},
		{Name: "anonymous cannot become an organiser", Method: http.MethodPost, URL: rec("organisers"), Headers: anon, Body: strings.NewReader(`{"email":"evil@example.com","password":"12345678901","passwordConfirm":"12345678901","name":"Evil"}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		{Name: "volunteer cannot become an organiser", Method: http.MethodPost, URL: rec("organisers"), Headers: vol, Body: strings.NewReader(`{"email":"evil@example.com","password":"12345678901","passwordConfirm":"12345678901","name":"Evil"}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		{Name: "organiser lists organisers", Method: http.MethodGet, URL: rec("organisers"), Headers: org, ExpectedStatus: 200, ExpectedContent: []string{f.org.Id}},
		{Name: "the public users collection is gone", Method: http.MethodPost, URL: rec("users"), Headers: anon, Body: strings.NewReader(`{"email":"x@example.com","password":"12345678901","passwordConfirm":"12345678901"}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
	}

	// registrations, check-ins and assignments: organisers only.
	private := map[string]*core.Record{"registrations": f.reg, "checkins": f.chk, "assignments": f.asg}
	for _, c := range []string{"registrations", "checkins", "assignments"} {
		r := private[c]
		for who, h := range map[string]map[string]string{"anonymous": anon, "volunteer": vol} {
			scenarios = append(scenarios,
				tests.ApiScenario{Name: who + " lists no " + c, Method: http.MethodGet, URL: rec(c), Headers: h, ExpectedStatus: 200, ExpectedContent: empty, NotExpectedContent: []string{r.Id}},
				tests.ApiScenario{Name: who + " cannot view " + c, Method: http.MethodGet, URL: rec(c) + "/" + r.Id, Headers: h, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
				tests.ApiScenario{Name: who + " cannot create " + c, Method: http.MethodPost, URL: rec(c), Headers: h, Body: strings.NewReader(`{}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
				tests.ApiScenario{Name: who + " cannot update " + c, Method: http.MethodPatch, URL: rec(c) + "/" + r.Id, Headers: h, Body: strings.NewReader(`{"status":"cancelled"}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
				tests.ApiScenario{Name: who + " cannot delete " + c, Method: http.MethodDelete, URL: rec(c) + "/" + r.Id, Headers: h, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
			)
		}
		scenarios = append(scenarios,
			tests.ApiScenario{Name: "organiser lists " + c, Method: http.MethodGet, URL: rec(c), Headers: org, ExpectedStatus: 200, ExpectedContent: []string{r.Id}},
			tests.ApiScenario{Name: "organiser views " + c, Method: http.MethodGet, URL: rec(c) + "/" + r.Id, Headers: org, ExpectedStatus: 200, ExpectedContent: []string{r.Id}},
		)
	}
	scenarios = append(scenarios,
		tests.ApiScenario{Name: "the assignment token stays hidden", Method: http.MethodGet, URL: rec("assignments") + "/" + f.asg.Id, Headers: org, ExpectedStatus: 200, ExpectedContent: []string{f.asg.Id}, NotExpectedContent: []string{f.asg.GetString("token")}},
		tests.ApiScenario{Name: "organiser creates a registration with a generated ticket", Method: http.MethodPost, URL: rec("registrations"), Headers: org, Body: strings.NewReader(`{"event":"` + f.ev.Id + `","name":"Walk In","status":"confirmed"}`), ExpectedStatus: 200, ExpectedContent: []string{`"name":"Walk In"`, `"ticket":"`}},
		tests.ApiScenario{Name: "a registration needs a name that is not only spaces", Method: http.MethodPost, URL: rec("registrations"), Headers: org, Body: strings.NewReader(`{"event":"` + f.ev.Id + `","name":"   ","status":"confirmed"}`), ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_required"`}},
		tests.ApiScenario{Name: "a person is checked in once", Method: http.MethodPost, URL: rec("checkins"), Headers: org, Body: strings.NewReader(`{"registration":"` + f.reg.Id + `","event":"` + f.ev.Id + `","at":"2030-01-01 10:00:00.000Z","method":"manual"}`), ExpectedStatus: 400, ExpectedContent: []string{`"registration":{"code":"validation_not_unique"`}},
	)

	// shifts: organisers, and the volunteers assigned to them.
	scenarios = append(scenarios,
		tests.ApiScenario{Name: "anonymous lists no shifts", Method: http.MethodGet, URL: rec("shifts"), Headers: anon, ExpectedStatus: 200, ExpectedContent: empty},
		tests.ApiScenario{Name: "volunteer sees their own shift", Method: http.MethodGet, URL: rec("shifts"), Headers: vol, ExpectedStatus: 200, ExpectedContent: []string{f.shift.Id}},
		tests.ApiScenario{Name: "volunteer cannot create shifts", Method: http.MethodPost, URL: rec("shifts"), Headers: vol, Body: strings.NewReader(`{"event":"` + f.ev.Id + `","role":"door","needed":1,"starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 11:00:00.000Z"}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		tests.ApiScenario{Name: "organiser creates a shift", Method: http.MethodPost, URL: rec("shifts"), Headers: org, Body: strings.NewReader(`{"event":"` + f.ev.Id + `","role":"interpreting","needed":2,"starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 11:00:00.000Z"}`), ExpectedStatus: 200, ExpectedContent: []string{`"role":"interpreting"`}},
		tests.ApiScenario{Name: "a shift cannot end before it starts", Method: http.MethodPost, URL: rec("shifts"), Headers: org, Body: strings.NewReader(`{"event":"` + f.ev.Id + `","role":"door","needed":1,"starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 10:00:00.000Z"}`), ExpectedStatus: 400, ExpectedContent: []string{`"ends_at":{"code":"validation_ends_before_starts"`}},
		tests.ApiScenario{Name: "a shift needs at least one person", Method: http.MethodPost, URL: rec("shifts"), Headers: org, Body: strings.NewReader(`{"event":"` + f.ev.Id + `","role":"door","needed":0,"starts_at":"2030-01-01 10:00:00.000Z","ends_at":"2030-01-01 11:00:00.000Z"}`), ExpectedStatus: 400, ExpectedContent: []string{`"needed":`}},
	)

	// event_changes and event_messages: written by Kopā only, read by
	// organisers.
	for _, c := range []string{"event_changes", "event_messages"} {
		for who, h := range map[string]map[string]string{"anonymous": anon, "volunteer": vol} {
			scenarios = append(scenarios,
				tests.ApiScenario{Name: who + " lists no " + c, Method: http.MethodGet, URL: rec(c), Headers: h, ExpectedStatus: 200, ExpectedContent: empty})
		}
		scenarios = append(scenarios,
			tests.ApiScenario{Name: "organiser lists " + c, Method: http.MethodGet, URL: rec(c), Headers: org, ExpectedStatus: 200, ExpectedContent: []string{`"items":[`}},
			tests.ApiScenario{Name: "organiser cannot write " + c + " past Kopā", Method: http.MethodPost, URL: rec(c), Headers: org,
				Body: strings.NewReader(`{"event":"` + f.ev.Id + `","chain":"x","to":["confirmed"],"count":1}`), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		)
	}

	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}
