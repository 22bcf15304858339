// Package domain is Kopā's vocabulary: the names of its collections, the
// statuses a record can be in, the kinds of event, the languages, skills
// and locales, who is who among signed-in records, the rules several
// features share, and an event as the pages show it.
//
// It sits below every feature and imports none of them. The migrations in
// pb_migrations keep frozen copies of the values they created; a test
// proves that the schema and this vocabulary agree.
package domain

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/internal/i18n"
)

// Collection names.
const (
	// Organisers are the accounts of the NGO's staff (auth).
	Organisers = "organisers"
	// Volunteers are the volunteers' accounts (auth).
	Volunteers = "volunteers"
	// Events are the discussions, clubs and cultural visits.
	Events = "events"
	// Registrations are the public's places at an event, with their tickets.
	Registrations = "registrations"
	// Checkins are the arrivals at the door, one per registration at most.
	Checkins = "checkins"
	// Shifts are the volunteer places an event needs.
	Shifts = "shifts"
	// Assignments are the volunteers invited to a shift, and their answers.
	Assignments = "assignments"
	// Settings is the organisation's settings, in a single row.
	Settings = "kopa_settings"
	// MailOutbox is the durable mail queue.
	MailOutbox = "mail_outbox"
	// EventChanges are the changes of published events their people are
	// told of, with what they knew before.
	EventChanges = "event_changes"
	// EventMessages are what organisers wrote to an event's people.
	EventMessages = "event_messages"
	// Sessions are the sign-ins of organisers and volunteers on the pages;
	// logging out deletes one.
	Sessions = "sessions"
)

// EventStatus is where an event is in its life.
type EventStatus string

// Event statuses.
const (
	// EventDraft is seen only by organisers.
	EventDraft EventStatus = "draft"
	// EventPublished is on the public pages and takes registrations.
	EventPublished EventStatus = "published"
	// EventCancelled will not take place; its pages say so.
	EventCancelled EventStatus = "cancelled"
)

// EventStatuses are the values of events.status.
var EventStatuses = []EventStatus{EventDraft, EventPublished, EventCancelled}

// EventStatusOf is the status of an event record.
func EventStatusOf(ev *core.Record) EventStatus { return EventStatus(ev.GetString("status")) }

// RegistrationStatus is whether a registration holds a seat.
type RegistrationStatus string

// Registration statuses.
const (
	// RegistrationConfirmed holds a seat.
	RegistrationConfirmed RegistrationStatus = "confirmed"
	// RegistrationWaitlisted waits for a seat to come free.
	RegistrationWaitlisted RegistrationStatus = "waitlisted"
	// RegistrationCancelled was given up; the row stays for the counts.
	RegistrationCancelled RegistrationStatus = "cancelled"
)

// RegistrationStatuses are the values of registrations.status.
var RegistrationStatuses = []RegistrationStatus{RegistrationConfirmed, RegistrationWaitlisted, RegistrationCancelled}

// RegistrationStatusOf is the status of a registration record.
func RegistrationStatusOf(r *core.Record) RegistrationStatus {
	return RegistrationStatus(r.GetString("status"))
}

// AssignmentStatus is where a volunteer's invitation to a shift stands.
type AssignmentStatus string

// Assignment statuses.
const (
	// AssignmentInvited waits for the volunteer's answer.
	AssignmentInvited AssignmentStatus = "invited"
	// AssignmentAccepted: the volunteer takes the shift.
	AssignmentAccepted AssignmentStatus = "accepted"
	// AssignmentDeclined: the volunteer said no (or cancelled later).
	AssignmentDeclined AssignmentStatus = "declined"
	// AssignmentCancelled: an organiser withdrew the invitation.
	AssignmentCancelled AssignmentStatus = "cancelled"
)

// AssignmentStatuses are the values of assignments.status.
var AssignmentStatuses = []AssignmentStatus{AssignmentInvited, AssignmentAccepted, AssignmentDeclined, AssignmentCancelled}

// AssignmentStatusOf is the status of an assignment record.
func AssignmentStatusOf(a *core.Record) AssignmentStatus {
	return AssignmentStatus(a.GetString("status"))
}

// VolunteerStatus is whether an organiser has approved a volunteer: only
// approved volunteers are matched, invited, take shifts or work a door.
type VolunteerStatus string

// Volunteer statuses.
const (
	// VolunteerPending: signed up, waiting for an organiser's approval.
	VolunteerPending VolunteerStatus = "pending"
	// VolunteerApproved may be invited and work shifts.
	VolunteerApproved VolunteerStatus = "approved"
	// VolunteerPaused was approved once; an organiser paused them.
	VolunteerPaused VolunteerStatus = "paused"
)

// VolunteerStatuses are the values of volunteers.status.
var VolunteerStatuses = []VolunteerStatus{VolunteerPending, VolunteerApproved, VolunteerPaused}

// VolunteerStatusOf is the status of a volunteer record.
func VolunteerStatusOf(v *core.Record) VolunteerStatus { return VolunteerStatus(v.GetString("status")) }

// IsApproved reports whether volunteer v may be invited and work shifts.
func IsApproved(v *core.Record) bool { return VolunteerStatusOf(v) == VolunteerApproved }

// Audience is a group of an event's people an organisers' message can go
// to.
type Audience string

// Audiences of a message.
const (
	// AudienceConfirmed are the registrations with a seat.
	AudienceConfirmed Audience = "confirmed"
	// AudienceWaitlisted are the registrations on the waiting list.
	AudienceWaitlisted Audience = "waitlisted"
	// AudienceCheckedIn are the registrations checked in at the door.
	AudienceCheckedIn Audience = "checked_in"
	// AudienceVolunteers are the volunteers invited to or accepted on a
	// shift of the event.
	AudienceVolunteers Audience = "volunteers"
)

// Audiences are the values of event_messages.to, in the order the console
// offers them.
var Audiences = []Audience{AudienceConfirmed, AudienceWaitlisted, AudienceCheckedIn, AudienceVolunteers}

// CheckinMethod is how a person was checked in.
type CheckinMethod string

// Check-in methods.
const (
	// CheckinQR: the ticket's code was scanned.
	CheckinQR CheckinMethod = "qr"
	// CheckinManual: someone at the door found the registration by name.
	CheckinManual CheckinMethod = "manual"
	// CheckinWalkIn: the person came without registering and was
	// registered and checked in at the door.
	CheckinWalkIn CheckinMethod = "walkin"
)

// CheckinMethods are the values of checkins.method.
var CheckinMethods = []CheckinMethod{CheckinQR, CheckinManual, CheckinWalkIn}

// Kinds of event.
const (
	// KindDiscussion is an open conversation about life in Latvia.
	KindDiscussion = "discussion"
	// KindClub is a weekly session of a conversation club.
	KindClub = "club"
	// KindCulture is a museum, a concert or an excursion.
	KindCulture = "culture"
)

// Kinds are the values of events.kind, in the order the home page and the
// reports show them.
var Kinds = []string{KindDiscussion, KindClub, KindCulture}

// Languages a volunteer may speak (and a registrant may ask interpretation
// into).
var Languages = []string{"lv", "en", "ru", "uk", "ar", "fa", "fr", "de"}

// Volunteer skills; a shift's role is one of them.
const (
	// SkillInterpreting is interpreting for people who ask for it.
	SkillInterpreting = "interpreting"
	// SkillDoor is the door and the welcome: the one shift that may
	// check people in.
	SkillDoor = "door"
	// SkillHosting is hosting the conversations.
	SkillHosting = "hosting"
	// SkillChildcare is looking after children during the event.
	SkillChildcare = "childcare"
	// SkillLogistics is logistics.
	SkillLogistics = "logistics"
	// SkillPhoto is photography.
	SkillPhoto = "photo"
)

// Skills are the volunteer skills; shift roles use the same values.
var Skills = []string{SkillInterpreting, SkillDoor, SkillHosting, SkillChildcare, SkillLogistics, SkillPhoto}

// Locales are the languages Kopā speaks to people in: those it has message
// catalogues for (i18n.Supported, which decides), the default first.
var Locales = i18n.Supported

// IsOrganiser reports whether r is an organiser's account.
func IsOrganiser(r *core.Record) bool {
	return r != nil && r.Collection().Name == Organisers
}

// IsVolunteer reports whether r is a volunteer's account.
func IsVolunteer(r *core.Record) bool {
	return r != nil && r.Collection().Name == Volunteers
}

// IsStaff reports whether r may do what organisers do: an organiser, or a
// PocketBase superuser.
func IsStaff(r *core.Record) bool {
	return r != nil && (IsOrganiser(r) || r.IsSuperuser())
}

// RegistrationOpen reports whether an event in status that starts at
// startsAt takes registrations at now: published and not yet begun.
// Whether a seat is left is another question (EventView.Open asks both).
func RegistrationOpen(status EventStatus, startsAt, now time.Time) bool {
	return status == EventPublished && now.Before(startsAt)
}

// ShiftOpen reports whether a shift of ev that starts at startsAt can still
// be filled, answered or withdrawn from at now: it has not begun and the
// event is not cancelled.
func ShiftOpen(ev *core.Record, startsAt, now time.Time) bool {
	return now.Before(startsAt) && EventStatusOf(ev) != EventCancelled
}

// DateTime is t as PocketBase stores a date: a types.DateTime in UTC.
func DateTime(t time.Time) types.DateTime {
	d, _ := types.ParseDateTime(t.UTC()) // never fails for a time.Time
	return d
}
