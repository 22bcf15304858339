package volunteers_test

import (
	"io"
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
)

// approvalFixture: an organiser, an approved volunteer with a note, a
// pending one, and a shift with an invitation for each.
type approvalFixture struct {
	app                        *tests.TestApp
	org, vol, pending          *core.Record
	shift, volAsg, pendingAsg  *core.Record
	orgToken, volToken, pToken string
}

func newApprovalFixture(t *testing.T) *approvalFixture {
	app := kopatest.NewApp(t)
	f := &approvalFixture{app: app}
	f.org = kopatest.Organiser(t, app, "org@example.com")
	f.vol = kopatest.Volunteer(t, app, "vol@example.com", []string{"ar"}, []string{"door"})
	f.vol.Set("notes", "references checked; safeguarding training 2026-11-03")
	if err := app.Save(f.vol); err != nil {
		t.Fatal(err)
	}
	f.pending = kopatest.Volunteer(t, app, "new@example.com", []string{"ar"}, []string{"door"}, volunteers.VolunteerPending)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	starts := ev.GetDateTime("starts_at").Time()
	f.shift = kopatest.Shift(t, app, ev, "door", starts, starts.Add(2*time.Hour))
	f.volAsg = kopatest.Assignment(t, app, f.shift, f.vol, "invited")
	f.pendingAsg = kopatest.Assignment(t, app, f.shift, f.pending, "invited")
	f.orgToken, f.volToken, f.pToken = kopatest.Token(t, f.org), kopatest.Token(t, f.vol), kopatest.Token(t, f.pending)
	return f
}

func statusOf(t testing.TB, app core.App, id string) (status, notes string) {
	t.Helper()
	v, err := app.FindRecordById("volunteers", id)
	if err != nil {
		t.Fatal(err)
	}
	return v.GetString("status"), v.GetString("notes")
}

// TestApprovalRecordAPI: organisers read and write a volunteer's status and
// note through PocketBase's record API; a volunteer reads their status but
// never the note, cannot change their status, and cannot write or probe the
// note.
func TestApprovalRecordAPI(t *testing.T) {
	t.Parallel()
	f := newApprovalFixture(t)
	factory := kopatest.CloneFactory(f.app, hooks.Default)
	rec := "/api/collections/volunteers/records"
	org := map[string]string{"Authorization": f.orgToken}
	vol := map[string]string{"Authorization": f.volToken}
	pen := map[string]string{"Authorization": f.pToken}
	note := "references checked"
	unchanged := func(id, status, notes string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			if s, n := statusOf(t, app, id); s != status || n != notes {
				t.Errorf("status %q, notes %q; want %q, %q", s, n, status, notes)
			}
		}
	}
	fullNote := f.vol.GetString("notes")
	scenarios := []tests.ApiScenario{
		{Name: "organiser reads status and note", Method: http.MethodGet, URL: rec + "/" + f.vol.Id, Headers: org,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"approved"`, `"notes":"` + fullNote + `"`}},
		{Name: "organiser lists notes", Method: http.MethodGet, URL: rec, Headers: org,
			ExpectedStatus: 200, ExpectedContent: []string{`"notes":"` + fullNote + `"`, `"status":"pending"`}},
		{Name: "volunteer reads their status, not the note", Method: http.MethodGet, URL: rec + "/" + f.vol.Id, Headers: vol,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"approved"`}, NotExpectedContent: []string{`"notes"`, note}},
		{Name: "volunteer's list holds no note", Method: http.MethodGet, URL: rec, Headers: vol,
			ExpectedStatus: 200, ExpectedContent: []string{f.vol.Id}, NotExpectedContent: []string{`"notes"`, note}},
		{Name: "volunteer cannot probe the note with a filter", Method: http.MethodGet, URL: rec + "?filter=" + "notes~'references'", Headers: vol,
			ExpectedStatus: 400, NotExpectedContent: []string{f.vol.Id, note}},
		{Name: "volunteer cannot sort by the note", Method: http.MethodGet, URL: rec + "?sort=notes", Headers: vol,
			ExpectedStatus: 400, NotExpectedContent: []string{note}},
		{Name: "pending volunteer cannot approve themselves", Method: http.MethodPatch, URL: rec + "/" + f.pending.Id, Headers: pen,
			Body: body(`{"status":"approved"}`), ExpectedStatus: 403, ExpectedContent: []string{`"code":"status_organisers_only"`},
			AfterTestFunc: unchanged(f.pending.Id, "pending", "")},
		{Name: "approved volunteer cannot pause themselves", Method: http.MethodPatch, URL: rec + "/" + f.vol.Id, Headers: vol,
			Body: body(`{"status":"paused","name":"Vol"}`), ExpectedStatus: 403, ExpectedContent: []string{`"code":"status_organisers_only"`},
			AfterTestFunc: unchanged(f.vol.Id, "approved", fullNote)},
		{Name: "volunteer may send their unchanged status back", Method: http.MethodPatch, URL: rec + "/" + f.vol.Id, Headers: vol,
			Body: body(`{"status":"approved","languages":["ar","fa"]}`), ExpectedStatus: 200, ExpectedContent: []string{`"languages":["ar","fa"]`},
			NotExpectedContent: []string{`"notes"`}, AfterTestFunc: unchanged(f.vol.Id, "approved", fullNote)},
		{Name: "volunteer cannot write the note", Method: http.MethodPatch, URL: rec + "/" + f.vol.Id, Headers: vol,
			Body: body(`{"notes":"all fine, trust me"}`), ExpectedStatus: 200, NotExpectedContent: []string{`"notes"`, "trust me"},
			AfterTestFunc: unchanged(f.vol.Id, "approved", fullNote)},
		{Name: "organiser approves through the record API", Method: http.MethodPatch, URL: rec + "/" + f.pending.Id, Headers: org,
			Body: body(`{"status":"approved"}`), ExpectedStatus: 200, ExpectedContent: []string{`"status":"approved"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				unchanged(f.pending.Id, "approved", "")(t, app, nil)
				if rows := outboxRows(t, app, "volunteer_approved"); len(rows) != 1 || rows[0].GetString("to") != "new@example.com" {
					t.Errorf("approval mails queued: %d", len(rows))
				}
			}},
		{Name: "organiser writes a note", Method: http.MethodPatch, URL: rec + "/" + f.pending.Id, Headers: org,
			Body: body(`{"notes":"met in person"}`), ExpectedStatus: 200, ExpectedContent: []string{`"notes":"met in person"`},
			AfterTestFunc: unchanged(f.pending.Id, "pending", "met in person")},
		{Name: "a note that is not text is refused", Method: http.MethodPatch, URL: rec + "/" + f.pending.Id, Headers: org,
			Body: body(`{"notes":{"x":1}}`), ExpectedStatus: 400, ExpectedContent: []string{`"notes":{"code":"validation_invalid_type"`},
			AfterTestFunc: unchanged(f.pending.Id, "pending", "")},
		{Name: "an over-long note is refused", Method: http.MethodPatch, URL: rec + "/" + f.pending.Id, Headers: org,
			Body: body(`{"notes":"` + strings.Repeat("x", 5001) + `"}`), ExpectedStatus: 400, ExpectedContent: []string{`"notes":{"code":"validation_max_text_constraint"`},
			AfterTestFunc: unchanged(f.pending.Id, "pending", "")},
		{Name: "an unknown status is refused", Method: http.MethodPatch, URL: rec + "/" + f.pending.Id, Headers: org,
			Body: body(`{"status":"trusted"}`), ExpectedStatus: 400, ExpectedContent: []string{`"status":{"code":"validation_invalid_value"`},
			AfterTestFunc: unchanged(f.pending.Id, "pending", "")},
		{Name: "a volunteer an organiser creates is pending", Method: http.MethodPost, URL: rec, Headers: org,
			Body:           body(`{"email":"made@example.com","password":"12345678901","passwordConfirm":"12345678901","name":"Made","notes":"from the fair"}`),
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"pending"`, `"notes":"from the fair"`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestOnlyApprovedVolunteersWork: a pending volunteer is not matched, an
// explicit invitation of one is refused and invites nobody, and their
// acceptance is refused, by API and by page; the approved one accepts.
func TestOnlyApprovedVolunteersWork(t *testing.T) {
	t.Parallel()
	f := newApprovalFixture(t)
	factory := kopatest.CloneFactory(f.app, hooks.Default)
	org := map[string]string{"Authorization": f.orgToken}
	invite := "/api/shifts/" + f.shift.Id + "/invite"
	json := map[string]string{"Accept": "application/json"}
	assignmentIs := func(id, want string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			a, err := app.FindRecordById("assignments", id)
			if err != nil || a.GetString("status") != want {
				t.Errorf("assignment %s: %v %v, want %s", id, a, err, want)
			}
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "naming a pending volunteer invites nobody", Method: http.MethodPost, URL: invite, Headers: org,
			Body: body(`{"volunteers":["` + f.pending.Id + `"]}`), ExpectedStatus: 409, ExpectedContent: []string{`"code":"not_approved"`}},
		{Name: "pending volunteer's acceptance is refused (JSON)", Method: http.MethodPost, URL: "/i/" + f.pendingAsg.GetString("token") + "/accept", Headers: json,
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"not_approved"`}, AfterTestFunc: assignmentIs(f.pendingAsg.Id, "invited")},
		{Name: "pending volunteer's acceptance is refused (page)", Method: http.MethodPost, URL: "/i/" + f.pendingAsg.GetString("token") + "/accept?lang=en",
			ExpectedStatus: 403, ExpectedContent: []string{"Only approved volunteers can take shifts"}, AfterTestFunc: assignmentIs(f.pendingAsg.Id, "invited")},
		{Name: "pending volunteer may still decline", Method: http.MethodPost, URL: "/i/" + f.pendingAsg.GetString("token") + "/decline", Headers: json,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"declined"`}},
		{Name: "approved volunteer accepts", Method: http.MethodPost, URL: "/i/" + f.volAsg.GetString("token") + "/accept", Headers: json,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"accepted"`}, AfterTestFunc: assignmentIs(f.volAsg.Id, "accepted")},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}

	// Matching: a second shift; only the approved volunteer is invited.
	app := kopatest.NewApp(t, hooks.Default)
	approved := kopatest.Volunteer(t, app, "a@example.com", []string{"ar"}, []string{"door"})
	kopatest.Volunteer(t, app, "p@example.com", []string{"ar"}, []string{"door"}, volunteers.VolunteerPending)
	kopatest.Volunteer(t, app, "z@example.com", []string{"ar"}, []string{"door"}, volunteers.VolunteerPaused)
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	starts := ev.GetDateTime("starts_at").Time()
	shift := kopatest.Shift(t, app, ev, "door", starts, starts.Add(time.Hour))
	n, err := volunteers.Invite(app, shift.Id, nil, &volunteers.Match{Languages: []string{"ar"}}, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("match invited %d, %v; want only the approved one", n, err)
	}
	if got := assignments(t, app, shift.Id); len(got) != 1 || got[approved.Id] != "invited" {
		t.Errorf("assignments %v", got)
	}
}

// TestPausedVolunteerLosesInvitationMail: an invitation queued while a
// volunteer was approved is not sent once they are paused.
func TestPausedVolunteerLosesInvitationMail(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	v := kopatest.Volunteer(t, app, "a@example.com", []string{"ar"}, []string{"door"})
	ev := kopatest.Event(t, app, kopatest.EventOpts{})
	starts := ev.GetDateTime("starts_at").Time()
	shift := kopatest.Shift(t, app, ev, "door", starts, starts.Add(time.Hour))
	if n, err := volunteers.Invite(app, shift.Id, []string{v.Id}, nil, time.Now()); err != nil || n != 1 {
		t.Fatalf("invited %d, %v", n, err)
	}
	v.Set("status", volunteers.VolunteerPaused)
	if err := app.Save(v); err != nil {
		t.Fatal(err)
	}
	rows := outboxRows(t, app, "volunteer_invite")
	if len(rows) != 1 {
		t.Fatalf("%d invitation rows", len(rows))
	}
	if _, err := outbox.Content(app, rows[0]); err != outbox.ErrObsolete {
		t.Errorf("the invitation of a paused volunteer: %v, want obsolete", err)
	}
}

// TestApprovalMailPerLocale: approving through the record API mails the
// volunteer in their language, pausing too, through the real outbox and
// SMTP; the portal then shows the status and what it means.
func TestApprovalMailPerLocale(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	org := kopatest.Organiser(t, app, "org@example.com")
	want := map[string]struct{ approved, paused, portal string }{
		"lv": {"Tu esi apstiprināts kā Kopā brīvprātīgais", "Tava brīvprātīgā darbība Kopā ir apturēta", "gaida apstiprinājumu"},
		"en": {"You are approved as a Kopā volunteer", "Your volunteering with Kopā is paused", "waiting for approval"},
		"ru": {"Вы одобрены как волонтёр Kopā", "Ваше волонтёрство в Kopā приостановлено", "ожидает одобрения"},
	}
	vols := map[string]*core.Record{}
	for lang := range want {
		v := kopatest.Volunteer(t, app, lang+"@example.com", []string{"ar"}, []string{"door"}, volunteers.VolunteerPending)
		v.Set("locale", lang)
		if err := app.Save(v); err != nil {
			t.Fatal(err)
		}
		vols[lang] = v
	}
	patch := func(v *core.Record, status string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPatch, base+"/api/collections/volunteers/records/"+v.Id, strings.NewReader(`{"status":"`+status+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", kopatest.Token(t, org))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("PATCH status %s: %d", status, res.StatusCode)
		}
	}
	for lang, v := range want {
		// The portal of a pending volunteer says what pending means.
		page := portalAs(t, base, vols[lang], lang)
		if !strings.Contains(page, v.portal) {
			t.Errorf("%s portal lacks %q", lang, v.portal)
		}
		patch(vols[lang], volunteers.VolunteerApproved)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 3, 10*time.Second)
	// Paused before it is sent, an approval mail is not sent at all (it
	// would no longer be true): so pause once the approvals have gone.
	for lang := range want {
		patch(vols[lang], volunteers.VolunteerPaused)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 6, 10*time.Second)
	for lang, w := range want {
		var subjects []string
		for _, s := range mp.To(t, lang+"@example.com") {
			m := mp.Message(t, s.ID)
			subjects = append(subjects, m.Subject)
			if !strings.Contains(m.Text, base+"/volunteer/me?lang="+lang) {
				t.Errorf("%s %q lacks the portal link:\n%s", lang, m.Subject, m.Text)
			}
		}
		if len(subjects) != 2 || !contains(subjects, w.approved) || !contains(subjects, w.paused) {
			t.Errorf("%s subjects %q, want %q and %q", lang, subjects, w.approved, w.paused)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// portalAs is /volunteer/me as volunteer v sees it, in lang.
func portalAs(t testing.TB, base string, v *core.Record, lang string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/volunteer/me?lang="+lang, nil)
	for k, val := range session(kopatest.Token(t, v)) {
		req.Header.Set(k, val)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("portal %d", res.StatusCode)
	}
	return string(b)
}

// TestStatusSchemaAgrees: volunteers.status holds exactly the statuses this
// package names, in order, is required, and the note is hidden.
func TestStatusSchemaAgrees(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	col, err := app.FindCollectionByNameOrId("volunteers")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := col.Fields.GetByName("status").(*core.SelectField)
	want := []string{volunteers.VolunteerPending, volunteers.VolunteerApproved, volunteers.VolunteerPaused}
	if !ok || !f.Required || strings.Join(f.Values, ",") != strings.Join(want, ",") {
		t.Errorf("volunteers.status %+v, want required %v", f, want)
	}
	if n := col.Fields.GetByName("notes"); n == nil || !n.GetHidden() {
		t.Errorf("volunteers.notes %+v must be a hidden field", n)
	}
}
