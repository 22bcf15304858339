// Package migrations holds Kopā's schema: collections, fields, indexes and
// API rules. A migration is never edited once it has landed; a schema change
// is a new file.
package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Rule fragments shared by the collections below.
const (
	isOrganiser = "@request.auth.collectionName = 'organisers'"
)

// The select values this migration created, frozen as they were: the code
// reads the vocabulary from internal/domain, and a test there proves that
// the schema and the vocabulary agree.
var (
	// languages a volunteer may speak (and a registrant may ask interpretation into).
	languages = []string{"lv", "en", "ru", "uk", "ar", "fa", "fr", "de"}
	// skills are the volunteer skills; shift roles use the same values.
	skills = []string{"interpreting", "door", "hosting", "childcare", "logistics", "photo"}
	// locales are the languages Kopā speaks to people in.
	locales = []string{"lv", "en", "ru"}
)

// ticketPattern yields 24 characters from a 62-letter alphabet: about 143
// bits from crypto/rand, URL-safe, unrelated to the id or the e-mail.
const ticketPattern = "[A-Za-z0-9]{24}"

func init() {
	m.Register(up, down)
}

func timestamps(c *core.Collection) {
	c.Fields.Add(&core.AutodateField{Name: "created", OnCreate: true})
	c.Fields.Add(&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true})
}

func organiserOnly(c *core.Collection) {
	c.ListRule = types.Pointer(isOrganiser)
	c.ViewRule = types.Pointer(isOrganiser)
	c.CreateRule = types.Pointer(isOrganiser)
	c.UpdateRule = types.Pointer(isOrganiser)
	c.DeleteRule = types.Pointer(isOrganiser)
}

func up(app core.App) error {
	// PocketBase's default "users" collection is open for public sign-up;
	// Kopā has no use for it and must not expose it.
	if users, err := app.FindCollectionByNameOrId("users"); err == nil {
		if err := app.Delete(users); err != nil {
			return fmt.Errorf("delete users collection: %w", err)
		}
	}

	organisers := core.NewAuthCollection("organisers")
	organiserOnly(organisers)
	organisers.Fields.Add(&core.TextField{Name: "name", Required: true, Max: 200})
	timestamps(organisers)
	organisers.AuthToken.Duration = 7 * 24 * 3600
	if err := app.Save(organisers); err != nil {
		return fmt.Errorf("organisers: %w", err)
	}

	volunteers := core.NewAuthCollection("volunteers")
	self := "id = @request.auth.id || " + isOrganiser
	volunteers.ListRule = types.Pointer(self)
	volunteers.ViewRule = types.Pointer(self)
	volunteers.CreateRule = types.Pointer(isOrganiser) // the public signs up through /api/volunteers/signup
	volunteers.UpdateRule = types.Pointer(self)
	volunteers.DeleteRule = types.Pointer(self)
	volunteers.Fields.Add(&core.TextField{Name: "name", Required: true, Max: 200})
	volunteers.Fields.Add(&core.TextField{Name: "phone", Max: 40, Pattern: `^[0-9+() \-]*$`})
	volunteers.Fields.Add(&core.SelectField{Name: "languages", Values: languages, MaxSelect: len(languages)})
	volunteers.Fields.Add(&core.SelectField{Name: "skills", Values: skills, MaxSelect: len(skills)})
	volunteers.Fields.Add(&core.SelectField{Name: "locale", Values: locales, MaxSelect: 1})
	volunteers.Fields.Add(&core.BoolField{Name: "contact_consent"})
	timestamps(volunteers)
	volunteers.OTP.Enabled = true
	if err := app.Save(volunteers); err != nil {
		return fmt.Errorf("volunteers: %w", err)
	}

	events := core.NewBaseCollection("events")
	organiserOnly(events)
	publicRead := "status = 'published' || " + isOrganiser
	events.ListRule = types.Pointer(publicRead)
	events.ViewRule = types.Pointer(publicRead)
	events.Fields.Add(&core.SelectField{Name: "kind", Required: true, Values: []string{"discussion", "club", "culture"}, MaxSelect: 1})
	events.Fields.Add(&core.TextField{Name: "title_lv", Required: true, Max: 200})
	events.Fields.Add(&core.TextField{Name: "title_en", Max: 200})
	events.Fields.Add(&core.TextField{Name: "title_ru", Max: 200})
	events.Fields.Add(&core.TextField{Name: "summary_lv", Max: 5000})
	events.Fields.Add(&core.TextField{Name: "summary_en", Max: 5000})
	events.Fields.Add(&core.TextField{Name: "summary_ru", Max: 5000})
	events.Fields.Add(&core.TextField{Name: "venue", Max: 300})
	events.Fields.Add(&core.DateField{Name: "starts_at", Required: true})
	events.Fields.Add(&core.DateField{Name: "ends_at", Required: true})
	events.Fields.Add(&core.NumberField{Name: "capacity", OnlyInt: true, Min: types.Pointer(0.0)})
	events.Fields.Add(&core.BoolField{Name: "waitlist"})
	events.Fields.Add(&core.SelectField{Name: "status", Required: true, Values: []string{"draft", "published", "cancelled"}, MaxSelect: 1})
	timestamps(events)
	events.AddIndex("idx_events_status_starts", false, "status, starts_at", "")
	if err := app.Save(events); err != nil {
		return fmt.Errorf("events: %w", err)
	}

	registrations := core.NewBaseCollection("registrations")
	organiserOnly(registrations)
	registrations.Fields.Add(&core.RelationField{Name: "event", Required: true, CollectionId: events.Id, MaxSelect: 1, CascadeDelete: true})
	// name and email are not required by the schema: retention erases them
	// while the row (and so the counts) stays. The record hooks require a
	// name on every record that has not been erased.
	registrations.Fields.Add(&core.TextField{Name: "name", Max: 200})
	registrations.Fields.Add(&core.EmailField{Name: "email"})
	registrations.Fields.Add(&core.SelectField{Name: "locale", Values: locales, MaxSelect: 1})
	registrations.Fields.Add(&core.SelectField{Name: "status", Required: true, Values: []string{"confirmed", "waitlisted", "cancelled"}, MaxSelect: 1})
	registrations.Fields.Add(&core.BoolField{Name: "photo_consent"})
	registrations.Fields.Add(&core.SelectField{Name: "interpretation", Values: languages, MaxSelect: len(languages)})
	registrations.Fields.Add(&core.TextField{Name: "ticket", Required: true, Min: 24, Max: 64, Pattern: "^[A-Za-z0-9]+$", AutogeneratePattern: ticketPattern, Hidden: false})
	registrations.Fields.Add(&core.DateField{Name: "cancelled_at"})
	registrations.Fields.Add(&core.DateField{Name: "erased_at"})
	timestamps(registrations)
	registrations.AddIndex("idx_registrations_ticket", true, "ticket", "")
	// One live registration per e-mail and event; cancelled and erased rows do not count.
	registrations.AddIndex("idx_registrations_event_email", true, "event, email", "email != '' AND status != 'cancelled'")
	registrations.AddIndex("idx_registrations_event_status", false, "event, status, created", "")
	if err := app.Save(registrations); err != nil {
		return fmt.Errorf("registrations: %w", err)
	}

	checkins := core.NewBaseCollection("checkins")
	organiserOnly(checkins)
	checkins.Fields.Add(&core.RelationField{Name: "registration", Required: true, CollectionId: registrations.Id, MaxSelect: 1, CascadeDelete: true})
	checkins.Fields.Add(&core.RelationField{Name: "event", Required: true, CollectionId: events.Id, MaxSelect: 1, CascadeDelete: true})
	checkins.Fields.Add(&core.DateField{Name: "at", Required: true})
	checkins.Fields.Add(&core.SelectField{Name: "method", Required: true, Values: []string{"qr", "manual", "walkin"}, MaxSelect: 1})
	timestamps(checkins)
	// A person is checked in once: the database, not the handler, decides.
	checkins.AddIndex("idx_checkins_registration", true, "registration", "")
	checkins.AddIndex("idx_checkins_event_at", false, "event, at", "")
	if err := app.Save(checkins); err != nil {
		return fmt.Errorf("checkins: %w", err)
	}

	shifts := core.NewBaseCollection("shifts")
	organiserOnly(shifts)
	shifts.Fields.Add(&core.RelationField{Name: "event", Required: true, CollectionId: events.Id, MaxSelect: 1, CascadeDelete: true})
	shifts.Fields.Add(&core.SelectField{Name: "role", Required: true, Values: skills, MaxSelect: 1})
	shifts.Fields.Add(&core.NumberField{Name: "needed", Required: true, OnlyInt: true, Min: types.Pointer(1.0)})
	shifts.Fields.Add(&core.DateField{Name: "starts_at", Required: true})
	shifts.Fields.Add(&core.DateField{Name: "ends_at", Required: true})
	shifts.Fields.Add(&core.TextField{Name: "notes", Max: 1000})
	timestamps(shifts)
	shifts.AddIndex("idx_shifts_event", false, "event, starts_at", "")
	if err := app.Save(shifts); err != nil {
		return fmt.Errorf("shifts: %w", err)
	}

	assignments := core.NewBaseCollection("assignments")
	organiserOnly(assignments)
	assignments.Fields.Add(&core.RelationField{Name: "shift", Required: true, CollectionId: shifts.Id, MaxSelect: 1, CascadeDelete: true})
	assignments.Fields.Add(&core.RelationField{Name: "volunteer", Required: true, CollectionId: volunteers.Id, MaxSelect: 1, CascadeDelete: true})
	assignments.Fields.Add(&core.SelectField{Name: "status", Required: true, Values: []string{"invited", "accepted", "declined", "cancelled"}, MaxSelect: 1})
	assignments.Fields.Add(&core.TextField{Name: "token", Required: true, Min: 24, Max: 64, Pattern: "^[A-Za-z0-9]+$", AutogeneratePattern: ticketPattern, Hidden: true})
	assignments.Fields.Add(&core.DateField{Name: "responded_at"})
	assignments.Fields.Add(&core.DateField{Name: "reminded_at"})
	timestamps(assignments)
	assignments.AddIndex("idx_assignments_shift_volunteer", true, "shift, volunteer", "")
	assignments.AddIndex("idx_assignments_token", true, "token", "")
	assignments.AddIndex("idx_assignments_volunteer", false, "volunteer, status", "")
	if err := app.Save(assignments); err != nil {
		return fmt.Errorf("assignments: %w", err)
	}

	// Shifts are visible to the volunteers assigned to them (the portal and
	// the scanner need the time window and the role).
	shifts.ListRule = types.Pointer(isOrganiser + " || assignments_via_shift.volunteer ?= @request.auth.id")
	shifts.ViewRule = shifts.ListRule
	return app.Save(shifts)
}

func down(app core.App) error {
	for _, name := range []string{"assignments", "shifts", "checkins", "registrations", "events", "volunteers", "organisers"} {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			continue
		}
		if err := app.Delete(c); err != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
	}
	return nil
}
