package volunteers_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
)

// volunteer creates a fixture volunteer with a locale, confirmed and
// consenting unless told otherwise.
func volunteer(t testing.TB, app core.App, email, locale string, langs, skills []string, verified, consent bool) *core.Record {
	t.Helper()
	v := kopatest.Volunteer(t, app, email, langs, skills)
	v.Set("locale", locale)
	v.SetVerified(verified)
	v.Set("contact_consent", consent)
	if err := app.Save(v); err != nil {
		t.Fatal(err)
	}
	return v
}

func assignments(t testing.TB, app core.App, shiftID string) map[string]string {
	t.Helper()
	recs, err := app.FindAllRecords("assignments")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs {
		if r.GetString("shift") == shiftID {
			out[r.GetString("volunteer")] = r.GetString("status")
		}
	}
	return out
}

func TestInviteAPI(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	ev := kopatest.Event(t, src, kopatest.EventOpts{})
	starts := ev.GetDateTime("starts_at").Time()
	interp := kopatest.Shift(t, src, ev, "interpreting", starts, starts.Add(2*time.Hour))
	door := kopatest.Shift(t, src, ev, "door", starts.Add(-30*time.Minute), starts.Add(2*time.Hour))
	past := kopatest.Event(t, src, kopatest.EventOpts{Starts: time.Now().Add(-time.Hour)})
	started := kopatest.Shift(t, src, past, "door", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))

	arInterp := volunteer(t, src, "ar.interp@example.com", "en", []string{"ar", "ru"}, []string{"interpreting"}, true, true)
	faInterp := volunteer(t, src, "fa.interp@example.com", "ru", []string{"fa"}, []string{"interpreting", "door"}, true, true)
	arDoor := volunteer(t, src, "ar.door@example.com", "lv", []string{"ar"}, []string{"door"}, true, true)
	unverified := volunteer(t, src, "unverified@example.com", "en", []string{"ar"}, []string{"interpreting"}, false, true)
	noConsent := volunteer(t, src, "noconsent@example.com", "en", []string{"ar"}, []string{"interpreting"}, true, false)
	// Already invited to the door shift (and declined): never invited again.
	kopatest.Assignment(t, src, door, arDoor, "declined")

	orgToken := kopatest.Token(t, org)
	volToken := kopatest.Token(t, arInterp)
	factory := kopatest.CloneFactory(src, hooks.Default)
	url := func(s *core.Record) string { return "/api/shifts/" + s.Id + "/invite" }
	asOrg := map[string]string{"Authorization": orgToken}

	invitedExactly := func(shift *core.Record, want map[string]string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			got := assignments(t, app, shift.Id)
			if len(got) != len(want) {
				t.Errorf("assignments %v, want %v", got, want)
			}
			for id, st := range want {
				if got[id] != st {
					t.Errorf("volunteer %s: %q, want %q (all: %v)", id, got[id], st, got)
				}
			}
			newly := 0
			for _, st := range want {
				if st == "invited" {
					newly++
				}
			}
			if rows := outboxRows(t, app, "volunteer_invite"); len(rows) != newly {
				t.Errorf("%d invitation mails, want %d", len(rows), newly)
			}
		}
	}
	nothing := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := count(t, app, "assignments"); n != 1 {
			t.Errorf("%d assignments", n)
		}
		if rows := outboxRows(t, app, ""); len(rows) != 0 {
			t.Errorf("%d mails", len(rows))
		}
	}

	scenarios := []tests.ApiScenario{
		{Name: "anonymous", Method: http.MethodPost, URL: url(interp), Body: body(`{"volunteers":["` + arInterp.Id + `"]}`),
			ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}, AfterTestFunc: nothing},
		{Name: "a volunteer may not invite", Method: http.MethodPost, URL: url(interp), Body: body(`{"volunteers":["` + arInterp.Id + `"]}`),
			Headers: map[string]string{"Authorization": volToken}, ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}, AfterTestFunc: nothing},
		{Name: "a list: confirmed, consenting volunteers are invited, others skipped", Method: http.MethodPost, URL: url(interp),
			Body:    body(`{"volunteers":["` + arInterp.Id + `","` + faInterp.Id + `","` + unverified.Id + `","` + noConsent.Id + `","` + arInterp.Id + `"]}`),
			Headers: asOrg, ExpectedStatus: 202, ExpectedContent: []string{`{"invited":2}`},
			ExpectedEvents: map[string]int{"OnRecordCreate": 4}, // two assignments, two mails
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				invitedExactly(interp, map[string]string{arInterp.Id: "invited", faInterp.Id: "invited"})(t, app, res)
				for _, m := range outboxRows(t, app, "volunteer_invite") {
					msg := written(t, app, m)
					switch m.GetString("to") {
					case "ar.interp@example.com":
						if msg.Subject != "Can you help? Interpreting: Bēgļu nodarbinātība (en)" {
							t.Errorf("subject %q", msg.Subject)
						}
					case "fa.interp@example.com":
						if msg.Subject != "Сможете помочь? Устный перевод: Bēgļu nodarbinātība (ru)" {
							t.Errorf("subject %q", msg.Subject)
						}
					default:
						t.Errorf("mail to %s", m.GetString("to"))
					}
					if !strings.Contains(msg.Text, "/i/") || !strings.Contains(msg.Text, "a=accept") {
						t.Errorf("no answer links: %s", msg.Text)
					}
				}
			}},
		{Name: "an unknown id", Method: http.MethodPost, URL: url(interp), Body: body(`{"volunteers":["` + arInterp.Id + `","nobody"]}`),
			Headers: asOrg, ExpectedStatus: 400, ExpectedContent: []string{`"volunteers":{"code":"validation_unknown_volunteer"`}, AfterTestFunc: nothing},
		{Name: "match a language: the shift's role is the default skill", Method: http.MethodPost, URL: url(interp),
			Body: body(`{"match":{"languages":["ar"]}}`), Headers: asOrg, ExpectedStatus: 202, ExpectedContent: []string{`{"invited":1}`},
			AfterTestFunc: invitedExactly(interp, map[string]string{arInterp.Id: "invited"})},
		{Name: "match any of the languages and all of the skills", Method: http.MethodPost, URL: url(interp),
			Body: body(`{"match":{"languages":["ar","fa"],"skills":["interpreting","door"]}}`), Headers: asOrg, ExpectedStatus: 202, ExpectedContent: []string{`{"invited":1}`},
			AfterTestFunc: invitedExactly(interp, map[string]string{faInterp.Id: "invited"})},
		{Name: "match with no skills: language only", Method: http.MethodPost, URL: url(interp),
			Body: body(`{"match":{"languages":["ar"],"skills":[]}}`), Headers: asOrg, ExpectedStatus: 202, ExpectedContent: []string{`{"invited":2}`},
			AfterTestFunc: invitedExactly(interp, map[string]string{arInterp.Id: "invited", arDoor.Id: "invited"})},
		{Name: "a repeat sends nothing new to those already invited", Method: http.MethodPost, URL: url(door),
			Body: body(`{"match":{}}`), Headers: asOrg, ExpectedStatus: 202, ExpectedContent: []string{`{"invited":1}`},
			AfterTestFunc: invitedExactly(door, map[string]string{faInterp.Id: "invited", arDoor.Id: "declined"})},
		{Name: "a repeated list sends nothing", Method: http.MethodPost, URL: url(door),
			Body: body(`{"volunteers":["` + arDoor.Id + `"]}`), Headers: asOrg, ExpectedStatus: 202, ExpectedContent: []string{`{"invited":0}`},
			AfterTestFunc: nothing},
		{Name: "a shift that has started", Method: http.MethodPost, URL: url(started), Body: body(`{"match":{}}`),
			Headers: asOrg, ExpectedStatus: 409, ExpectedContent: []string{`"data":{"code":"closed"}`}, AfterTestFunc: nothing},
		{Name: "an unknown shift", Method: http.MethodPost, URL: "/api/shifts/nope/invite", Body: body(`{"match":{}}`),
			Headers: asOrg, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, AfterTestFunc: nothing},
		{Name: "both a list and a match", Method: http.MethodPost, URL: url(interp), Body: body(`{"volunteers":["` + arInterp.Id + `"],"match":{}}`),
			Headers: asOrg, ExpectedStatus: 400, ExpectedContent: []string{`"body":{"code":"validation_one_of"`}, AfterTestFunc: nothing},
		{Name: "neither", Method: http.MethodPost, URL: url(interp), Body: body(`{}`),
			Headers: asOrg, ExpectedStatus: 400, ExpectedContent: []string{`"body":{"code":"validation_one_of"`}, AfterTestFunc: nothing},
		{Name: "an empty list", Method: http.MethodPost, URL: url(interp), Body: body(`{"volunteers":[]}`),
			Headers: asOrg, ExpectedStatus: 400, ExpectedContent: []string{`"volunteers":{"code":"validation_length_out_of_range"`}, AfterTestFunc: nothing},
		{Name: "an unknown language or skill in a match", Method: http.MethodPost, URL: url(interp), Body: body(`{"match":{"languages":["xx"],"skills":["juggling"]}}`),
			Headers: asOrg, ExpectedStatus: 400, ExpectedContent: []string{`"match":{"languages":{"code":"validation_invalid_value"`, `"skills":{"code":"validation_invalid_value"`}, AfterTestFunc: nothing},
		{Name: "wrong types", Method: http.MethodPost, URL: url(interp), Body: body(`{"volunteers":"all"}`),
			Headers: asOrg, ExpectedStatus: 400, ExpectedContent: []string{`"volunteers":{"code":"validation_invalid_type"`}, AfterTestFunc: nothing},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	ev := kopatest.Event(t, src, kopatest.EventOpts{})
	starts := ev.GetDateTime("starts_at").Time()
	shift := kopatest.Shift(t, src, ev, "door", starts, starts.Add(time.Hour)) // two places
	// After the door shift: a volunteer holds no two shifts at once.
	full := kopatest.Shift(t, src, ev, "hosting", starts.Add(time.Hour), starts.Add(2*time.Hour))
	past := kopatest.Event(t, src, kopatest.EventOpts{Starts: time.Now().Add(-time.Hour)})
	pastShift := kopatest.Shift(t, src, past, "door", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))

	vs := make([]*core.Record, 6)
	for i := range vs {
		vs[i] = volunteer(t, src, "v"+string(rune('a'+i))+"@example.com", "en", []string{"ar"}, []string{"door", "hosting"}, true, true)
	}
	invited := kopatest.Assignment(t, src, shift, vs[0], "invited")
	accepted := kopatest.Assignment(t, src, shift, vs[1], "accepted")
	declined := kopatest.Assignment(t, src, shift, vs[2], "declined")
	kopatest.Assignment(t, src, full, vs[0], "accepted")
	kopatest.Assignment(t, src, full, vs[1], "accepted")
	tooLate := kopatest.Assignment(t, src, full, vs[2], "invited")
	withdrawn := kopatest.Assignment(t, src, full, vs[3], "cancelled")
	expired := kopatest.Assignment(t, src, pastShift, vs[4], "invited")
	fullDeclined := kopatest.Assignment(t, src, full, vs[5], "declined")
	factory := kopatest.CloneFactory(src, hooks.Default)
	tok := func(a *core.Record) string { return a.GetString("token") }

	status := func(a *core.Record, want string, responded bool) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			r, err := app.FindRecordById("assignments", a.Id)
			if err != nil {
				t.Fatal(err)
			}
			if r.GetString("status") != want || r.GetDateTime("responded_at").IsZero() == responded {
				t.Errorf("status %q responded_at %v, want %q (responded %v)", r.GetString("status"), r.GetDateTime("responded_at"), want, responded)
			}
		}
	}
	asJSON := map[string]string{"Accept": "application/json"}
	post := func(a *core.Record, answer string) string { return "/i/" + tok(a) + "/" + answer + "?lang=en" }
	scenarios := []tests.ApiScenario{
		{Name: "the page has both buttons and the shift", Method: http.MethodGet, URL: "/i/" + tok(invited) + "?lang=en&a=accept",
			ExpectedStatus: 200, ExpectedContent: []string{"Door and welcome", "Bēgļu nodarbinātība (en)", "1 of 2 taken",
				`action="/i/` + tok(invited) + `/accept"`, `action="/i/` + tok(invited) + `/decline"`, `class="primary chosen"`},
			NotExpectedContent: []string{"vb@example.com", "Volunteer"}},
		{Name: "accept takes a place", Method: http.MethodPost, URL: post(invited, "accept"),
			ExpectedStatus: 303, ExpectedContent: []string{}, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/i/"+tok(invited)+"?done=accepted" {
					t.Errorf("redirect %q", loc)
				}
				status(invited, "accepted", true)(t, app, res)
			}},
		{Name: "accepting twice is harmless", Method: http.MethodPost, URL: post(accepted, "accept"),
			ExpectedStatus: 303, AfterTestFunc: status(accepted, "accepted", false)},
		{Name: "decline after accept frees the place", Method: http.MethodPost, URL: post(accepted, "decline"),
			ExpectedStatus: 303, AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				status(accepted, "declined", true)(t, app, res)
			}},
		{Name: "accept after decline while places remain", Method: http.MethodPost, URL: post(declined, "accept"),
			ExpectedStatus: 303, AfterTestFunc: status(declined, "accepted", true)},
		{Name: "a full shift refuses with a clear message", Method: http.MethodPost, URL: post(tooLate, "accept"),
			ExpectedStatus: 409, ExpectedContent: []string{"every place on this shift is already taken", "2 of 2 taken"},
			NotExpectedContent: []string{`/accept"`},
			AfterTestFunc:      status(tooLate, "invited", false)},
		{Name: "accept after decline on a full shift is refused", Method: http.MethodPost, URL: post(fullDeclined, "accept"),
			ExpectedStatus: 409, ExpectedContent: []string{"every place on this shift is already taken"}, AfterTestFunc: status(fullDeclined, "declined", false)},
		{Name: "declining on a full shift is fine", Method: http.MethodPost, URL: post(tooLate, "decline"),
			ExpectedStatus: 303, AfterTestFunc: status(tooLate, "declined", true)},
		{Name: "after the shift started the link has expired", Method: http.MethodPost, URL: post(expired, "accept"),
			ExpectedStatus: 410, ExpectedContent: []string{"This invitation has expired"}, AfterTestFunc: status(expired, "invited", false)},
		{Name: "the expired page", Method: http.MethodGet, URL: "/i/" + tok(expired) + "?lang=en",
			ExpectedStatus: 410, ExpectedContent: []string{"This invitation has expired"}},
		{Name: "a withdrawn invitation", Method: http.MethodPost, URL: post(withdrawn, "accept"),
			ExpectedStatus: 410, ExpectedContent: []string{"This invitation was withdrawn"}, AfterTestFunc: status(withdrawn, "cancelled", false)},
		{Name: "an unknown token", Method: http.MethodPost, URL: "/i/" + strings.Repeat("A", 24) + "/accept?lang=en",
			ExpectedStatus: 404, ExpectedContent: []string{"Invitation not found"}},
		{Name: "an unknown token's page", Method: http.MethodGet, URL: "/i/abc?lang=en",
			ExpectedStatus: 404, ExpectedContent: []string{"Invitation not found"}},
		{Name: "as JSON: accept", Method: http.MethodPost, URL: "/i/" + tok(invited) + "/accept", Headers: asJSON,
			ExpectedStatus: 200, ExpectedContent: []string{`{"status":"accepted"}`}, AfterTestFunc: status(invited, "accepted", true)},
		{Name: "as JSON: a full shift", Method: http.MethodPost, URL: "/i/" + tok(tooLate) + "/accept", Headers: asJSON,
			ExpectedStatus: 409, ExpectedContent: []string{`"data":{"code":"full"}`}, AfterTestFunc: status(tooLate, "invited", false)},
		{Name: "as JSON: expired", Method: http.MethodPost, URL: "/i/" + tok(expired) + "/decline", Headers: asJSON,
			ExpectedStatus: 410, ExpectedContent: []string{`"data":{"code":"expired"}`}},
		{Name: "as JSON: withdrawn", Method: http.MethodPost, URL: "/i/" + tok(withdrawn) + "/accept", Headers: asJSON,
			ExpectedStatus: 410, ExpectedContent: []string{`"data":{"code":"withdrawn"}`}},
		{Name: "as JSON: unknown", Method: http.MethodPost, URL: "/i/" + strings.Repeat("B", 24) + "/accept", Headers: asJSON,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "an unknown answer", Method: http.MethodPost, URL: post(invited, "maybe"),
			ExpectedStatus: 404, ExpectedContent: []string{"Page not found"}, AfterTestFunc: status(invited, "invited", false)},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestLastPlaceRace: twenty invitees accept a two-place shift at once;
// exactly two get it, the others are told it is full.
func TestLastPlaceRace(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	starts := ev.GetDateTime("starts_at").Time()
	shift := kopatest.Shift(t, app, ev, "door", starts, starts.Add(time.Hour))
	var tokens []string
	for i := 0; i < 20; i++ {
		v := volunteer(t, app, "race"+strings.Repeat("x", i)+"@example.com", "en", []string{"ar"}, []string{"door"}, true, true)
		tokens = append(tokens, kopatest.Assignment(t, app, shift, v, "invited").GetString("token"))
	}
	errs := make(chan error, len(tokens))
	for _, tk := range tokens {
		go func() {
			_, err := volunteers.Answer(app, tk, true, time.Now())
			errs <- err
		}()
	}
	ok, full := 0, 0
	for range tokens {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, volunteers.ErrFull):
			full++
		default:
			t.Errorf("answer: %v", err)
		}
	}
	if ok != 2 || full != 18 {
		t.Errorf("%d accepted, %d refused; want 2 and 18", ok, full)
	}
	if got := assignments(t, app, shift.Id); len(got) != 20 {
		t.Errorf("assignments %v", got)
	}
}
