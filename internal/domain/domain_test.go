package domain_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/dbutils"

	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestSchemaAgrees: the collections the migrations made are the ones the
// vocabulary names, and every select field holds exactly the vocabulary's
// values, in its order. A migration that changes a select field, or a new
// status in the vocabulary without its migration, fails here.
func TestSchemaAgrees(t *testing.T) {
	app := kopatest.NewApp(t)
	for _, name := range []string{domain.Organisers, domain.Volunteers, domain.Events, domain.Registrations,
		domain.Checkins, domain.Shifts, domain.Assignments, domain.Settings, domain.MailOutbox,
		domain.EventChanges, domain.EventMessages, domain.Sessions, domain.Series, domain.Standing} {
		if _, err := app.FindCollectionByNameOrId(name); err != nil {
			t.Errorf("collection %s: %v", name, err)
		}
	}
	for _, c := range []struct {
		collection, field string
		want              []string
	}{
		{domain.Events, "kind", domain.Kinds},
		{domain.Events, "status", strs(domain.EventStatuses)},
		{domain.Registrations, "status", strs(domain.RegistrationStatuses)},
		{domain.Registrations, "locale", domain.Locales},
		{domain.Registrations, "interpretation", domain.Languages},
		{domain.Checkins, "method", strs(domain.CheckinMethods)},
		{domain.Shifts, "role", domain.Skills},
		{domain.Assignments, "status", strs(domain.AssignmentStatuses)},
		{domain.Volunteers, "languages", domain.Languages},
		{domain.Volunteers, "skills", domain.Skills},
		{domain.Volunteers, "locale", domain.Locales},
		{domain.Volunteers, "status", strs(domain.VolunteerStatuses)},
		{"subscribers", "locale", domain.Locales},
		{domain.EventMessages, "to", strs(domain.Audiences)},
		{domain.Series, "kind", domain.Kinds},
		{domain.Standing, "status", strs(domain.StandingStatuses)},
		{domain.Standing, "locale", domain.Locales},
		{domain.Standing, "interpretation", domain.Languages},
	} {
		col, err := app.FindCollectionByNameOrId(c.collection)
		if err != nil {
			t.Fatalf("collection %s: %v", c.collection, err)
		}
		f, ok := col.Fields.GetByName(c.field).(*core.SelectField)
		if !ok {
			t.Errorf("%s.%s is not a select field", c.collection, c.field)
			continue
		}
		if !slices.Equal(f.Values, c.want) {
			t.Errorf("%s.%s holds %v, the vocabulary %v", c.collection, c.field, f.Values, c.want)
		}
	}
	// A volunteer's personal code: made as the vocabulary says, hidden,
	// unique, and of the shape the door recognises.
	vols, _ := app.FindCollectionByNameOrId(domain.Volunteers)
	code, ok := vols.Fields.GetByName("code").(*core.TextField)
	switch {
	case !ok:
		t.Error("volunteers.code is not a text field")
	case code.AutogeneratePattern != domain.VolunteerCodeAutogenerate || !code.Hidden || !code.Required:
		t.Errorf("volunteers.code: autogenerate %q, hidden %v, required %v", code.AutogeneratePattern, code.Hidden, code.Required)
	default:
		v := kopatest.Volunteer(t, app, "code@example.com", []string{"lv"}, []string{"door"})
		if !domain.IsVolunteerCode(v.GetString("code")) {
			t.Errorf("a new volunteer's code %q is not one the door recognises", v.GetString("code"))
		}
	}
	if idx, ok := dbutils.FindSingleColumnUniqueIndex(vols.Indexes, "code"); !ok || !idx.Unique {
		t.Error("volunteers.code is not unique")
	}
	as, _ := app.FindCollectionByNameOrId(domain.Assignments)
	if _, ok := as.Fields.GetByName("arrived_at").(*core.DateField); !ok {
		t.Error("assignments.arrived_at is not a date field")
	}
	// Parties: every count of people is bounded by the same limit.
	for _, c := range []struct{ collection, field string }{
		{domain.Events, "max_party"}, {domain.Registrations, "party"}, {domain.Registrations, "childcare"}, {domain.Checkins, "arrived"},
		{domain.Standing, "party"}, {domain.Standing, "childcare"},
	} {
		col, _ := app.FindCollectionByNameOrId(c.collection)
		f, ok := col.Fields.GetByName(c.field).(*core.NumberField)
		if !ok || !f.OnlyInt || f.Max == nil || *f.Max != domain.MaxPartyLimit {
			t.Errorf("%s.%s is not a whole number up to %d", c.collection, c.field, domain.MaxPartyLimit)
		}
	}
	evs, _ := app.FindCollectionByNameOrId(domain.Events)
	for _, name := range []string{"email_optional", "childcare"} {
		if _, ok := evs.Fields.GetByName(name).(*core.BoolField); !ok {
			t.Errorf("events.%s is not a bool field", name)
		}
	}
}

// TestSeriesSchemaAgrees: series, standing places and the fields that tie
// sessions and seats to them are as the vocabulary and the door need.
func TestSeriesSchemaAgrees(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t)
	series, _ := app.FindCollectionByNameOrId(domain.Series)
	standing, _ := app.FindCollectionByNameOrId(domain.Standing)
	evs, _ := app.FindCollectionByNameOrId(domain.Events)
	regs, _ := app.FindCollectionByNameOrId(domain.Registrations)
	for _, f := range domain.SeriesFields {
		if series.Fields.GetByName(f) == nil || evs.Fields.GetByName(f) == nil {
			t.Errorf("%s is not a field of both series and events", f)
		}
	}
	for _, c := range []struct {
		col    *core.Collection
		field  string
		target string
	}{
		{evs, "series", series.Id}, {regs, "standing", standing.Id}, {standing, "series", series.Id},
	} {
		f, ok := c.col.Fields.GetByName(c.field).(*core.RelationField)
		if !ok || f.CollectionId != c.target || f.MaxSelect != 1 {
			t.Errorf("%s.%s is not a single relation to %s", c.col.Name, c.field, c.target)
		}
	}
	for _, c := range []struct {
		col   *core.Collection
		field string
	}{{regs, "skipped_at"}, {standing, "paused_at"}, {standing, "ended_at"}, {standing, "erased_at"}} {
		if _, ok := c.col.Fields.GetByName(c.field).(*core.DateField); !ok {
			t.Errorf("%s.%s is not a date field", c.col.Name, c.field)
		}
	}
	weeks, ok := series.Fields.GetByName("weeks").(*core.NumberField)
	if !ok || weeks.Min == nil || *weeks.Min != 1 || weeks.Max == nil || *weeks.Max != domain.SeriesMaxWeeks {
		t.Errorf("series.weeks is not 1 to %d", domain.SeriesMaxWeeks)
	}
	length, ok := series.Fields.GetByName("length_minutes").(*core.NumberField)
	if !ok || length.Max == nil || *length.Max != domain.SeriesMaxLength {
		t.Errorf("series.length_minutes is not up to %d", domain.SeriesMaxLength)
	}
	// A standing ticket has a registration ticket's shape, and is unique.
	rt, _ := regs.Fields.GetByName("ticket").(*core.TextField)
	st, ok := standing.Fields.GetByName("ticket").(*core.TextField)
	if !ok || st.Pattern != rt.Pattern || st.Min != rt.Min || st.Max != rt.Max || !st.Required {
		t.Errorf("standing.ticket is not shaped as registrations.ticket: %+v", st)
	}
	if idx, ok := dbutils.FindSingleColumnUniqueIndex(standing.Indexes, "ticket"); !ok || !idx.Unique {
		t.Error("standing.ticket is not unique")
	}
	for _, c := range []*core.Collection{standing} {
		if c.ListRule == nil || c.ViewRule == nil || *c.ListRule != *regs.ListRule || *c.ViewRule != *regs.ViewRule {
			t.Errorf("%s is not organisers' only, as registrations are", c.Name)
		}
	}
}

// TestSeriesPlan: a weekly plan falls on its weekday at the same Riga time
// across the summer-time change, skips its dates, and begins in the first
// date's week (or the next, when the weekday has passed).
func TestSeriesPlan(t *testing.T) {
	first, _ := domain.ParseDate("2031-03-15") // a Saturday
	p := domain.SeriesPlan{Weekday: 4, Hour: 18, Minute: 30, Length: 90 * time.Minute, First: first, Weeks: 4, Skip: []string{"2031-03-27"}}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range p.Dates() {
		s, e := p.Session(d)
		got = append(got, s.Format(time.RFC3339)+"/"+e.Sub(s).String())
	}
	// Thursday 20 March (winter, UTC+2), 27 March skipped, then summer
	// (UTC+3) from 30 March.
	want := []string{"2031-03-20T16:30:00Z/1h30m0s", "2031-04-03T15:30:00Z/1h30m0s", "2031-04-10T15:30:00Z/1h30m0s"}
	if !slices.Equal(got, want) {
		t.Errorf("sessions %v, want %v", got, want)
	}
	for _, bad := range []domain.SeriesPlan{{Weekday: 0, Weeks: 1, Length: time.Hour}, {Weekday: 1, Weeks: 0, Length: time.Hour},
		{Weekday: 1, Weeks: 200, Length: time.Hour}, {Weekday: 8, Weeks: 1, Length: time.Hour}, {Weekday: 1, Weeks: 1}} {
		if bad.Check() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	for _, s := range []string{"24:00", "7:00", "ab:cd", ""} {
		if _, _, err := domain.ParseClock(s); err == nil {
			t.Errorf("clock %q accepted", s)
		}
	}
	if domain.WeekdayOf(time.Date(2031, 3, 16, 12, 0, 0, 0, time.UTC)) != 7 {
		t.Error("a Sunday is not 7")
	}
}

func TestParty(t *testing.T) {
	app := kopatest.NewApp(t)
	evs, _ := app.FindCollectionByNameOrId(domain.Events)
	ev := core.NewRecord(evs)
	if domain.MaxParty(ev) != 1 {
		t.Errorf("an event without max_party allows parties of %d, want 1", domain.MaxParty(ev))
	}
	ev.Set("max_party", 4)
	if domain.MaxParty(ev) != 4 {
		t.Errorf("max_party 4 reads as %d", domain.MaxParty(ev))
	}
	regs, _ := app.FindCollectionByNameOrId(domain.Registrations)
	reg := core.NewRecord(regs)
	if domain.Party(reg) != 1 {
		t.Errorf("a registration without a party holds %d people, want 1", domain.Party(reg))
	}
	reg.Set("party", 3)
	if domain.Party(reg) != 3 {
		t.Errorf("party 3 reads as %d", domain.Party(reg))
	}
}

func TestVolunteerCode(t *testing.T) {
	for _, s := range []string{"V-AbCdEfGhIjKlMnOpQrStUvWxYz01"} {
		if !domain.IsVolunteerCode(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "V-", "AbCdEfGhIjKlMnOpQrStUvWxYz01", "V-AbCdEfGhIjKlMnOpQrStUvWxYz0", "V-AbCdEfGhIjKlMnOpQrStUvWxYz012",
		"v-AbCdEfGhIjKlMnOpQrStUvWxYz01", "V-AbCdEfGhIjKlMnOpQrStUvWxY-01", "V-AbCdEfGhIjKlMnOpQrStUvWxYzā"} {
		if domain.IsVolunteerCode(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestShiftHours(t *testing.T) {
	start := time.Date(2031, 5, 1, 16, 0, 0, 0, time.UTC)
	end := start.Add(3 * time.Hour)
	for _, c := range []struct {
		arrived time.Time
		want    float64
	}{
		{time.Time{}, 0},                   // never checked in
		{start.Add(-30 * time.Minute), 3},  // early: the shift's length
		{start, 3},                         // on time
		{start.Add(90 * time.Minute), 1.5}, // late: arrival to the end
		{end, 0},                           // at the end
		{end.Add(time.Hour), 0},            // after it
	} {
		if got := domain.ShiftHours(start, end, c.arrived); got != c.want {
			t.Errorf("arrived %v: %v hours, want %v", c.arrived, got, c.want)
		}
	}
}

// TestEventTextsAgree: events have a title and a summary field in every
// language of domain.TextLangs, and the localized view falls back as the
// contract says: uk, ar and fa to English, then Latvian; lv, en and ru to
// Latvian.
func TestEventTextsAgree(t *testing.T) {
	app := kopatest.NewApp(t)
	col, err := app.FindCollectionByNameOrId(domain.Events)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range domain.TextLangs {
		for _, f := range []string{"title_", "summary_"} {
			if _, ok := col.Fields.GetByName(f + l).(*core.TextField); !ok {
				t.Errorf("events.%s%s is not a text field", f, l)
			}
		}
	}
	ev := core.NewRecord(col)
	ev.Set("title_lv", "Sarunu klubs")
	ev.Set("title_ar", "نادي المحادثة")
	for _, c := range []struct{ lang, want, in string }{
		{"ar", "نادي المحادثة", "ar"},
		{"fa", "Sarunu klubs", "lv"},
		{"ru", "Sarunu klubs", "lv"},
	} {
		if got, in := domain.LocalizedIn(ev, "title", c.lang); got != c.want || in != c.in {
			t.Errorf("%s: %q in %s, want %q in %s", c.lang, got, in, c.want, c.in)
		}
	}
	ev.Set("title_en", "Conversation club")
	for _, c := range []struct{ lang, want, in string }{
		{"uk", "Conversation club", "en"},
		{"fa", "Conversation club", "en"},
		{"ru", "Sarunu klubs", "lv"},
		{"en", "Conversation club", "en"},
	} {
		if got, in := domain.LocalizedIn(ev, "title", c.lang); got != c.want || in != c.in {
			t.Errorf("%s: %q in %s, want %q in %s", c.lang, got, in, c.want, c.in)
		}
	}
	if got := domain.TextLanguages(ev); !slices.Equal(got, []string{"lv", "en", "ar"}) {
		t.Errorf("TextLanguages = %v", got)
	}
	if v := domain.NewEventView(ev, "ar", domain.Stats{}); v.Title != "نادي المحادثة" || v.TitleLang != "ar" || v.SummaryLang != "ar" {
		t.Errorf("view in ar: %q (%s), summary in %s", v.Title, v.TitleLang, v.SummaryLang)
	}
}

func strs[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}

func TestRules(t *testing.T) {
	now := time.Date(2031, 5, 1, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	for _, c := range []struct {
		status domain.EventStatus
		starts time.Time
		want   bool
	}{
		{domain.EventPublished, later, true},
		{domain.EventPublished, now, false}, // begun
		{domain.EventPublished, earlier, false},
		{domain.EventDraft, later, false},
		{domain.EventCancelled, later, false},
	} {
		if got := domain.RegistrationOpen(c.status, c.starts, now); got != c.want {
			t.Errorf("RegistrationOpen(%s, %v) = %v", c.status, c.starts.Sub(now), got)
		}
	}

	app := kopatest.NewApp(t)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Starts: later})
	gone := kopatest.Event(t, app, kopatest.EventOpts{Starts: later, Status: domain.EventCancelled})
	for _, c := range []struct {
		ev     *core.Record
		starts time.Time
		want   bool
	}{
		{ev, later, true},
		{ev, now, false},
		{gone, later, false},
	} {
		if got := domain.ShiftOpen(c.ev, c.starts, now); got != c.want {
			t.Errorf("ShiftOpen(%s, %v) = %v", domain.EventStatusOf(c.ev), c.starts.Sub(now), got)
		}
	}

	org := kopatest.Organiser(t, app, "org@example.com")
	vol := kopatest.Volunteer(t, app, "vol@example.com", []string{"lv"}, []string{domain.SkillDoor})
	supers, err := app.FindCachedCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	super := core.NewRecord(supers)
	super.SetEmail("super@example.com")
	super.SetPassword(kopatest.Password)
	if err := app.Save(super); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r                     *core.Record
		organiser, vol, staff bool
	}{
		{nil, false, false, false},
		{org, true, false, true},
		{vol, false, true, false},
		{super, false, false, true},
	} {
		got := [3]bool{domain.IsOrganiser(c.r), domain.IsVolunteer(c.r), domain.IsStaff(c.r)}
		if want := [3]bool{c.organiser, c.vol, c.staff}; got != want {
			t.Errorf("%s: IsOrganiser, IsVolunteer, IsStaff = %v, want %v", name(c.r), got, want)
		}
	}
}

func name(r *core.Record) string {
	if r == nil {
		return "nil"
	}
	return fmt.Sprintf("%s %s", r.Collection().Name, r.Email())
}

func TestDateTime(t *testing.T) {
	riga := time.FixedZone("Riga", 3*3600)
	d := domain.DateTime(time.Date(2031, 7, 1, 18, 30, 0, 0, riga))
	if got := d.String(); got != "2031-07-01 15:30:00.000Z" {
		t.Errorf("DateTime = %q", got)
	}
	if d.Time().Location() != time.UTC {
		t.Errorf("DateTime keeps %v, want UTC", d.Time().Location())
	}
}
