package access_test

import (
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/access"
	"kopa/internal/kopatest"
)

func TestCanWorkDoor(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	start := time.Now().Add(30 * time.Minute).Truncate(time.Second)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: start})
	other := kopatest.Event(t, app, kopatest.EventOpts{Starts: start})
	org := kopatest.Organiser(t, app, "org@example.com")
	door := kopatest.Volunteer(t, app, "door@example.com", []string{"lv"}, []string{"door"})
	host := kopatest.Volunteer(t, app, "host@example.com", []string{"lv"}, []string{"hosting"})
	invited := kopatest.Volunteer(t, app, "invited@example.com", []string{"lv"}, []string{"door"})
	pending := kopatest.Volunteer(t, app, "pending@example.com", []string{"lv"}, []string{"door"}, "pending")
	paused := kopatest.Volunteer(t, app, "paused@example.com", []string{"lv"}, []string{"door"})

	doorShift := kopatest.Shift(t, app, ev, "door", start, start.Add(2*time.Hour))
	hostShift := kopatest.Shift(t, app, ev, "hosting", start, start.Add(2*time.Hour))
	kopatest.Assignment(t, app, doorShift, door, "accepted")
	kopatest.Assignment(t, app, hostShift, host, "accepted")
	kopatest.Assignment(t, app, doorShift, invited, "invited")
	kopatest.Assignment(t, app, doorShift, pending, "accepted")
	kopatest.Assignment(t, app, doorShift, paused, "accepted")
	if !access.CanWorkDoor(app, paused, ev.Id, time.Now()) {
		t.Fatal("the approved door volunteer cannot work the door")
	}
	// Pausing withdraws the access at once.
	paused.Set("status", "paused")
	if err := app.Save(paused); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	cases := []struct {
		name  string
		auth  *core.Record
		event string
		at    time.Time
		want  bool
	}{
		{"organiser", org, ev.Id, now, true},
		{"organiser other event", org, other.Id, now, true},
		{"door volunteer in window", door, ev.Id, now, true},
		{"door volunteer other event", door, other.Id, now, false},
		{"door volunteer too early", door, ev.Id, start.Add(-2 * time.Hour), false},
		{"door volunteer after the shift", door, ev.Id, start.Add(3 * time.Hour), false},
		{"host volunteer", host, ev.Id, now, false},
		{"invited, not accepted", invited, ev.Id, now, false},
		{"pending door volunteer", pending, ev.Id, now, false},
		{"paused door volunteer", paused, ev.Id, now, false},
		{"anonymous", nil, ev.Id, now, false},
	}
	for _, c := range cases {
		if got := access.CanWorkDoor(app, c.auth, c.event, c.at); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestShortName(t *testing.T) {
	for in, want := range map[string]string{"Amina Haddad": "Amina H.", "  Olek  ": "Olek", "": "", "Ģirts Ābele-Kalniņa": "Ģirts Ā.",
		"Мария Ивановна Петрова": "Мария П.", "محمد علي": "محمد ع."} {
		if got := access.ShortName(in); got != want {
			t.Errorf("ShortName(%q) = %q, want %q", in, got, want)
		}
	}
}
