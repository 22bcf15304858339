package volunteers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
)

// wish registers a party at ev with its interpretation wish and children
// to mind.
func wish(t testing.TB, app core.App, ev *core.Record, email string, party, children int, langs ...string) *core.Record {
	t.Helper()
	r := kopatest.Registration(t, app, ev, "Guest", email, "confirmed")
	return kopatest.Party(t, app, r, party, children, langs...)
}

// TestWishesAgainstVolunteers: the console shows, per event, the
// interpretation languages and child minding asked for, in people (and
// children), against the accepted volunteers who answer them: an
// interpreter who speaks the language on the event's interpreting shift,
// a minder on its child minding shift. Where nobody does it warns, with a
// one-click invitation of the matching approved volunteers, which invites
// only them; a wish nobody made invites nobody.
func TestWishesAgainstVolunteers(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Muzejs"})
	starts := ev.GetDateTime("starts_at").Time()
	// A family of four asks for Persian with two children to mind; a
	// couple asks for Arabic; one person asks for Arabic too.
	wish(t, src, ev, "rahimi@example.com", 4, 2, "fa")
	wish(t, src, ev, "haddad@example.com", 2, 1, "ar")
	wish(t, src, ev, "amina@example.com", 1, 0, "ar")
	// Samir interprets Arabic on the event's interpreting shift.
	interpreting := kopatest.Shift(t, src, ev, "interpreting", starts, starts.Add(2*time.Hour))
	samir := volunteer(t, src, "samir@example.com", "en", []string{"ar", "en"}, []string{"interpreting"}, true, true)
	kopatest.Assignment(t, src, interpreting, samir, "accepted")
	samir.Set("name", "Samir")
	if err := src.Save(samir); err != nil {
		t.Fatal(err)
	}
	// Who could answer the rest: a Persian interpreter, a child minder,
	// and an Arabic interpreter (not needed, Samir answers Arabic).
	dari := volunteer(t, src, "dari@example.com", "fa", []string{"fa"}, []string{"interpreting"}, true, true)
	minder := volunteer(t, src, "minder@example.com", "lv", []string{"lv"}, []string{"childcare"}, true, true)
	arabic := volunteer(t, src, "arabic@example.com", "ar", []string{"ar"}, []string{"interpreting"}, true, true)
	quiet := kopatest.Event(t, src, kopatest.EventOpts{Title: "Klusā"})
	factory := kopatest.CloneFactory(src, hooks.Default)
	orgH := session(kopatest.Token(t, org))
	page := "/manage/events/" + ev.Id + "/shifts"

	scenarios := []tests.ApiScenario{
		{Name: "wishes in people, who answers them, and a warning where nobody does", Method: http.MethodGet, URL: page + "?lang=en", Headers: orgH,
			ExpectedStatus: 200,
			ExpectedContent: []string{
				`<strong>Persian (Farsi)</strong>: 4`, `<strong>Arabic</strong>: 3`, `<strong>Child minding</strong>: 3`,
				`— answered by Samir`, `⚠ Nobody answers this yet`,
				`<input type="hidden" name="lang" value="fa">`, `Invite interpreters for Persian (Farsi)`,
				`action="/manage/events/` + ev.Id + `/childminders"`, `Invite child minders`},
			NotExpectedContent: []string{`<input type="hidden" name="lang" value="ar">`}},
		{Name: "the same in Latvian", Method: http.MethodGet, URL: page + "?lang=lv", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{`<strong>Bērnu pieskatīšana</strong>: 3`, `Uzaicināt bērnu pieskatītājus`, `— nodrošina Samir`}},
		{Name: "an event without wishes says so", Method: http.MethodGet, URL: "/manage/events/" + quiet.Id + "/shifts?lang=en", Headers: orgH,
			ExpectedStatus: 200, ExpectedContent: []string{"No registration has asked for interpretation or child minding."}, NotExpectedContent: []string{"Nobody answers"}},
		{Name: "one click invites the Persian interpreters only", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/interpreters", Headers: orgH,
			Body: form(url.Values{"lang": {"fa"}}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				got := assignments(t, app, interpreting.Id)
				if len(got) != 2 || got[dari.Id] != "invited" || got[samir.Id] != "accepted" {
					t.Errorf("assignments %v: want Samir as he was and the Persian interpreter invited", got)
				}
				if _, ok := got[arabic.Id]; ok {
					t.Error("an Arabic interpreter was invited for Persian")
				}
				if n := len(outboxRows(t, app, "volunteer_invite")); n != 1 {
					t.Errorf("%d invitation mails, want 1", n)
				}
			}},
		{Name: "one click invites the child minders to a child minding shift over the event", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/childminders", Headers: orgH,
			Body: form(url.Values{}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				s, err := app.FindFirstRecordByData("shifts", "role", "childcare")
				if err != nil {
					t.Fatal(err)
				}
				// Three children: one minder.
				if !s.GetDateTime("starts_at").Time().Equal(starts) || s.GetInt("needed") != 1 {
					t.Errorf("shift %v", s.PublicExport())
				}
				if got := assignments(t, app, s.Id); len(got) != 1 || got[minder.Id] != "invited" {
					t.Errorf("assignments %v", got)
				}
				if loc := res.Header.Get("Location"); !strings.Contains(loc, "invited=1") {
					t.Errorf("redirect %q", loc)
				}
			}},
		{Name: "400 for a language that is not one", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/interpreters", Headers: orgH,
			Body: form(url.Values{"lang": {"xx"}}), ExpectedStatus: 400, ExpectedContent: []string{"Pieprasījumu nevar izpildīt"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if got := assignments(t, app, interpreting.Id); len(got) != 1 {
					t.Errorf("assignments %v after a refused invitation", got)
				}
			}},
		{Name: "no child minding asked: nobody invited, no shift made", Method: http.MethodPost, URL: "/manage/events/" + quiet.Id + "/childminders", Headers: orgH,
			Body: form(url.Values{}), ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, "shifts"); n != 1 {
					t.Errorf("%d shifts, want the one there was", n)
				}
			}},
		{Name: "a volunteer may not invite", Method: http.MethodPost, URL: "/manage/events/" + ev.Id + "/childminders?lang=en", Headers: session(kopatest.Token(t, minder)),
			Body: form(url.Values{}), ExpectedStatus: 403, ExpectedContent: []string{"No access"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := count(t, app, "shifts"); n != 1 {
					t.Errorf("%d shifts after a refused invitation", n)
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestInvitationNamesTheNeed: an invitation to interpret, read in mailpit,
// names the language asked for that the volunteer speaks, in their
// language; one to mind children says how many.
func TestInvitationNamesTheNeed(t *testing.T) {
	t.Parallel()
	mp, app, _ := mailApp(t)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Muzejs"})
	wish(t, app, ev, "rahimi@example.com", 4, 2, "fa")
	wish(t, app, ev, "haddad@example.com", 2, 1, "ar")
	volunteer(t, app, "en@example.com", "en", []string{"fa", "en"}, []string{"interpreting"}, true, true)
	volunteer(t, app, "ru@example.com", "ru", []string{"fa", "ru"}, []string{"interpreting"}, true, true)
	volunteer(t, app, "fa@example.com", "fa", []string{"fa"}, []string{"interpreting"}, true, true)
	volunteer(t, app, "minder@example.com", "en", []string{"lv"}, []string{"childcare"}, true, true)
	if _, n, err := volunteers.InviteFor(app, ev.Id, "fa", time.Now()); err != nil || n != 3 {
		t.Fatalf("invited %d interpreters: %v", n, err)
	}
	if _, n, err := volunteers.InviteFor(app, ev.Id, "childcare", time.Now()); err != nil || n != 1 {
		t.Fatalf("invited %d minders: %v", n, err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 4, 10*time.Second)
	for to, want := range map[string]string{
		"en@example.com":     "asked for interpretation into Persian (Farsi), which you speak",
		"ru@example.com":     "просили перевода на язык: персидский (фарси)",
		"fa@example.com":     "فارسی (دری)",
		"minder@example.com": "3 children need minding during this event.",
	} {
		list := mp.To(t, to)
		if len(list) != 1 {
			t.Fatalf("%s: %d mails", to, len(list))
		}
		m := mp.Message(t, list[0].ID)
		for _, body := range []string{m.Text, m.HTML} {
			if !strings.Contains(strings.NewReplacer("\u2068", "", "\u2069", "").Replace(body), want) {
				t.Errorf("%s: the mail does not say %q:\n%s", to, want, body)
			}
		}
		if strings.Contains(m.Text, "Arabic") {
			t.Errorf("%s: the mail names Arabic, which the volunteer does not speak", to)
		}
	}
}
