package series_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/series"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestSkipMovesTheWaitingList: skipping a session frees the seat, which
// goes to the first waiting at once, and marks the seat skipped; a skip of
// a session of another series, or of one that has begun, is refused and
// changes nothing; skipping twice is harmless.
func TestSkipMovesTheWaitingList(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, sessions := newSeries(t, app, seriesOpts{Weeks: 2, Capacity: 1, Waitlist: true})
	other, _ := newSeries(t, app, seriesOpts{Weeks: 1})
	res := join(t, app, s.Id, "amina@example.com")
	waiting := kopatest.Registration(t, app, sessions[0], "Olek", "olek@example.com", domain.RegistrationWaitlisted)
	code := res.Standing.GetString("ticket")
	srv := kopatest.Serve(t, app)
	post := func(path string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, nil)
		req.Header.Set("Accept", "application/json")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	otherSessions, _ := series.Sessions(app, other.Id)
	if c := post("/t/" + code + "/skip/" + otherSessions[0].Id); c != http.StatusNotFound {
		t.Errorf("skip of another series' session: %d", c)
	}
	if c := post("/t/" + code + "/skip/nosuchevent0000"); c != http.StatusNotFound {
		t.Errorf("skip of an unknown session: %d", c)
	}
	// A session that has begun.
	begun := sessions[1]
	begun.Set("starts_at", domain.DateTime(time.Now().Add(-time.Minute)))
	if err := app.SaveNoValidate(begun); err != nil {
		t.Fatal(err)
	}
	if c := post("/t/" + code + "/skip/" + begun.Id); c != http.StatusConflict {
		t.Errorf("skip of a session that has begun: %d", c)
	}
	if r := seatOf(t, app, res.Standing.Id, begun.Id); domain.RegistrationStatusOf(r) != domain.RegistrationConfirmed || domain.Skipped(r) {
		t.Errorf("a refused skip changed the seat: %v", r.FieldsData())
	}
	for range 2 {
		if c := post("/t/" + code + "/skip/" + sessions[0].Id); c != http.StatusOK {
			t.Fatalf("skip: %d", c)
		}
	}
	r := seatOf(t, app, res.Standing.Id, sessions[0].Id)
	if domain.RegistrationStatusOf(r) != domain.RegistrationCancelled || !domain.Skipped(r) {
		t.Errorf("skipped seat %v", r.FieldsData())
	}
	if w, _ := app.FindRecordById(domain.Registrations, waiting.Id); domain.RegistrationStatusOf(w) != domain.RegistrationConfirmed {
		t.Errorf("the first waiting is %s, want confirmed", w.GetString("status"))
	}
	// The ticket page shows the session skipped, with no skip button.
	page := get(t, srv.URL+"/t/"+code+"?lang=en")
	if !strings.Contains(page, "skipped") || strings.Contains(page, "/skip/"+sessions[0].Id) {
		t.Errorf("ticket page after the skip:\n%s", page)
	}
}

func get(t testing.TB, u string) string {
	t.Helper()
	r, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if r.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, r.StatusCode)
	}
	return b.String()
}

// TestStopComing: ending the standing place frees every future seat (the
// waiting lists move) and it takes no new ones; twice is harmless.
func TestStopComing(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, sessions := newSeries(t, app, seriesOpts{Weeks: 3, Capacity: 1, Waitlist: true})
	res := join(t, app, s.Id, "amina@example.com")
	waiting := kopatest.Registration(t, app, sessions[2], "Olek", "olek@example.com", domain.RegistrationWaitlisted)
	srv := kopatest.Serve(t, app)
	code := res.Standing.GetString("ticket")
	for range 2 {
		r, err := http.PostForm(srv.URL+"/t/"+code+"/cancel", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 { // followed to the ticket page
			t.Fatalf("stop: %d", r.StatusCode)
		}
	}
	st, _ := app.FindRecordById(domain.Standing, res.Standing.Id)
	if domain.StandingStatusOf(st) != domain.StandingEnded || st.GetDateTime("ended_at").IsZero() {
		t.Errorf("standing place %v", st.FieldsData())
	}
	for i, ev := range sessions {
		if r := seatOf(t, app, st.Id, ev.Id); domain.RegistrationStatusOf(r) != domain.RegistrationCancelled {
			t.Errorf("session %d: seat %s after stopping", i, r.GetString("status"))
		}
	}
	if w, _ := app.FindRecordById(domain.Registrations, waiting.Id); domain.RegistrationStatusOf(w) != domain.RegistrationConfirmed {
		t.Errorf("the first waiting is %s, want confirmed", w.GetString("status"))
	}
	// A session published later gives an ended place no seat.
	s.Set("weeks", 4)
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
	if _, err := series.MakeSessions(app, s, domain.EventPublished); err != nil {
		t.Fatal(err)
	}
	all, _ := series.Sessions(app, s.Id)
	if len(all) != 4 || seatOf(t, app, st.Id, all[3].Id) != nil {
		t.Errorf("%d sessions; an ended place got a seat in the new one", len(all))
	}
}

// TestSessionsPublishedLater: a session created published, or published
// later, gives every active standing place a seat; a paused one gets none,
// and publishing again gives no second seat.
func TestSessionsPublishedLater(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, _ := newSeries(t, app, seriesOpts{Weeks: 1, Capacity: 2, Waitlist: true})
	var places []*core.Record
	for _, who := range []string{"a@example.com", "b@example.com", "c@example.com", "paused@example.com"} {
		places = append(places, join(t, app, s.Id, who).Standing)
	}
	paused := places[3]
	paused.Set("status", domain.StandingPaused)
	if err := app.Save(paused); err != nil {
		t.Fatal(err)
	}
	s.Set("weeks", 3)
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
	if _, err := series.MakeSessions(app, s, domain.EventDraft); err != nil {
		t.Fatal(err)
	}
	all, _ := series.Sessions(app, s.Id)
	if len(all) != 3 {
		t.Fatalf("%d sessions after extending to 3 weeks", len(all))
	}
	if seatOf(t, app, places[0].Id, all[1].Id) != nil {
		t.Fatal("a draft session gave seats")
	}
	for range 2 {
		all[1].Set("status", domain.EventPublished)
		if err := app.Save(all[1]); err != nil {
			t.Fatal(err)
		}
	}
	want := []domain.RegistrationStatus{domain.RegistrationConfirmed, domain.RegistrationConfirmed, domain.RegistrationWaitlisted}
	for i, st := range places[:3] {
		r := seatOf(t, app, st.Id, all[1].Id)
		if r == nil || domain.RegistrationStatusOf(r) != want[i] {
			t.Errorf("place %d: seat %v, want %s", i, r, want[i])
		}
	}
	if seatOf(t, app, paused.Id, all[1].Id) != nil {
		t.Error("a paused place got a seat")
	}
	if n, _ := app.CountRecords(domain.Registrations); n != 4+3 { // 4 places in the first session, 3 in the second
		t.Errorf("%d registrations", n)
	}
	// Sessions made published (the console's extension) seat them too.
	s.Set("weeks", 4)
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
	if _, err := series.MakeSessions(app, s, domain.EventPublished); err != nil {
		t.Fatal(err)
	}
	all, _ = series.Sessions(app, s.Id)
	if len(all) != 4 || seatOf(t, app, places[0].Id, all[3].Id) == nil || seatOf(t, app, paused.Id, all[3].Id) != nil {
		t.Errorf("%d sessions; a new published session did not seat the active places (and only them)", len(all))
	}
}

// TestStandingTicketAtTheDoor: a standing ticket checks in its seat at any
// session of its series, is refused at other events, and is in each
// session's offline list.
func TestStandingTicketAtTheDoor(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, sessions := newSeries(t, app, seriesOpts{Weeks: 2})
	res := join(t, app, s.Id, "amina@example.com")
	code := res.Standing.GetString("ticket")
	elsewhere := kopatest.Event(t, app, kopatest.EventOpts{})
	at := sessions[1].GetDateTime("starts_at").Time().Add(-10 * time.Minute)
	for _, c := range []struct {
		event, code, want string
	}{
		{sessions[1].Id, code, checkin.OK},
		{sessions[1].Id, code, checkin.Already},
		{elsewhere.Id, code, checkin.WrongEvent},
	} {
		got, err := checkin.CheckIn(app, c.event, c.code, domain.CheckinQR, at)
		if err != nil || got.Result != c.want {
			t.Errorf("%s at %s: %+v %v, want %s", c.code, c.event, got, err, c.want)
		}
	}
	seat := seatOf(t, app, res.Standing.Id, sessions[1].Id)
	if n, _ := app.CountRecords(domain.Checkins); n != 1 {
		t.Errorf("%d check-ins", n)
	} else if c, _ := app.FindFirstRecordByData(domain.Checkins, "registration", seat.Id); c == nil {
		t.Error("the check-in is not the seat's")
	}

	srv := kopatest.Serve(t, app)
	org := kopatest.Organiser(t, app, "org@example.com")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/events/"+sessions[0].Id+"/tickets", nil)
	req.Header.Set("Authorization", kopatest.Token(t, org))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	// Through the API, the QR code's URL: at the first session.
	// (The session begins soon: the door checks people in around it.)
	sessions[0].Set("starts_at", domain.DateTime(time.Now().Add(30*time.Minute)))
	sessions[0].Set("ends_at", domain.DateTime(time.Now().Add(2*time.Hour)))
	if err := app.Save(sessions[0]); err != nil {
		t.Fatal(err)
	}
	body := strings.NewReader(`{"event":"` + sessions[0].Id + `","code":"` + srv.URL + `/t/` + code + `"}`)
	creq, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/checkin", body)
	creq.Header.Set("Authorization", kopatest.Token(t, org))
	creq.Header.Set("Content-Type", "application/json")
	cres, err := http.DefaultClient.Do(creq)
	if err != nil {
		t.Fatal(err)
	}
	var answer checkin.Result
	if err := jsonDecode(cres, &answer); err != nil || cres.StatusCode != 200 || answer.Result != checkin.OK {
		t.Errorf("POST /api/checkin with the standing ticket: %d %+v %v", cres.StatusCode, answer, err)
	}
	cres.Body.Close()
	var list struct {
		Tickets []checkin.OfflineTicket `json:"tickets"`
	}
	if err := jsonDecode(r, &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tk := range list.Tickets {
		if tk.Hash == checkin.CodeHash(code) {
			found = tk.Registration == seatOf(t, app, res.Standing.Id, sessions[0].Id).Id
		}
	}
	if !found {
		t.Errorf("the standing ticket is not in the session's offline list: %+v", list.Tickets)
	}
}
