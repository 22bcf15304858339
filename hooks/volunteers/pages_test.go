package volunteers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/volunteers"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

const csrf = "cccccccccccccccccccccccccccccccccccccccccc0"

func form(v url.Values) *strings.Reader {
	v.Set("csrf", csrf)
	return strings.NewReader(v.Encode())
}

func session(token string) map[string]string {
	return map[string]string{"Cookie": "kopa_session=" + token + "; kopa_csrf=" + csrf, "Content-Type": "application/x-www-form-urlencoded"}
}

func TestPortal(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	me := volunteer(t, src, "me@example.com", "en", []string{"ar", "fa"}, []string{"door"}, true, true)
	other := volunteer(t, src, "other@example.com", "en", []string{"ar"}, []string{"door"}, true, true)
	third := volunteer(t, src, "third@example.com", "en", []string{"ar"}, []string{"door"}, true, true)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Kultūršoks"})
	starts := ev.GetDateTime("starts_at").Time()
	door := kopatest.Shift(t, src, ev, "door", starts.Add(-30*time.Minute), starts.Add(2*time.Hour))
	// After the door shift they hold: a volunteer holds no two shifts at once.
	hosting := kopatest.Shift(t, src, ev, "hosting", starts.Add(2*time.Hour), starts.Add(4*time.Hour))
	full := kopatest.Shift(t, src, ev, "logistics", starts, starts.Add(2*time.Hour))
	past := kopatest.Event(t, src, kopatest.EventOpts{Title: "Pagājis", Starts: time.Now().Add(-48 * time.Hour)})
	pastShift := kopatest.Shift(t, src, past, "door", time.Now().Add(-48*time.Hour), time.Now().Add(-47*time.Hour))
	kopatest.Assignment(t, src, door, me, "accepted")
	invitation := kopatest.Assignment(t, src, hosting, me, "invited")
	fullInvitation := kopatest.Assignment(t, src, full, me, "invited")
	kopatest.Assignment(t, src, full, other, "accepted")
	kopatest.Assignment(t, src, full, third, "accepted")
	kopatest.Assignment(t, src, pastShift, me, "accepted")
	othersInvitation := kopatest.Assignment(t, src, hosting, other, "invited")
	factory := kopatest.CloneFactory(src, hooks.Default)
	mine := session(kopatest.Token(t, me))

	scenarios := []tests.ApiScenario{
		{Name: "anonymous is sent to the login", Method: http.MethodGet, URL: "/volunteer/me", ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				if loc := res.Header.Get("Location"); loc != "/manage/login?next=%2Fvolunteer%2Fme" {
					t.Errorf("location %q", loc)
				}
			}},
		{Name: "an organiser has no volunteer page", Method: http.MethodGet, URL: "/volunteer/me?lang=en", Headers: session(kopatest.Token(t, org)),
			ExpectedStatus: 403, ExpectedContent: []string{"No access"}},
		{Name: "the volunteer sees invitations, upcoming shifts in Riga time, and their languages", Method: http.MethodGet, URL: "/volunteer/me?lang=en", Headers: mine,
			ExpectedStatus: 200,
			ExpectedContent: []string{
				"Hello, Volunteer me@example.com!",
				"Hosting conversations — Kultūršoks (en)", "/volunteer/me/assignments/" + invitation.Id + "/accept",
				"Door and welcome — Kultūršoks (en)", "/manage/events/" + ev.Id + "/scan",
				starts.In(i18n.Riga).Format("15:04"),
				`value="fa" checked`, `value="door" checked`, `name="csrf" value="`, "/volunteer/me/delete",
			},
			NotExpectedContent: []string{"Pagājis", "/volunteer/me/assignments/" + fullInvitation.Id + "/accept", othersInvitation.Id}},
		{Name: "a form without the CSRF token is refused", Method: http.MethodPost, URL: "/volunteer/me/profile?lang=en",
			Headers: map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, me), "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader("languages=de&locale=en"), ExpectedStatus: 403, ExpectedContent: []string{"The form has expired"}},
		{Name: "languages, skills and mail language are saved", Method: http.MethodPost, URL: "/volunteer/me/profile", Headers: mine,
			Body:           form(url.Values{"languages": {"uk", "ru"}, "skills": {"childcare", "door"}, "locale": {"ru"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				v, _ := app.FindRecordById("volunteers", me.Id)
				if strings.Join(v.GetStringSlice("languages"), ",") != "ru,uk" || strings.Join(v.GetStringSlice("skills"), ",") != "door,childcare" || v.GetString("locale") != "ru" {
					t.Errorf("saved %v", v.PublicExport())
				}
				if res.Header.Get("Location") != "/volunteer/me?saved=1" {
					t.Errorf("location %q", res.Header.Get("Location"))
				}
			}},
		{Name: "no language is refused", Method: http.MethodPost, URL: "/volunteer/me/profile?lang=en", Headers: mine,
			Body: form(url.Values{"skills": {"door"}, "locale": {"en"}}), ExpectedStatus: 400, ExpectedContent: []string{"Please choose at least one language from the list."}},
		{Name: "accepting an invitation", Method: http.MethodPost, URL: "/volunteer/me/assignments/" + invitation.Id + "/accept", Headers: mine, Body: form(url.Values{}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				a, _ := app.FindRecordById("assignments", invitation.Id)
				if a.GetString("status") != "accepted" || res.Header.Get("Location") != "/volunteer/me?done=accepted" {
					t.Errorf("status %s location %s", a.GetString("status"), res.Header.Get("Location"))
				}
			}},
		{Name: "a full shift is refused on the portal too", Method: http.MethodPost, URL: "/volunteer/me/assignments/" + fullInvitation.Id + "/accept?lang=en", Headers: mine, Body: form(url.Values{}),
			ExpectedStatus: 409, ExpectedContent: []string{"every place on this shift is already taken"}},
		{Name: "someone else's invitation is not found", Method: http.MethodPost, URL: "/volunteer/me/assignments/" + othersInvitation.Id + "/accept?lang=en", Headers: mine, Body: form(url.Values{}),
			ExpectedStatus: 404, ExpectedContent: []string{"Invitation not found"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				a, _ := app.FindRecordById("assignments", othersInvitation.Id)
				if a.GetString("status") != "invited" {
					t.Errorf("another volunteer's invitation was answered")
				}
			}},
		{Name: "deleting asks first", Method: http.MethodGet, URL: "/volunteer/me/delete?lang=en", Headers: mine,
			ExpectedStatus: 200, ExpectedContent: []string{"Do you really want to delete", `action="/volunteer/me/delete"`}},
		{Name: "deleting removes the account and its assignments and signs out", Method: http.MethodPost, URL: "/volunteer/me/delete?lang=en", Headers: mine, Body: form(url.Values{}),
			ExpectedStatus: 200, ExpectedContent: []string{"Your account has been deleted"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if _, err := app.FindRecordById("volunteers", me.Id); err == nil {
					t.Error("the volunteer is still there")
				}
				if n, _ := app.CountRecords("assignments"); n != 3 {
					t.Errorf("%d assignments left, want the other volunteers' 3", n)
				}
				if c := res.Header.Get("Set-Cookie"); !strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), ";"), "kopa_session=;") {
					t.Errorf("session not cleared: %q", c)
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestShiftsPage(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	vol := volunteer(t, src, "ar@example.com", "en", []string{"ar"}, []string{"interpreting"}, true, true)
	fa := volunteer(t, src, "fa@example.com", "ru", []string{"fa"}, []string{"interpreting"}, true, true)
	volunteer(t, src, "uk@example.com", "en", []string{"uk"}, []string{"interpreting"}, true, true)
	doorVol := volunteer(t, src, "door@example.com", "lv", []string{"lv"}, []string{"door"}, true, true)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Bēgļu politika"})
	starts := ev.GetDateTime("starts_at").Time()
	door := kopatest.Shift(t, src, ev, "door", starts.Add(-30*time.Minute), starts.Add(2*time.Hour))
	accepted := kopatest.Assignment(t, src, door, doorVol, "accepted")
	other := kopatest.Event(t, src, kopatest.EventOpts{Title: "Cits"})
	later := kopatest.Shift(t, src, ev, "logistics", starts, starts.Add(time.Hour))
	gone := kopatest.Assignment(t, src, later, doorVol, "cancelled")
	for i, langs := range [][]string{{"ar"}, {"ar", "fa"}, {"fa"}, {"ar"}} {
		r := kopatest.Registration(t, src, ev, "Guest", "guest"+strings.Repeat("x", i)+"@example.com", "confirmed")
		r.Set("interpretation", langs)
		if i == 3 {
			r.Set("status", "cancelled")
		}
		if err := src.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	factory := kopatest.CloneFactory(src, hooks.Default)
	orgH := session(kopatest.Token(t, org))
	page := "/manage/events/" + ev.Id + "/shifts"

	scenarios := []tests.ApiScenario{
		{Name: "anonymous is sent to the login", Method: http.MethodGet, URL: page, ExpectedStatus: 303},
		{Name: "a volunteer may not", Method: http.MethodGet, URL: page + "?lang=en", Headers: session(kopatest.Token(t, vol)), ExpectedStatus: 403, ExpectedContent: []string{"No access"}},
		{Name: "the organiser sees shifts, answers and interpretation needs", Method: http.MethodGet, URL: page + "?lang=en", Headers: orgH,
			ExpectedStatus: 200,
			ExpectedContent: []string{"Bēgļu politika (en)", "Door and welcome", "1 of 2 places filled", "Volunteer door@example.com", "accepted",
				"<strong>Arabic</strong>: 2", "<strong>Persian (Farsi)</strong>: 2", "Invite matching interpreters", `value="` + vol.Id + `"`,
				`action="/manage/events/` + ev.Id + `/shifts/` + door.Id + `/invite"`}},
		{Name: "a new shift's Riga times are stored in UTC", Method: http.MethodPost, URL: page, Headers: orgH,
			Body:           form(url.Values{"role": {"childcare"}, "needed": {"3"}, "starts_at": {"2031-07-01T17:30"}, "ends_at": {"2031-07-01T20:00"}, "notes": {"Bring toys"}}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				s, err := app.FindFirstRecordByData("shifts", "role", "childcare")
				if err != nil {
					t.Fatal(err)
				}
				// Riga is UTC+3 in summer.
				if s.GetDateTime("starts_at").String() != "2031-07-01 14:30:00.000Z" || s.GetDateTime("ends_at").String() != "2031-07-01 17:00:00.000Z" ||
					s.GetInt("needed") != 3 || s.GetString("event") != ev.Id || s.GetString("notes") != "Bring toys" {
					t.Errorf("stored %v", s.PublicExport())
				}
			}},
		{Name: "a shift that ends before it starts", Method: http.MethodPost, URL: page + "?lang=en", Headers: orgH,
			Body:           form(url.Values{"role": {"door"}, "needed": {"1"}, "starts_at": {"2031-07-01T17:30"}, "ends_at": {"2031-07-01T16:00"}}),
			ExpectedStatus: 400, ExpectedContent: []string{"The shift must end after it starts.", `value="2031-07-01T16:00"`}},
		{Name: "a shift without the CSRF token", Method: http.MethodPost, URL: page, Headers: map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org), "Content-Type": "application/x-www-form-urlencoded"},
			Body: strings.NewReader("role=door&needed=1&starts_at=2031-07-01T17:30&ends_at=2031-07-01T18:30"), ExpectedStatus: 403, ExpectedContent: []string{"Forma ir novecojusi"}},
		{Name: "invite by match from the page", Method: http.MethodPost, URL: page + "/" + door.Id + "/invite", Headers: orgH,
			Body: form(url.Values{"mode": {"match"}, "languages": {"ar", "fa"}, "skills": {"interpreting"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := assignments(t, app, door.Id); len(got) != 3 || got[vol.Id] != "invited" || got[fa.Id] != "invited" {
					t.Errorf("assignments %v", got)
				}
				if loc := res.Header.Get("Location"); !strings.Contains(loc, "invited=2") {
					t.Errorf("location %q", loc)
				}
			}},
		{Name: "invite picked volunteers from the page", Method: http.MethodPost, URL: page + "/" + door.Id + "/invite", Headers: orgH,
			Body: form(url.Values{"mode": {"pick"}, "volunteers": {fa.Id, doorVol.Id}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := assignments(t, app, door.Id); len(got) != 2 || got[fa.Id] != "invited" {
					t.Errorf("assignments %v", got)
				}
				if loc := res.Header.Get("Location"); !strings.Contains(loc, "invited=1") {
					t.Errorf("location %q", loc)
				}
			}},
		{Name: "the organiser sees a withdraw button for the accepted place", Method: http.MethodGet, URL: page + "?lang=en", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`action="/manage/events/` + ev.Id + `/shifts/` + door.Id + `/assignments/` + accepted.Id + `/withdraw"`,
				`aria-label="Withdraw the invitation of Volunteer door@example.com"`}},
		{Name: "withdrawing a place tells the volunteer, in their language", Method: http.MethodPost, URL: page + "/" + door.Id + "/assignments/" + accepted.Id + "/withdraw",
			Headers: orgH, Body: form(url.Values{}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := assignments(t, app, door.Id); got[doorVol.Id] != "cancelled" {
					t.Errorf("assignments %v", got)
				}
				rows := outboxRows(t, app, "volunteer_withdrawn")
				if len(rows) != 1 || rows[0].GetString("to") != "door@example.com" || !strings.HasPrefix(written(t, app, rows[0]).Subject, "Vairs nav vajadzīgs: Sagaidīšana pie ieejas, Bēgļu politika") {
					t.Errorf("mails %v", rows)
				}
				if loc := res.Header.Get("Location"); !strings.Contains(loc, "withdrawn=1") {
					t.Errorf("location %q", loc)
				}
			}},
		{Name: "withdrawing twice is harmless: no second mail", Method: http.MethodPost, URL: page + "/" + later.Id + "/assignments/" + gone.Id + "/withdraw",
			Headers: orgH, Body: form(url.Values{}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := assignments(t, app, later.Id); got[doorVol.Id] != "cancelled" || len(outboxRows(t, app, "volunteer_withdrawn")) != 0 {
					t.Errorf("assignments %v, mails %d", got, len(outboxRows(t, app, "volunteer_withdrawn")))
				}
			}},
		{Name: "the notice says it is withdrawn", Method: http.MethodGet, URL: page + "?lang=en&withdrawn=1", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"The invitation is withdrawn"}},
		{Name: "an assignment of another event's shift is not found here", Method: http.MethodPost, URL: "/manage/events/" + other.Id + "/shifts/" + door.Id + "/assignments/" + accepted.Id + "/withdraw?lang=en",
			Headers: orgH, Body: form(url.Values{}), ExpectedStatus: 404, ExpectedContent: []string{"Page not found"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := assignments(t, app, door.Id); got[doorVol.Id] != "accepted" {
					t.Errorf("assignments %v", got)
				}
			}},
		{Name: "withdrawing needs the CSRF token", Method: http.MethodPost, URL: page + "/" + door.Id + "/assignments/" + accepted.Id + "/withdraw",
			Headers: map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, org), "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader(""), ExpectedStatus: 403, ExpectedContent: []string{"Forma ir novecojusi"}},
		{Name: "a volunteer may not withdraw", Method: http.MethodPost, URL: page + "/" + door.Id + "/assignments/" + accepted.Id + "/withdraw?lang=en",
			Headers: session(kopatest.Token(t, vol)), Body: form(url.Values{}), ExpectedStatus: 403, ExpectedContent: []string{"No access"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := assignments(t, app, door.Id); got[doorVol.Id] != "accepted" {
					t.Errorf("assignments %v", got)
				}
			}},
		{Name: "the notice counts the invited", Method: http.MethodGet, URL: page + "?lang=ru&invited=5&shift=" + door.Id, Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"Приглашено 5 волонтёров."}},
		{Name: "one button invites the matching interpreters to a shift over the event", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/interpreters", Headers: orgH,
			Body: form(url.Values{}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				s, err := app.FindFirstRecordByData("shifts", "role", "interpreting")
				if err != nil {
					t.Fatal(err)
				}
				if !s.GetDateTime("starts_at").Time().Equal(starts) || s.GetInt("needed") != 2 {
					t.Errorf("shift %v", s.PublicExport())
				}
				if got := assignments(t, app, s.Id); len(got) != 2 || got[vol.Id] != "invited" || got[fa.Id] != "invited" {
					t.Errorf("assignments %v (the Ukrainian interpreter is not asked for)", got)
				}
				if len(outboxRows(t, app, "volunteer_invite")) != 2 {
					t.Error("not two invitation mails")
				}
				// Pressed again: the same shift, nobody new.
				shiftID, n, err := volunteers.InviteInterpreters(app, ev.Id, time.Now())
				if err != nil || n != 0 || shiftID != s.Id {
					t.Errorf("again: %s %d %v", shiftID, n, err)
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestEventShifts(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	starts := ev.GetDateTime("starts_at").Time()
	late := kopatest.Shift(t, app, ev, "hosting", starts, starts.Add(time.Hour))
	early := kopatest.Shift(t, app, ev, "door", starts.Add(-time.Hour), starts)
	v := volunteer(t, app, "a@example.com", "en", []string{"ar"}, []string{"door"}, true, true)
	kopatest.Assignment(t, app, early, v, "accepted")
	kopatest.Assignment(t, app, late, v, "invited")
	list, err := volunteers.EventShifts(app, ev.Id, "en")
	if err != nil || len(list) != 2 {
		t.Fatalf("%v %v", list, err)
	}
	if list[0].ID != early.Id || list[0].Filled != 1 || list[0].Needed != 2 || list[1].Filled != 0 || list[1].Full() {
		t.Errorf("%+v", list)
	}
}
