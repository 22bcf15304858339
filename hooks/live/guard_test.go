package live_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"kopa/hooks/live"
	"kopa/hooks/web"
	"kopa/internal/kopatest"
)

// doorVolunteer makes a volunteer with an accepted door shift of the
// fixture's event that runs now, and returns the volunteer, the shift and
// the assignment.
func (f *fixture) doorVolunteer(t testing.TB, email string) (v, shift, assignment *core.Record) {
	t.Helper()
	now := time.Now()
	v = kopatest.Volunteer(t, f.app, email, []string{"lv"}, []string{"door"})
	shift = kopatest.Shift(t, f.app, f.event, "door", now.Add(-time.Hour), now.Add(3*time.Hour))
	return v, shift, kopatest.Assignment(t, f.app, shift, v, "accepted")
}

// untilClosed reads a socket until the server closes it and returns the
// close code and the messages read before.
func untilClosed(t testing.TB, conn *websocket.Conn) (int, []live.Message) {
	t.Helper()
	var got []live.Message
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	for {
		_, b, err := conn.ReadMessage()
		if err == nil {
			got = append(got, decode(t, b))
			continue
		}
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code, got
		}
		t.Fatalf("the server did not close the socket: %v", err)
	}
}

// TestShortNamesForVolunteers: a check-in reaches an organiser with the
// full name and a door volunteer with the short one, and nothing else
// personal reaches either.
func TestShortNamesForVolunteers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	door, _, _ := f.doorVolunteer(t, "door@example.org")
	amina := kopatest.Registration(t, f.app, f.event, "Amina Haddad", "amina@example.org", "confirmed")
	olek := kopatest.Registration(t, f.app, f.event, "Olek", "olek@example.org", "confirmed")
	org, _ := f.open(t, f.orgToken, f.event.Id)
	vol, _ := f.open(t, kopatest.Token(t, door), f.event.Id)

	checkin(t, f.app, amina)
	checkin(t, f.app, olek)
	for _, tc := range []struct {
		who  string
		conn *websocket.Conn
		want []string
	}{
		{"organiser", org, []string{"Amina Haddad", "Olek"}},
		{"door volunteer", vol, []string{"Amina H.", "Olek"}},
	} {
		for i, want := range tc.want {
			m, raw := next(t, tc.conn)
			if m.Type != live.TypeCheckin || m.Name == nil || *m.Name != want || m.Stats.CheckedIn != i+1 {
				t.Errorf("%s, check-in %d: %s, want the name %q", tc.who, i, raw, want)
			}
			if tc.who == "door volunteer" && strings.Contains(string(raw), "Haddad") {
				t.Errorf("a door volunteer got the full name: %s", raw)
			}
			noPersonalData(t, raw, amina, olek)
		}
	}
}

// TestAccessWithdrawn: when a change takes a door volunteer's access away,
// their socket is closed with 4403 at once (not at the next periodic
// check), before any later change of the event reaches it; an organiser's
// socket and another volunteer's stay open.
func TestAccessWithdrawn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := kopatest.Event(t, f.app, kopatest.EventOpts{Title: "Cits"})
	org, _ := f.open(t, f.orgToken, f.event.Id)
	stays, _, _ := f.doorVolunteer(t, "stays@example.org")
	staying, _ := f.open(t, kopatest.Token(t, stays), f.event.Id)

	for i, tc := range []struct {
		name     string
		withdraw func(t *testing.T, volunteer, shift, assignment *core.Record)
	}{
		{"the assignment is cancelled", func(t *testing.T, _, _, a *core.Record) {
			a.Set("status", "cancelled")
			save(t, f.app, a)
		}},
		{"the assignment is deleted", func(t *testing.T, _, _, a *core.Record) {
			if err := f.app.Delete(a); err != nil {
				t.Fatal(err)
			}
		}},
		{"the shift ends earlier", func(t *testing.T, _, s, _ *core.Record) {
			s.Set("starts_at", time.Now().Add(-3*time.Hour))
			s.Set("ends_at", time.Now().Add(-2*time.Hour))
			save(t, f.app, s)
		}},
		{"the shift becomes another role", func(t *testing.T, _, s, _ *core.Record) {
			s.Set("role", "hosting")
			save(t, f.app, s)
		}},
		{"the shift moves to another event", func(t *testing.T, _, s, _ *core.Record) {
			s.Set("event", other.Id)
			save(t, f.app, s)
		}},
		{"the shift is deleted", func(t *testing.T, _, s, _ *core.Record) {
			if err := f.app.Delete(s); err != nil {
				t.Fatal(err)
			}
		}},
		{"the volunteer is paused", func(t *testing.T, v, _, _ *core.Record) {
			v.Set("status", "paused")
			save(t, f.app, v)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, shift, a := f.doorVolunteer(t, fmt.Sprintf("door%d@example.org", i))
			conn, _ := f.open(t, kopatest.Token(t, v), f.event.Id)
			waitFor(t, "the volunteer joined", func() bool { return live.Sockets(f.app, v) == 1 })

			tc.withdraw(t, v, shift, a)
			// A check-in after the change must not reach the volunteer.
			checkin(t, f.app, kopatest.Registration(t, f.app, f.event, "Amina Haddad", fmt.Sprintf("amina%d@example.org", i), "confirmed"))
			code, got := untilClosed(t, conn)
			if code != live.CloseForbidden {
				t.Fatalf("close code %d, want %d", code, live.CloseForbidden)
			}
			for _, m := range got {
				if m.Type == live.TypeCheckin {
					t.Errorf("a check-in reached the volunteer after their access went: %+v", m)
				}
			}
			// The others are still there, and get the check-in.
			for _, c := range []*websocket.Conn{org, staying} {
				if m, raw := next(t, c); m.Type != live.TypeRegistration {
					t.Fatalf("got %s, want the registration", raw)
				}
				if m, raw := next(t, c); m.Type != live.TypeCheckin {
					t.Fatalf("got %s, want the check-in", raw)
				}
			}
			waitFor(t, "the volunteer's socket gone", func() bool { return live.Sockets(f.app, v) == 0 })
		})
	}
	if n := live.Clients(f.app, f.event.Id); n != 2 {
		t.Fatalf("%d clients watch the event, want the organiser and the volunteer who stays", n)
	}
}

// TestSignedOutSocket: a change of an account that ends its tokens (a new
// password, the account deleted) closes its sockets with 4401, so the page
// signs in again.
func TestSignedOutSocket(t *testing.T) {
	t.Parallel()
	f := setup(t)
	conn, _ := f.open(t, f.orgToken, f.event.Id)
	f.org.SetPassword("a-new-password-123")
	save(t, f.app, f.org)
	if code := closeCode(t, conn); code != live.CloseUnauthorized {
		t.Fatalf("new password: close code %d, want %d", code, live.CloseUnauthorized)
	}

	v, _, _ := f.doorVolunteer(t, "door@example.org")
	conn, _ = f.open(t, kopatest.Token(t, v), f.event.Id)
	if err := f.app.Delete(v); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, conn); code != live.CloseUnauthorized {
		t.Fatalf("account deleted: close code %d, want %d", code, live.CloseUnauthorized)
	}
}

// TestPeriodicRecheck: access taken away without any hook firing (a shift
// that simply ended looks the same to the hub) is noticed by the periodic
// check, and the socket closed with 4403; an organiser's socket stays.
func TestPeriodicRecheck(t *testing.T) {
	t.Parallel()
	f := setupWith(t, live.Timeouts{Recheck: 50 * time.Millisecond})
	v, _, a := f.doorVolunteer(t, "door@example.org")
	org, _ := f.open(t, f.orgToken, f.event.Id)
	conn, _ := f.open(t, kopatest.Token(t, v), f.event.Id)

	// Straight into the table: no record hook sees it.
	if _, err := f.app.NonconcurrentDB().NewQuery("UPDATE assignments SET status = 'cancelled' WHERE id = {:id}").
		Bind(map[string]any{"id": a.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, conn); code != live.CloseForbidden {
		t.Fatalf("close code %d, want %d", code, live.CloseForbidden)
	}
	checkin(t, f.app, kopatest.Registration(t, f.app, f.event, "Amina", "amina@example.org", "confirmed"))
	if m, raw := next(t, org); m.Type != live.TypeRegistration {
		t.Fatalf("organiser: %s", raw)
	}
	if m, raw := next(t, org); m.Type != live.TypeCheckin {
		t.Fatalf("organiser: %s", raw)
	}
}

// TestEndedSessionSocket: a socket opened with a session's token (the
// dashboard's, the scanner's) is closed with 4401 by the periodic check
// once the session has ended, even when no hook saw it end, and the token
// opens no socket any more.
func TestEndedSessionSocket(t *testing.T) {
	t.Parallel()
	f := setupWith(t, live.Timeouts{Recheck: 50 * time.Millisecond})
	token, err := web.StartSession(f.app, f.org)
	if err != nil {
		t.Fatal(err)
	}
	other, err := web.StartSession(f.app, f.org)
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := f.open(t, token, f.event.Id)
	kept, _ := f.open(t, other, f.event.Id)

	// Straight into the table: only the periodic check can notice.
	if _, err := f.app.NonconcurrentDB().NewQuery("DELETE FROM sessions WHERE id = {:id}").
		Bind(map[string]any{"id": sessionID(t, token)}).Execute(); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, conn); code != live.CloseUnauthorized {
		t.Fatalf("close code %d, want %d", code, live.CloseUnauthorized)
	}
	conn = f.dial(t, f.event.Id)
	sendAuth(t, conn, token)
	if code := closeCode(t, conn); code != live.CloseUnauthorized {
		t.Fatalf("a new socket with the ended session's token: close code %d, want %d", code, live.CloseUnauthorized)
	}
	// The account's other session is still on.
	checkin(t, f.app, kopatest.Registration(t, f.app, f.event, "Amina", "amina@example.org", "confirmed"))
	if m, raw := next(t, kept); m.Type != live.TypeRegistration {
		t.Fatalf("the other session's socket: %s", raw)
	}
}

// sessionID is the session a session's token names.
func sessionID(t testing.TB, token string) string {
	t.Helper()
	claims, err := security.ParseUnverifiedJWT(token)
	sid, _ := claims["sid"].(string)
	if err != nil || sid == "" {
		t.Fatalf("no session in the token: %v", err)
	}
	return sid
}

// TestSocketsPerAccount: one account holds at most 20 sockets. The 21st is
// let in and the account's oldest closed with 4429; the others, and other
// accounts' sockets, stay.
func TestSocketsPerAccount(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := kopatest.Organiser(t, f.app, "other@example.org")
	theirs, _ := f.open(t, kopatest.Token(t, other), f.event.Id)

	conns := make([]*websocket.Conn, 20)
	for i := range conns {
		conns[i], _ = f.open(t, f.orgToken, f.event.Id)
	}
	if n := live.Sockets(f.app, f.org); n != 20 {
		t.Fatalf("%d sockets, want 20", n)
	}
	newest, _ := f.open(t, f.orgToken, f.event.Id)
	if code := closeCode(t, conns[0]); code != live.CloseTooMany {
		t.Fatalf("the oldest socket closed with %d, want %d", code, live.CloseTooMany)
	}
	waitFor(t, "the oldest gone", func() bool { return live.Clients(f.app, f.event.Id) == 21 })
	if n := live.Sockets(f.app, f.org); n != 20 {
		t.Fatalf("%d sockets, want 20", n)
	}
	// Everyone else gets the next change.
	kopatest.Registration(t, f.app, f.event, "Amina", "amina@example.org", "confirmed")
	for _, c := range append([]*websocket.Conn{theirs, newest}, conns[1:]...) {
		if m, raw := next(t, c); m.Type != live.TypeRegistration {
			t.Fatalf("got %s, want the registration", raw)
		}
	}
}

func save(t testing.TB, app core.App, rec *core.Record) {
	t.Helper()
	if err := app.Save(rec); err != nil {
		t.Fatal(err)
	}
}
