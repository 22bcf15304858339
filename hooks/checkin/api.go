package checkin

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/access"
	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/contact"
	"kopa/internal/domain"
)

// ClockSkew is how far in the future a device's scan time may be.
const ClockSkew = 5 * time.Minute

// ScanWindow is the door's one rule for when a check-in may happen: from
// this long before an event starts until this long after it ends. It holds
// for a scan answered at once (its time is the server's clock) and for a
// scan made offline and sent later (its time is the device's, so a wrong
// clock cannot put a check-in on another day) alike: outside it the answer
// is 400 with "at" validation_outside_event, and the scanner page judges a
// scan outside it the same way without a connection, so the door never
// lets someone in whom the server would refuse at sync. An organiser who
// records attendance days later does so in the console, not at the door.
const ScanWindow = 24 * time.Hour

// ListKeep is how long after an event ends a door device keeps the event's
// offline ticket list: long enough for an evening that runs late, short
// enough that a phone left in a coat holds no list the next morning. The
// list is deleted by the scanner page (open, or opened again) and by its
// service worker at the next visit to any console page; a list past its
// time is never used to judge a scan.
const ListKeep = 6 * time.Hour

// SyncGrace is how long after a scan a door volunteer may still send it.
// Door staff in a basement often get their connection back only when they
// leave, after their shift has ended; the scans they made during it are
// still theirs to send.
const SyncGrace = 12 * time.Hour

// Register binds the door's API and its page.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/api/checkin", apiCheckIn)
		se.Router.GET("/api/events/{id}/stats", apiStats)
		se.Router.POST("/api/events/{id}/walkin", apiWalkIn)
		se.Router.GET("/api/events/{id}/search", apiSearch)
		se.Router.GET("/api/events/{id}/tickets", apiTickets)
		bindScanner(se)
		return se.Next()
	})
}

// door checks that the request's token may work the door of eventID:
// 401 without a token, 403 for one that may not.
func door(e *core.RequestEvent, eventID string) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in to check people in.", nil)
	}
	if !access.CanWorkDoor(e.App, e.Auth, eventID, time.Now()) {
		return e.ForbiddenError("You may not check people in at this event.", nil)
	}
	return nil
}

type checkInBody struct {
	Event        string               `json:"event"`
	Code         string               `json:"code"`
	Registration string               `json:"registration"`
	At           string               `json:"at"`
	Method       domain.CheckinMethod `json:"method"`
	// Arrived is how many of the party came in; absent, the whole party.
	Arrived json.RawMessage `json:"arrived"`
}

// arrivedOf reads the optional "arrived": a whole number from 1 up
// (whether the party holds that many is decided with the ticket). 0 for
// none given.
func arrivedOf(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != float64(int(f)) {
		return 0, validation.NewError("validation_not_int", "Must be a whole number of people.")
	}
	if f < 1 || f > domain.MaxPartyLimit {
		return 0, validation.NewError("validation_arrived_range", "Must be at least 1 and at most the ticket's party.")
	}
	return int(f), nil
}

func apiCheckIn(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in to check people in.", nil)
	}
	data, err := web.ReadBody(e)
	if err != nil {
		return err
	}
	var b checkInBody
	if err := json.Unmarshal(data, &b); err != nil {
		return e.BadRequestError("The body must be a JSON object with event and code.", validation.Errors{"body": validation.NewError("validation_invalid_json", "Must be a JSON object.")})
	}
	errs := validation.Errors{}
	switch {
	case b.Event == "":
		errs["event"] = validation.NewError("validation_required", "Cannot be blank.")
	case len(b.Event) > 50:
		errs["event"] = validation.NewError("validation_length_too_long", "Not an event id.")
	}
	if b.Code == "" && b.Registration == "" {
		errs["code"] = validation.NewError("validation_required", "Send the ticket code (or the registration id).")
	}
	if b.Method == "" {
		b.Method = domain.CheckinQR
		if b.Registration != "" {
			b.Method = domain.CheckinManual
		}
	}
	if b.Method != domain.CheckinQR && b.Method != domain.CheckinManual {
		errs["method"] = validation.NewError("validation_invalid_value", "Must be qr or manual.")
	}
	arrived, err := arrivedOf(b.Arrived)
	if err != nil {
		errs["arrived"] = err
	}
	now := time.Now()
	at := now
	if b.At != "" {
		t, err := types.ParseDateTime(b.At)
		switch {
		case err != nil || t.IsZero():
			errs["at"] = validation.NewError("validation_invalid_datetime", "Must be a UTC date and time.")
		case t.Time().After(now.Add(ClockSkew)):
			errs["at"] = validation.NewError("validation_in_future", "Must not be in the future.")
		default:
			at = t.Time()
		}
	}
	if len(errs) > 0 {
		return e.BadRequestError("Please check the highlighted fields.", errs)
	}
	if err := door(e, b.Event); err != nil {
		// A volunteer's scan made during their door shift may arrive
		// after it (see SyncGrace).
		if b.At == "" || now.Sub(at) > SyncGrace || !access.CanWorkDoor(e.App, e.Auth, b.Event, at) {
			return err
		}
	}
	// Every check-in, sent at once or later, falls around the event (see
	// ScanWindow).
	open, err := doorOpen(e.App, b.Event, at)
	if errors.Is(err, sql.ErrNoRows) {
		return e.NotFoundError("No such event.", nil)
	}
	if err != nil {
		return err
	}
	if !open {
		return e.BadRequestError("Please check the highlighted fields.", validation.Errors{
			"at": validation.NewError("validation_outside_event", "The door checks people in from a day before the event until a day after it."),
		})
	}
	// A volunteer's personal code starts differently from any ticket's:
	// a ticket's scan is not slowed by it.
	if b.Registration == "" && domain.IsVolunteerCode(strings.TrimSpace(b.Code)) {
		return checkInVolunteer(e, b.Event, strings.TrimSpace(b.Code), at)
	}
	var res Result
	if b.Registration != "" {
		res, err = CheckInRegistrationArrived(e.App, b.Event, b.Registration, b.Method, at, arrived)
	} else if code, ok := ParseCode(b.Code); ok {
		res, err = CheckInArrived(e.App, b.Event, code, b.Method, at, arrived)
	} else {
		res, err = withStats(e.App, b.Event, unknown())
	}
	if errors.Is(err, ErrNoEvent) {
		return e.NotFoundError("No such event.", nil)
	}
	if errors.Is(err, ErrMoreThanParty) {
		return e.BadRequestError("Please check the highlighted fields.", validation.Errors{
			"arrived": validation.NewError("validation_more_than_party", fmt.Sprintf("The ticket holds %d people.", res.Party)),
		})
	}
	if err != nil {
		return err
	}
	res.Name = access.DoorName(e.Auth, res.Name)
	return e.JSON(http.StatusOK, res)
}

// doorOpen reports whether at lies within the event's ScanWindow. It reads
// the event's two times only: it runs on every check-in.
func doorOpen(app core.App, eventID string, at time.Time) (bool, error) {
	var ev struct {
		Starts types.DateTime `db:"starts_at"`
		Ends   types.DateTime `db:"ends_at"`
	}
	err := app.DB().NewQuery("SELECT starts_at, ends_at FROM events WHERE id = {:id} LIMIT 1").
		Bind(dbx.Params{"id": eventID}).One(&ev)
	if err != nil {
		return false, err
	}
	from, to := Window(ev.Starts.Time(), ev.Ends.Time())
	return !at.Before(from) && !at.After(to), nil
}

// Window is when the door of an event that starts and ends at these times
// checks people in (see ScanWindow).
func Window(starts, ends time.Time) (from, to time.Time) {
	return starts.Add(-ScanWindow), ends.Add(ScanWindow)
}

func apiStats(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := door(e, id); err != nil {
		return err
	}
	st, err := attendance.ForEvent(e.App, id)
	if err != nil {
		return e.NotFoundError("No such event.", nil)
	}
	return e.JSON(http.StatusOK, st)
}

type walkInBody struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Override bool   `json:"override"`
}

func apiWalkIn(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := door(e, id); err != nil {
		return err
	}
	data, err := web.ReadBody(e)
	if err != nil {
		return err
	}
	var b walkInBody
	if err := json.Unmarshal(data, &b); err != nil {
		return e.BadRequestError("The body must be a JSON object with a name.", validation.Errors{"body": validation.NewError("validation_invalid_json", "Must be a JSON object.")})
	}
	// The name and e-mail rules of every entry point; the e-mail is
	// optional at the door.
	errs := validation.Errors{}
	if b.Name, err = contact.Name(b.Name); err != nil {
		errs["name"] = err
	}
	if b.Email, err = contact.Email(b.Email); b.Email != "" && err != nil {
		errs["email"] = err
	}
	if b.Override && !domain.IsStaff(e.Auth) {
		errs["override"] = validation.NewError("validation_organisers_only", "Only organisers may let people in over capacity.")
	}
	if len(errs) > 0 {
		return e.BadRequestError("Please check the highlighted fields.", errs)
	}
	res, err := WalkIn(e.App, id, b.Name, b.Email, b.Override, time.Now())
	switch {
	case errors.Is(err, ErrNoEvent):
		return e.NotFoundError("No such event.", nil)
	case errors.Is(err, ErrFull):
		return web.CodeError(http.StatusConflict, "full", "The event is full; an organiser may let people in anyway.")
	case errors.Is(err, ErrEventCancelled):
		return web.CodeError(http.StatusConflict, "event_cancelled", "The event was cancelled; nobody can be checked in.")
	case err != nil:
		return err
	}
	// A volunteer is told the short name, as everywhere at the door: a
	// walk-in with the address of an existing registration checks that
	// registration in, and the answer must not tell a volunteer who
	// probes addresses the full name behind one.
	res.Name = access.DoorName(e.Auth, res.Name)
	return e.JSON(http.StatusOK, res)
}

// Match is one registration found at the door: by name or e-mail for
// organisers, by name only for door volunteers (see apiSearch).
type Match struct {
	Registration string                    `json:"registration"`
	Name         string                    `json:"name"`
	Email        string                    `json:"email"`
	Status       domain.RegistrationStatus `json:"status"`
	CheckedInAt  string                    `json:"checked_in_at"`
	PhotoConsent bool                      `json:"photo_consent"`
}

// Matches reports whether q is part of the name or the e-mail, ignoring
// case in any alphabet.
func Matches(q, name, email string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	return strings.Contains(strings.ToLower(name), q) || strings.Contains(strings.ToLower(email), q)
}

// MaskEmail shows enough of an address to tell two people apart and no
// more: a***@example.com.
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 1 {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + "***" + s[at:]
}

func apiSearch(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := door(e, id); err != nil {
		return err
	}
	q := strings.TrimSpace(e.Request.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) < 2 || len(q) > 200 {
		return e.BadRequestError("Type at least two letters.", validation.Errors{"q": validation.NewError("validation_length_too_short", "At least two characters.")})
	}
	rows, err := attendance.Registrations(e.App, id, 0)
	if err != nil {
		return err
	}
	// SQLite folds only ASCII letters, and names here are Latvian, Russian,
	// Arabic…: the event's registrations are matched in Go, and the first
	// matches by name are shown.
	//
	// A door volunteer's search matches only what they are shown, the
	// short name: matching the hidden address let one recover it a
	// character at a time, and matching the full name would give away the
	// surname the same way. It is also what the list on a door device
	// matches offline, so a search finds the same people either way.
	organiser := domain.IsStaff(e.Auth)
	found := make([]attendance.Registration, 0, 20)
	for _, r := range rows {
		match := Matches(q, access.ShortName(r.Name), "")
		if organiser {
			match = Matches(q, r.Name, r.Email)
		}
		if match && r.ErasedAt == "" {
			found = append(found, r)
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	found = found[:min(len(found), 20)]
	out := make([]Match, 0, len(found))
	for _, r := range found {
		email := r.Email
		if !organiser {
			email = MaskEmail(email)
		}
		out = append(out, Match{Registration: r.ID, Name: access.DoorName(e.Auth, r.Name), Email: email, Status: r.Status, CheckedInAt: r.CheckedInAt, PhotoConsent: r.PhotoConsent})
	}
	return e.JSON(http.StatusOK, map[string]any{"items": out})
}

// OfflineTicket is what a door device keeps to judge scans without a
// connection. It holds as little as the door needs: no e-mail, the name
// only as far as a greeting needs it (access.ShortName), and not the ticket code
// (a secret that can cancel the registration) but its SHA-256 (CodeHash),
// which the device compares with the hash of what it scans. A lost phone
// then holds no working ticket.
type OfflineTicket struct {
	Registration string                    `json:"registration"`
	Hash         string                    `json:"hash"`
	Name         string                    `json:"name"`
	Status       domain.RegistrationStatus `json:"status"`
	PhotoConsent bool                      `json:"photo_consent"`
	CheckedInAt  string                    `json:"checked_in_at"`
	// Party, Interpretation and Childcare are the ticket's, as a check-in
	// answers them; Arrived is how many of the party were let in (0 until
	// checked in). The device judges a party offline as the server would.
	Party          int      `json:"party"`
	Arrived        int      `json:"arrived"`
	Interpretation []string `json:"interpretation"`
	Childcare      int      `json:"childcare"`
}

// partyRow is what the door's list needs of a registration beside
// attendance's row.
type partyRow struct {
	ID             string `db:"id"`
	Party          int    `db:"party"`
	Childcare      int    `db:"childcare"`
	Interpretation string `db:"interpretation"`
	Arrived        int    `db:"arrived"`
}

// parties reads the party, wishes and arrived count of an event's
// registrations, by registration.
func parties(app core.App, eventID string) (map[string]partyRow, error) {
	var rows []partyRow
	err := app.DB().NewQuery(`SELECT r.id, r.party, r.childcare, r.interpretation, COALESCE(c.arrived, 0) AS arrived
		FROM registrations r LEFT JOIN checkins c ON c.registration = r.id WHERE r.event = {:e}`).
		Bind(dbx.Params{"e": eventID}).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("parties of %s: %w", eventID, err)
	}
	out := make(map[string]partyRow, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

func apiTickets(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := door(e, id); err != nil {
		return err
	}
	ev, err := e.App.FindRecordById(domain.Events, id)
	if err != nil {
		return e.NotFoundError("No such event.", nil)
	}
	rows, err := attendance.Registrations(e.App, id, 0)
	if err != nil {
		return err
	}
	party, err := parties(e.App, id)
	if err != nil {
		return err
	}
	out := make([]OfflineTicket, 0, len(rows))
	for _, r := range rows {
		p := party[r.ID]
		h := holder{Party: p.Party, Interpretation: p.Interpretation}
		arrived := 0
		if r.CheckedInAt != "" {
			arrived = max(p.Arrived, 1)
		}
		out = append(out, OfflineTicket{Registration: r.ID, Hash: CodeHash(r.Ticket), Name: access.ShortName(r.Name),
			Status: r.Status, PhotoConsent: r.PhotoConsent, CheckedInAt: r.CheckedInAt,
			Party: h.party(), Arrived: arrived, Interpretation: h.languages(), Childcare: p.Childcare})
	}
	if out, err = withStandingTickets(e.App, id, out); err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, map[string]any{"event": id, "ends_at": ev.GetString("ends_at"), "keep_hours": int(ListKeep / time.Hour),
		"cancelled": domain.EventStatusOf(ev) == domain.EventCancelled, "tickets": out})
}

// withStandingTickets adds to an event's offline list the standing places'
// tickets (package series) of its seats: the same entry under the hash of
// the standing ticket's code, so the standing ticket is recognised offline
// at this session, and at no other event.
func withStandingTickets(app core.App, eventID string, list []OfflineTicket) ([]OfflineTicket, error) {
	var rows []struct {
		Registration string `db:"registration"`
		Ticket       string `db:"ticket"`
	}
	err := app.DB().NewQuery(`SELECT r.id AS registration, s.ticket AS ticket FROM registrations r
		JOIN standing s ON s.id = r.standing WHERE r.event = {:e} AND r.standing != ''`).
		Bind(dbx.Params{"e": eventID}).All(&rows)
	if err != nil || len(rows) == 0 {
		return list, err
	}
	byReg := make(map[string]int, len(list))
	for i, t := range list {
		byReg[t.Registration] = i
	}
	for _, r := range rows {
		if i, ok := byReg[r.Registration]; ok {
			t := list[i]
			t.Hash = CodeHash(r.Ticket)
			list = append(list, t)
		}
	}
	return list, nil
}
