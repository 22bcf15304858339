package volunteers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
)

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": token}
}

// acceptedOn is how many places of a shift are taken.
func acceptedOn(t testing.TB, app core.App, shiftID string) int {
	t.Helper()
	n := 0
	for _, st := range assignments(t, app, shiftID) {
		if st == "accepted" {
			n++
		}
	}
	return n
}

// TestOpenShifts: an approved volunteer lists the future shifts with free
// places whose role is one of their skills and takes one; a full, past,
// overlapping or wrong-skill shift, a pending volunteer and an organiser
// are refused with a clear 4xx, and nothing is stored.
func TestOpenShifts(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	org := kopatest.Organiser(t, src, "org@example.com")
	me := kopatest.Volunteer(t, src, "me@example.com", []string{"en"}, []string{"door", "hosting"})
	other := kopatest.Volunteer(t, src, "other@example.com", []string{"en"}, []string{"door"})
	third := kopatest.Volunteer(t, src, "third@example.com", []string{"en"}, []string{"door"})
	pending := kopatest.Volunteer(t, src, "pending@example.com", []string{"en"}, []string{"door"}, "pending")
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs", Starts: starts})
	door := kopatest.Shift(t, src, ev, "door", starts.Add(-30*time.Minute), starts.Add(time.Hour))
	held := kopatest.Shift(t, src, ev, "hosting", starts.Add(3*time.Hour), starts.Add(5*time.Hour))
	kopatest.Assignment(t, src, held, me, "accepted")
	clash := kopatest.Shift(t, src, ev, "door", starts.Add(4*time.Hour), starts.Add(6*time.Hour))
	full := kopatest.Shift(t, src, ev, "door", starts.Add(7*time.Hour), starts.Add(8*time.Hour))
	kopatest.Assignment(t, src, full, other, "accepted")
	kopatest.Assignment(t, src, full, third, "accepted")
	childcare := kopatest.Shift(t, src, ev, "childcare", starts, starts.Add(time.Hour))
	withdrawn := kopatest.Shift(t, src, ev, "door", starts.Add(9*time.Hour), starts.Add(10*time.Hour))
	kopatest.Assignment(t, src, withdrawn, me, "cancelled")
	invited := kopatest.Shift(t, src, ev, "door", starts.Add(11*time.Hour), starts.Add(12*time.Hour))
	invitation := kopatest.Assignment(t, src, invited, me, "invited")
	draft := kopatest.Event(t, src, kopatest.EventOpts{Title: "Melnraksts", Starts: starts, Status: "draft"})
	draftShift := kopatest.Shift(t, src, draft, "door", starts.Add(20*time.Hour), starts.Add(21*time.Hour))
	pastEv := kopatest.Event(t, src, kopatest.EventOpts{Title: "Pagājis", Starts: time.Now().Add(-3 * time.Hour)})
	past := kopatest.Shift(t, src, pastEv, "door", time.Now().Add(-3*time.Hour), time.Now().Add(-2*time.Hour))
	clashToken := overlapInvite(t, src, clash, me)
	factory := kopatest.CloneFactory(src, hooks.Default)
	mine := bearer(kopatest.Token(t, me))
	total := count(t, src, "assignments")

	nothingStored := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		if n := count(t, app, "assignments"); n != total {
			t.Errorf("%d assignments, want %d", n, total)
		}
		if n := len(outboxRows(t, app, "volunteer_accepted")); n != 0 {
			t.Errorf("%d confirmations queued", n)
		}
	}
	scenarios := []tests.ApiScenario{
		{Name: "anonymous", Method: http.MethodGet, URL: "/api/shifts/open", ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{Name: "an organiser is no volunteer", Method: http.MethodGet, URL: "/api/shifts/open", Headers: bearer(kopatest.Token(t, org)),
			ExpectedStatus: 403, ExpectedContent: []string{`"status":403`}},
		{Name: "a pending volunteer sees no shifts", Method: http.MethodGet, URL: "/api/shifts/open", Headers: bearer(kopatest.Token(t, pending)),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"not_approved"`}},
		{Name: "the open shifts of an approved volunteer", Method: http.MethodGet, URL: "/api/shifts/open", Headers: mine, ExpectedStatus: 200,
			ExpectedContent:    []string{`"id":"` + door.Id + `"`, `"id":"` + invited.Id + `"`, `"role":"door"`, `"needed":2`, `"filled":0`, `"event":"` + ev.Id + `"`},
			NotExpectedContent: []string{held.Id, clash.Id, full.Id, childcare.Id, withdrawn.Id, draftShift.Id, past.Id},
			AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
				var list []map[string]any
				if err := json.NewDecoder(res.Body).Decode(&list); err != nil || len(list) != 2 {
					t.Errorf("open shifts %v (%v)", list, err)
				}
			}},
		{Name: "taking a shift", Method: http.MethodPost, URL: "/api/shifts/" + door.Id + "/take", Headers: mine, ExpectedStatus: 201,
			ExpectedContent: []string{`"status":"accepted"`, `"shift":"` + door.Id + `"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if st := assignments(t, app, door.Id)[me.Id]; st != "accepted" {
					t.Errorf("status %q", st)
				}
				if n := len(outboxRows(t, app, "volunteer_accepted")); n != 1 {
					t.Errorf("%d confirmations queued", n)
				}
			}},
		{Name: "taking a shift one is invited to accepts the invitation", Method: http.MethodPost, URL: "/api/shifts/" + invited.Id + "/take", Headers: mine, ExpectedStatus: 201,
			ExpectedContent: []string{`"assignment":"` + invitation.Id + `"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				a, _ := app.FindRecordById("assignments", invitation.Id)
				if a.GetString("status") != "accepted" || len(assignments(t, app, invited.Id)) != 1 {
					t.Errorf("the invitation is %q", a.GetString("status"))
				}
			}},
		{Name: "taking a shift one holds changes nothing", Method: http.MethodPost, URL: "/api/shifts/" + held.Id + "/take", Headers: mine, ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"accepted"`}, AfterTestFunc: nothingStored},
		{Name: "a full shift", Method: http.MethodPost, URL: "/api/shifts/" + full.Id + "/take", Headers: mine, ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"full"`}, AfterTestFunc: nothingStored},
		{Name: "an overlapping shift", Method: http.MethodPost, URL: "/api/shifts/" + clash.Id + "/take", Headers: mine, ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"overlap"`}, AfterTestFunc: nothingStored},
		{Name: "a past shift", Method: http.MethodPost, URL: "/api/shifts/" + past.Id + "/take", Headers: mine, ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"closed"`}, AfterTestFunc: nothingStored},
		{Name: "a shift of another skill", Method: http.MethodPost, URL: "/api/shifts/" + childcare.Id + "/take", Headers: mine, ExpectedStatus: 403,
			ExpectedContent: []string{`"code":"wrong_skill"`}, AfterTestFunc: nothingStored},
		{Name: "a shift the organisers withdrew one from", Method: http.MethodPost, URL: "/api/shifts/" + withdrawn.Id + "/take", Headers: mine, ExpectedStatus: 409,
			ExpectedContent: []string{`"code":"withdrawn"`}, AfterTestFunc: nothingStored},
		{Name: "a draft event's shift is not found", Method: http.MethodPost, URL: "/api/shifts/" + draftShift.Id + "/take", Headers: mine, ExpectedStatus: 404,
			ExpectedContent: []string{`"status":404`}, AfterTestFunc: nothingStored},
		{Name: "an unknown shift", Method: http.MethodPost, URL: "/api/shifts/nosuchshift/take", Headers: mine, ExpectedStatus: 404,
			ExpectedContent: []string{`"status":404`}, AfterTestFunc: nothingStored},
		{Name: "a pending volunteer", Method: http.MethodPost, URL: "/api/shifts/" + door.Id + "/take", Headers: bearer(kopatest.Token(t, pending)), ExpectedStatus: 403,
			ExpectedContent: []string{`"code":"not_approved"`}, AfterTestFunc: nothingStored},
		{Name: "an organiser takes no shift", Method: http.MethodPost, URL: "/api/shifts/" + door.Id + "/take", Headers: bearer(kopatest.Token(t, org)), ExpectedStatus: 403,
			ExpectedContent: []string{`"status":403`}, AfterTestFunc: nothingStored},
		{Name: "anonymous takes no shift", Method: http.MethodPost, URL: "/api/shifts/" + door.Id + "/take", ExpectedStatus: 401,
			ExpectedContent: []string{`"status":401`}, AfterTestFunc: nothingStored},
		{Name: "accepting an invitation that overlaps a held shift", Method: http.MethodPost, URL: "/i/" + clashToken + "/accept",
			Headers: map[string]string{"Accept": "application/json"}, ExpectedStatus: 409, ExpectedContent: []string{`"code":"overlap"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if st := assignments(t, app, clash.Id)[me.Id]; st != "invited" {
					t.Errorf("status %q", st)
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// overlapInvite invites v to shift and returns the invitation's token.
func overlapInvite(t testing.TB, app core.App, shift, v *core.Record) string {
	t.Helper()
	a := kopatest.Assignment(t, app, shift, v, "invited")
	return a.GetString("token")
}

// TestInviteSkipsOverlap: inviting never invites a volunteer to a shift
// that overlaps one they hold, by name or by match.
func TestInviteSkipsOverlap(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	busy := kopatest.Volunteer(t, app, "busy@example.com", []string{"en"}, []string{"door"})
	free := kopatest.Volunteer(t, app, "free@example.com", []string{"en"}, []string{"door"})
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: starts})
	held := kopatest.Shift(t, app, ev, "door", starts, starts.Add(2*time.Hour))
	kopatest.Assignment(t, app, held, busy, "accepted")
	next := kopatest.Shift(t, app, ev, "door", starts.Add(time.Hour), starts.Add(3*time.Hour))
	n, err := volunteers.Invite(app, next.Id, []string{busy.Id, free.Id}, nil, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("invited %d (%v), want only the free volunteer", n, err)
	}
	later := kopatest.Shift(t, app, ev, "door", starts.Add(90*time.Minute), starts.Add(3*time.Hour))
	n, err = volunteers.Invite(app, later.Id, nil, &volunteers.Match{}, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("matched %d (%v), want only the free volunteer", n, err)
	}
	if got := assignments(t, app, later.Id); got[busy.Id] != "" || got[free.Id] != "invited" {
		t.Fatalf("assignments %v", got)
	}
}

// TestTakeRace: ten approved volunteers take a two-place shift at once;
// exactly two get it, the others hear "full".
func TestTakeRace(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	srv := kopatest.Serve(t, app)
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: starts})
	shift := kopatest.Shift(t, app, ev, "door", starts, starts.Add(2*time.Hour))
	tokens := make([]string, 10)
	for i := range tokens {
		v := kopatest.Volunteer(t, app, "v"+string(rune('a'+i))+"@example.com", []string{"en"}, []string{"door"})
		tokens[i] = kopatest.Token(t, v)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	codes := make(chan string, len(tokens))
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/shifts/"+shift.Id+"/take", nil)
			req.Header.Set("Authorization", tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- err.Error()
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusConflict && strings.Contains(string(body), `"code":"full"`) {
				codes <- "full"
				return
			}
			codes <- http.StatusText(res.StatusCode)
		}()
	}
	close(start)
	wg.Wait()
	close(codes)
	got := map[string]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusText(http.StatusCreated)] != 2 || got["full"] != 8 {
		t.Fatalf("answers %v, want 2 Created and 8 full", got)
	}
	if n := acceptedOn(t, app, shift.Id); n != 2 {
		t.Fatalf("%d places taken of 2", n)
	}
}

// TestPortalOpenShifts: the portal lists open shifts with a "take" form,
// takes one, refuses an overlapping one, and lets a volunteer withdraw
// until a day before the shift; later it asks them to contact the
// organisers and changes nothing.
func TestPortalOpenShifts(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	me := kopatest.Volunteer(t, src, "me@example.com", []string{"en"}, []string{"door"})
	pending := kopatest.Volunteer(t, src, "pending@example.com", []string{"en"}, []string{"door"}, "pending")
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Sarunu klubs", Starts: starts})
	open := kopatest.Shift(t, src, ev, "door", starts, starts.Add(time.Hour))
	clash := kopatest.Shift(t, src, ev, "door", starts.Add(30*time.Minute), starts.Add(2*time.Hour))
	soonEv := kopatest.Event(t, src, kopatest.EventOpts{Title: "Drīz", Starts: time.Now().Add(5 * time.Hour)})
	soon := kopatest.Shift(t, src, soonEv, "door", time.Now().Add(5*time.Hour), time.Now().Add(7*time.Hour))
	soonPlace := kopatest.Assignment(t, src, soon, me, "accepted")
	factory := kopatest.CloneFactory(src, hooks.Default)
	mine := session(kopatest.Token(t, me))

	scenarios := []tests.ApiScenario{
		{Name: "the portal lists open shifts with a take button", Method: http.MethodGet, URL: "/volunteer/me?lang=en", Headers: mine, ExpectedStatus: 200,
			ExpectedContent: []string{"Open shifts", `action="/volunteer/me/shifts/` + open.Id + `/take"`, `action="/volunteer/me/shifts/` + clash.Id + `/take"`,
				"less than a day away"},
			NotExpectedContent: []string{`action="/volunteer/me/assignments/` + soonPlace.Id + `/decline"`}},
		{Name: "a pending volunteer sees no open shifts", Method: http.MethodGet, URL: "/volunteer/me?lang=en", Headers: session(kopatest.Token(t, pending)), ExpectedStatus: 200,
			NotExpectedContent: []string{"/take"}},
		{Name: "taking needs the CSRF token", Method: http.MethodPost, URL: "/volunteer/me/shifts/" + open.Id + "/take",
			Headers: map[string]string{"Cookie": "kopa_session=" + kopatest.Token(t, me), "Content-Type": "application/x-www-form-urlencoded"},
			Body:    strings.NewReader(""), ExpectedStatus: 403, ExpectedContent: []string{"<h1>"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := acceptedOn(t, app, open.Id); n != 0 {
					t.Errorf("%d places taken", n)
				}
			}},
		{Name: "taking in the portal", Method: http.MethodPost, URL: "/volunteer/me/shifts/" + open.Id + "/take", Headers: mine, Body: form(url.Values{}),
			ExpectedStatus: 303,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if assignments(t, app, open.Id)[me.Id] != "accepted" || res.Header.Get("Location") != "/volunteer/me?done=taken" {
					t.Errorf("not taken; location %q", res.Header.Get("Location"))
				}
			}},
		{Name: "a pending volunteer cannot take", Method: http.MethodPost, URL: "/volunteer/me/shifts/" + open.Id + "/take?lang=en", Headers: session(kopatest.Token(t, pending)),
			Body: form(url.Values{}), ExpectedStatus: 403, ExpectedContent: []string{"Only approved volunteers can take shifts"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n := acceptedOn(t, app, open.Id); n != 0 {
					t.Errorf("%d places taken", n)
				}
			}},
		{Name: "withdrawing less than a day before is refused", Method: http.MethodPost, URL: "/volunteer/me/assignments/" + soonPlace.Id + "/decline?lang=en", Headers: mine,
			Body: form(url.Values{}), ExpectedStatus: 409, ExpectedContent: []string{"please contact the organisers"},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if st := assignments(t, app, soon.Id)[me.Id]; st != "accepted" {
					t.Errorf("status %q", st)
				}
			}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestPortalTakeThenOverlapAndWithdraw runs the portal's steps in order on
// one app: take, an overlapping take refused, withdraw in time.
func TestPortalTakeThenOverlapAndWithdraw(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	srv := kopatest.Serve(t, app)
	me := kopatest.Volunteer(t, app, "me@example.com", []string{"en"}, []string{"door"})
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: starts})
	open := kopatest.Shift(t, app, ev, "door", starts, starts.Add(time.Hour))
	clash := kopatest.Shift(t, app, ev, "door", starts.Add(30*time.Minute), starts.Add(2*time.Hour))
	if _, _, err := volunteers.Take(app, me.Id, open.Id, time.Now()); err != nil {
		t.Fatal(err)
	}
	post := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path+"?lang=en", form(url.Values{}))
		for k, v := range session(kopatest.Token(t, me)) {
			req.Header.Set(k, v)
		}
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := post("/volunteer/me/shifts/" + clash.Id + "/take"); code != 409 || !strings.Contains(body, "overlaps a shift you already hold") {
		t.Fatalf("overlapping take: %d", code)
	}
	a, err := app.FindFirstRecordByData("assignments", "shift", open.Id)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := post("/volunteer/me/assignments/" + a.Id + "/decline"); code != 303 {
		t.Fatalf("withdrawing three days before: %d", code)
	}
	if st := assignments(t, app, open.Id)[me.Id]; st != "declined" {
		t.Fatalf("status %q", st)
	}
	if st := assignments(t, app, clash.Id)[me.Id]; st != "" {
		t.Fatalf("the overlapping shift: %q", st)
	}
}
