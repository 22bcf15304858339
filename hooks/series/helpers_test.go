package series_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/series"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// seriesOpts say how a test series falls.
type seriesOpts struct {
	First    time.Time // the first date (Riga); default in a week
	Weeks    int       // default 3
	Capacity int
	Waitlist bool
	Skip     []string
	Status   domain.EventStatus // of the sessions; default published
	Clock    string             // default "18:30"
	// MaxParty and Childcare: the parties it takes (default 1) and
	// whether children are minded.
	MaxParty  int
	Childcare bool
}

// newSeries stores a series and makes its sessions.
func newSeries(t testing.TB, app core.App, o seriesOpts) (*core.Record, []*core.Record) {
	t.Helper()
	if o.First.IsZero() {
		o.First = time.Now().In(i18n.Riga).AddDate(0, 0, 7)
	}
	if o.Weeks == 0 {
		o.Weeks = 3
	}
	if o.Status == "" {
		o.Status = domain.EventPublished
	}
	if o.Clock == "" {
		o.Clock = "18:30"
	}
	col, err := app.FindCollectionByNameOrId(domain.Series)
	if err != nil {
		t.Fatal(err)
	}
	skip, _ := json.Marshal(o.Skip)
	s := core.NewRecord(col)
	s.Load(map[string]any{
		"kind": domain.KindClub, "title_lv": "Sarunu klubs", "title_en": "Conversation club", "venue": "Kopā, Rīga",
		"capacity": o.Capacity, "waitlist": o.Waitlist, "weekday": domain.WeekdayOf(o.First), "start_time": o.Clock,
		"length_minutes": 90, "first_date": o.First.In(i18n.Riga).Format(domain.DateLayout), "weeks": o.Weeks, "skip_dates": string(skip),
		"max_party": o.MaxParty, "childcare": o.Childcare,
	})
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
	if _, err := series.MakeSessions(app, s, o.Status); err != nil {
		t.Fatal(err)
	}
	sessions, err := series.Sessions(app, s.Id)
	if err != nil {
		t.Fatal(err)
	}
	return s, sessions
}

// seatOf is the standing place's registration at a session, or nil.
func seatOf(t testing.TB, app core.App, standingID, eventID string) *core.Record {
	t.Helper()
	var regs []*core.Record
	err := app.RecordQuery(domain.Registrations).AndWhere(dbx.HashExp{"standing": standingID, "event": eventID}).
		OrderBy("rowid DESC").All(&regs)
	if err != nil {
		t.Fatal(err)
	}
	if len(regs) == 0 {
		return nil
	}
	return regs[0]
}

func mustStanding(t testing.TB, app core.App, email string) *core.Record {
	t.Helper()
	st, err := app.FindFirstRecordByData(domain.Standing, "email", email)
	if err != nil {
		t.Fatalf("standing place of %s: %v", email, err)
	}
	return st
}

func jsonDecode(r *http.Response, v any) error { return json.NewDecoder(r.Body).Decode(v) }
