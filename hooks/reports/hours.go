package reports

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/internal/domain"
)

// VolunteerHours is the volunteers' hours of a period, for funders: numbers
// only, never a name or an address. A shift counts once its volunteer has
// checked in on it (domain.ShiftHours): its length, or from arrival to its
// end for a late one. A shift belongs to the period its start falls in.
type VolunteerHours struct {
	TotalHours float64            `json:"total_hours"`
	ByRole     map[string]float64 `json:"by_role"`
	// Volunteers counts the different volunteers who worked in the period.
	Volunteers int `json:"volunteers"`
	// Events are the hours by event and role, for the console and the CSV.
	Events []EventHours `json:"-"`
	// RoleVolunteers counts the different volunteers of each role.
	RoleVolunteers map[string]int `json:"-"`
}

// EventHours is one role's hours at one event.
type EventHours struct {
	ID, Role, Title, StartsAt string
	Titles                    map[string]string
	Hours                     float64
	Volunteers                int
}

// Start is the event's start, for the console.
func (r EventHours) Start() time.Time {
	t, _ := types.ParseDateTime(r.StartsAt)
	return t.Time()
}

// TitleIn is the event's title in lang, or the Latvian one.
func (r EventHours) TitleIn(lang string) string {
	if t := r.Titles[lang]; t != "" {
		return t
	}
	return r.Title
}

// VolunteerHoursHeader is the CSV header of the volunteer-hours report. A
// row per event and role, then one total row per role (no event, title
// "total"), then the period's total (role "all").
var VolunteerHoursHeader = []string{"event", "starts_at", "title", "role", "hours", "volunteers"}

// roundHours keeps two decimals: a minute is 0.0167 hours.
func roundHours(h float64) float64 { return math.Round(h*100) / 100 }

// Hours builds the volunteer-hours report of the shifts that start in
// [start, end).
func Hours(app core.App, start, end time.Time) (VolunteerHours, error) {
	rep := VolunteerHours{ByRole: map[string]float64{}, RoleVolunteers: map[string]int{}, Events: []EventHours{}}
	for _, s := range domain.Skills {
		rep.ByRole[s] = 0
	}
	var rows []struct {
		Volunteer string         `db:"volunteer"`
		Role      string         `db:"role"`
		StartsAt  types.DateTime `db:"starts_at"`
		EndsAt    types.DateTime `db:"ends_at"`
		ArrivedAt types.DateTime `db:"arrived_at"`
		Event     string         `db:"event"`
		EvStarts  string         `db:"ev_starts"`
		TitleLV   string         `db:"title_lv"`
		TitleEN   string         `db:"title_en"`
		TitleRU   string         `db:"title_ru"`
	}
	err := app.DB().NewQuery(`SELECT a.volunteer, s.role, s.starts_at, s.ends_at, a.arrived_at,
			e.id AS event, e.starts_at AS ev_starts, e.title_lv, e.title_en, e.title_ru
		FROM assignments a JOIN shifts s ON s.id = a.shift JOIN events e ON e.id = s.event
		WHERE a.status = {:accepted} AND a.arrived_at != '' AND s.starts_at >= {:from} AND s.starts_at < {:to}
		ORDER BY e.starts_at, e.id, s.role`).
		Bind(dbx.Params{"accepted": domain.AssignmentAccepted, "from": start.UTC().Format(dbTime), "to": end.UTC().Format(dbTime)}).All(&rows)
	if err != nil {
		return rep, fmt.Errorf("volunteer hours: %w", err)
	}
	everyone := map[string]bool{}
	byRole := map[string]map[string]bool{}
	type key struct{ event, role string }
	cells := map[key]*EventHours{}
	cellPeople := map[key]map[string]bool{}
	var order []key
	for _, r := range rows {
		h := domain.ShiftHours(r.StartsAt.Time(), r.EndsAt.Time(), r.ArrivedAt.Time())
		everyone[r.Volunteer] = true
		if byRole[r.Role] == nil {
			byRole[r.Role] = map[string]bool{}
		}
		byRole[r.Role][r.Volunteer] = true
		rep.ByRole[r.Role] += h
		rep.TotalHours += h
		k := key{r.Event, r.Role}
		c := cells[k]
		if c == nil {
			c = &EventHours{ID: r.Event, Role: r.Role, Title: r.TitleLV, StartsAt: r.EvStarts,
				Titles: map[string]string{"lv": r.TitleLV, "en": r.TitleEN, "ru": r.TitleRU}}
			cells[k], cellPeople[k] = c, map[string]bool{}
			order = append(order, k)
		}
		c.Hours += h
		cellPeople[k][r.Volunteer] = true
	}
	for _, k := range order {
		c := cells[k]
		c.Hours, c.Volunteers = roundHours(c.Hours), len(cellPeople[k])
		rep.Events = append(rep.Events, *c)
	}
	sort.SliceStable(rep.Events, func(i, j int) bool { return rep.Events[i].StartsAt < rep.Events[j].StartsAt })
	for role, h := range rep.ByRole {
		rep.ByRole[role] = roundHours(h)
		rep.RoleVolunteers[role] = len(byRole[role])
	}
	rep.TotalHours, rep.Volunteers = roundHours(rep.TotalHours), len(everyone)
	return rep, nil
}

func volunteerHoursJSON(e *core.RequestEvent) error {
	q, err := reportQuery(e)
	if err != nil {
		return err
	}
	rep, err := Hours(e.App, q.start, q.end)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, rep)
}

func volunteerHoursCSV(e *core.RequestEvent) error {
	q, err := reportQuery(e)
	if err != nil {
		return err
	}
	return WriteVolunteerHoursCSV(e, q.from, q.to, q.start, q.end)
}

// WriteVolunteerHoursCSV answers with the volunteer-hours report of
// [start, end) (the days from and to) as a CSV download. The caller has
// checked the visitor and the period.
func WriteVolunteerHoursCSV(e *core.RequestEvent, from, to string, start, end time.Time) error {
	rep, err := Hours(e.App, start, end)
	if err != nil {
		return err
	}
	w, err := startDownload(e, safeFilename(".csv", "volunteer-hours", from, to))
	if err != nil {
		return err
	}
	if err := w.Write(VolunteerHoursHeader); err != nil {
		return err
	}
	n := func(v any) string { return fmt.Sprint(v) }
	for _, r := range rep.Events {
		if err := w.Write([]string{r.ID, r.StartsAt, r.Title, r.Role, n(r.Hours), n(r.Volunteers)}); err != nil {
			return err
		}
	}
	for _, role := range domain.Skills {
		if err := w.Write([]string{"", "", "total", role, n(rep.ByRole[role]), n(rep.RoleVolunteers[role])}); err != nil {
			return err
		}
	}
	if err := w.Write([]string{"", "", "total", "all", n(rep.TotalHours), n(rep.Volunteers)}); err != nil {
		return err
	}
	return w.Flush()
}
