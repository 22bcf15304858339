package volunteers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

func mailsTo(t testing.TB, app core.App, to string) []*core.Record {
	rows, err := app.FindAllRecords(outbox.Collection)
	if err != nil {
		t.Fatal(err)
	}
	var out []*core.Record
	for _, r := range rows {
		if r.GetString("to") == to {
			out = append(out, r)
		}
	}
	return out
}

func TestSignUpAPI(t *testing.T) {
	src := kopatest.NewApp(t)
	kopatest.Volunteer(t, src, "known@example.com", []string{"ar"}, []string{"interpreting"})
	factory := kopatest.CloneFactory(src, hooks.Default)
	valid := `{"name":"Farid","email":"Farid@Example.com","phone":"+371 2000 0000","languages":["fa","ar"],"skills":["interpreting"],"locale":"en","contact_consent":true}`
	body := func(s string) *strings.Reader { return strings.NewReader(s) }
	scenarios := []tests.ApiScenario{
		{Name: "sign up", Method: http.MethodPost, URL: "/api/volunteers/signup", Body: body(valid), ExpectedStatus: 201,
			ExpectedContent: []string{`{"status":"pending"}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				v, err := app.FindAuthRecordByEmail("volunteers", "farid@example.com")
				if err != nil || v.Verified() || !v.GetBool("contact_consent") || len(v.GetStringSlice("languages")) != 2 {
					t.Fatalf("stored %v %v", v, err)
				}
				m := mailsTo(t, app, "farid@example.com")
				if len(m) != 1 || !strings.Contains(m[0].GetString("html"), "/volunteer/confirm?token=") || m[0].GetString("subject") != "Please confirm your e-mail" {
					t.Errorf("confirmation mail: %d", len(m))
				}
			}},
		{Name: "a known address: the same answer but 200, and a different mail", Method: http.MethodPost, URL: "/api/volunteers/signup",
			Body: body(strings.Replace(valid, "Farid@Example.com", "KNOWN@example.com", 1)), ExpectedStatus: 200, ExpectedContent: []string{`{"status":"pending"}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m := mailsTo(t, app, "known@example.com")
				if len(m) != 1 || m[0].GetString("kind") != "volunteer_exists" {
					t.Errorf("mails to the known address: %d", len(m))
				}
				if n, _ := app.CountRecords("volunteers"); n != 1 {
					t.Error("a second volunteer was created")
				}
			}},
		{Name: "every bad field", Method: http.MethodPost, URL: "/api/volunteers/signup",
			Body:           body(`{"name":" ","email":"x@","phone":"call me","languages":["xx"],"skills":["flying"],"locale":"de","contact_consent":false}`),
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_required"`, `"email":{"code":"validation_invalid_email"`, `"phone":{"code":"validation_invalid_phone"`,
				`"languages":{"code":"validation_invalid_value"`, `"skills":{"code":"validation_invalid_value"`, `"locale":{"code":"validation_invalid_locale"`, `"contact_consent":{"code":"validation_consent_required"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords(outbox.Collection); n != 0 {
					t.Error("mail queued for a refused sign-up")
				}
			}},
		{Name: "no languages", Method: http.MethodPost, URL: "/api/volunteers/signup", Body: body(strings.Replace(valid, `["fa","ar"]`, `[]`, 1)),
			ExpectedStatus: 400, ExpectedContent: []string{`"languages":`}},
		{Name: "wrong types", Method: http.MethodPost, URL: "/api/volunteers/signup", Body: body(`{"name":1}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":400`}},
		{Name: "the sign-up page", Method: http.MethodGet, URL: "/volunteer?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"Become a volunteer", `name="languages" value="ar"`, `name="skills" value="door"`, `name="contact_consent"`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

func TestInvitesAndAnswers(t *testing.T) {
	src := kopatest.NewApp(t)
	start := time.Now().Add(48 * time.Hour)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Starts: start})
	shift := kopatest.Shift(t, src, ev, "interpreting", start, start.Add(2*time.Hour))
	shift.Set("needed", 1)
	if err := src.Save(shift); err != nil {
		t.Fatal(err)
	}
	ar := kopatest.Volunteer(t, src, "ar@example.com", []string{"ar", "en"}, []string{"interpreting"})
	fa := kopatest.Volunteer(t, src, "fa@example.com", []string{"fa"}, []string{"interpreting"})
	kopatest.Volunteer(t, src, "door@example.com", []string{"ar"}, []string{"door"})
	taken := kopatest.Assignment(t, src, shift, kopatest.Volunteer(t, src, "taken@example.com", []string{"ru"}, []string{"interpreting"}), "accepted")
	past := kopatest.Shift(t, src, ev, "door", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	expired := kopatest.Assignment(t, src, past, fa, "invited")
	other := kopatest.Shift(t, src, ev, "hosting", start, start.Add(time.Hour))
	open := kopatest.Assignment(t, src, other, ar, "invited")
	full := kopatest.Assignment(t, src, shift, fa, "invited")
	org := map[string]string{"Authorization": kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))}
	vol := map[string]string{"Authorization": kopatest.Token(t, ar)}
	url := "/api/shifts/" + shift.Id + "/invite"
	factory := kopatest.CloneFactory(src, hooks.Default)
	jsonH := map[string]string{"Accept": "application/json"}

	scenarios := []tests.ApiScenario{
		{Name: "invite by list", Method: http.MethodPost, URL: url, Headers: org, Body: strings.NewReader(`{"volunteers":["` + ar.Id + `"]}`),
			ExpectedStatus: 202, ExpectedContent: []string{`{"invited":1}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				m := mailsTo(t, app, "ar@example.com")
				if len(m) != 1 || !strings.Contains(m[0].GetString("text"), "/i/") {
					t.Errorf("invitation mails: %d", len(m))
				}
			}},
		{Name: "invite by match: Arabic interpreters only, the already invited skipped", Method: http.MethodPost, URL: url, Headers: org,
			Body: strings.NewReader(`{"match":{"languages":["ar","fa"]}}`), ExpectedStatus: 202, ExpectedContent: []string{`{"invited":1}`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if len(mailsTo(t, app, "door@example.com")) != 0 {
					t.Error("a door volunteer was invited to interpret")
				}
				if len(mailsTo(t, app, "fa@example.com")) != 0 {
					t.Error("fa was invited twice")
				}
			}},
		{Name: "anonymous", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"volunteers":[]}`), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "a volunteer", Method: http.MethodPost, URL: url, Headers: vol, Body: strings.NewReader(`{"volunteers":["` + ar.Id + `"]}`), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "nothing to invite", Method: http.MethodPost, URL: url, Headers: org, Body: strings.NewReader(`{}`), ExpectedStatus: 400, ExpectedContent: []string{`"volunteers":`}},
		{Name: "unknown volunteer", Method: http.MethodPost, URL: url, Headers: org, Body: strings.NewReader(`{"volunteers":["nope"]}`), ExpectedStatus: 400, ExpectedContent: []string{`"validation_unknown_volunteer"`}},
		{Name: "unknown shift", Method: http.MethodPost, URL: "/api/shifts/nope/invite", Headers: org, Body: strings.NewReader(`{"volunteers":[]}`), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "the invitation page", Method: http.MethodGet, URL: "/i/" + open.GetString("token") + "?lang=en", ExpectedStatus: 200,
			ExpectedContent: []string{"Shift invitation", "/i/" + open.GetString("token") + "/accept", "/i/" + open.GetString("token") + "/decline"}},
		{Name: "accept", Method: http.MethodPost, URL: "/i/" + open.GetString("token") + "/accept", Headers: jsonH, ExpectedStatus: 200, ExpectedContent: []string{`"status":"accepted"`}},
		{Name: "accepting a full shift is refused", Method: http.MethodPost, URL: "/i/" + full.GetString("token") + "/accept?lang=en", ExpectedStatus: 409,
			ExpectedContent: []string{"already has everyone it needs"}},
		{Name: "accepting a full shift as JSON", Method: http.MethodPost, URL: "/i/" + full.GetString("token") + "/accept", Headers: jsonH, ExpectedStatus: 409, ExpectedContent: []string{`"code":"full"`}},
		{Name: "an expired invitation", Method: http.MethodPost, URL: "/i/" + expired.GetString("token") + "/accept", Headers: jsonH, ExpectedStatus: 410, ExpectedContent: []string{`"code":"expired"`}},
		{Name: "an unknown token", Method: http.MethodPost, URL: "/i/AAAAAAAAAAAAAAAAAAAAAAAA/accept", Headers: jsonH, ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}},
		{Name: "reused: declining after accepting frees the place", Method: http.MethodPost, URL: "/i/" + taken.GetString("token") + "/decline", Headers: jsonH,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"declined"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				a, err := volunteers.Answer(app, full.GetString("token"), true, time.Now())
				if err != nil || a.GetString("status") != "accepted" {
					t.Errorf("the freed place could not be taken: %v", err)
				}
				if _, err := volunteers.Answer(app, full.GetString("token"), true, time.Now()); err != nil {
					t.Errorf("accepting twice must be harmless: %v", err)
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestInvitationMailAndReminder: the invitation reaches mailpit in the
// volunteer's language with a link that works; the reminder is sent once.
func TestInvitationMailAndReminder(t *testing.T) {
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	start := time.Now().Add(20 * time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Starts: start})
	shift := kopatest.Shift(t, app, ev, "hosting", start, start.Add(2*time.Hour))
	v := kopatest.Volunteer(t, app, "olga@example.com", []string{"ru", "lv"}, []string{"hosting"})
	v.Set("locale", "ru")
	if err := app.Save(v); err != nil {
		t.Fatal(err)
	}
	if n, err := volunteers.Invite(app, shift, []*core.Record{v}); err != nil || n != 1 {
		t.Fatalf("invite: %d %v", n, err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	msgs := mp.WaitFor(t, 1, 10*time.Second)
	m := mp.Message(t, msgs[0].ID)
	if !strings.HasPrefix(m.Subject, "Приглашение: Sarunu klubs") || !strings.Contains(m.Text, "Сможете помочь (ведущий)") {
		t.Errorf("invitation %q %q", m.Subject, m.Text)
	}
	i := strings.Index(m.Text, srv.URL+"/i/")
	if i < 0 {
		t.Fatalf("no link in %q", m.Text)
	}
	link := strings.Fields(m.Text[i:])[0]
	res, err := http.Post(link+"/accept", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	a, _ := app.FindFirstRecordByData("assignments", "volunteer", v.Id)
	if a.GetString("status") != "accepted" {
		t.Fatalf("after following the link: %s", a.GetString("status"))
	}

	for i := 0; i < 2; i++ {
		n, err := volunteers.SendReminders(app, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 - i; n != want {
			t.Errorf("run %d sent %d reminders, want %d", i+1, n, want)
		}
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 2, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	got := mp.Messages(t)
	reminders := 0
	for _, s := range got {
		if strings.HasPrefix(s.Subject, "Напоминание") {
			reminders++
		}
	}
	if reminders != 1 {
		t.Errorf("%d reminders arrived", reminders)
	}
}
