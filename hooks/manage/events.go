package manage

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/attendance"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/series"
	"kopa/hooks/volunteers"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// MaxSeriesWeeks bounds the weekly series helper.
const MaxSeriesWeeks = 52

// EventForm is the state of the event form.
type EventForm struct {
	ID                              string
	Kind                            string
	Status                          domain.EventStatus
	Venue                           string
	TitleLV, TitleEN, TitleRU       string
	SummaryLV, SummaryEN, SummaryRU string
	// TitleUK… are the optional texts in Ukrainian, Arabic and Persian.
	TitleUK, TitleAR, TitleFA       string
	SummaryUK, SummaryAR, SummaryFA string
	Starts, Ends                    string // datetime-local, Riga time
	Capacity                        string
	Waitlist                        bool
	// MaxParty is the largest party one registration may hold (1 to
	// domain.MaxPartyLimit); EmailOptional lets people register without
	// an e-mail address; Childcare: the event offers child minding.
	MaxParty      string
	EmailOptional bool
	Childcare     bool
	// MoveShifts: the shifts move with the event when its start changes
	// (asked only of an event that has shifts).
	MoveShifts bool
	// Shifts are the event's volunteer shifts with their filled places.
	Shifts []volunteers.ShiftView
	Errors map[string]string
	// Notice is a message id shown after a redirect ("saved", "published"…).
	Notice string
	// Repeated is how many sessions the weekly series helper created.
	Repeated int
	// Series is the weekly series the event is a session of, or "".
	Series        string
	Stats         domain.Stats
	KindOptions   []string
	StatusOptions []domain.EventStatus
}

// localLayout is the value of an <input type="datetime-local">.
const localLayout = "2006-01-02T15:04"

func toLocal(d types.DateTime) string {
	if d.IsZero() {
		return ""
	}
	return d.Time().In(i18n.Riga).Format(localLayout)
}

// fromLocal reads a datetime-local value as Riga wall-clock time.
func fromLocal(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(localLayout, s, i18n.Riga)
	return t, err == nil
}

func formOf(r *core.Record) EventForm {
	return EventForm{
		ID: r.Id, Kind: r.GetString("kind"), Status: domain.EventStatusOf(r), Venue: r.GetString("venue"),
		TitleLV: r.GetString("title_lv"), TitleEN: r.GetString("title_en"), TitleRU: r.GetString("title_ru"),
		SummaryLV: r.GetString("summary_lv"), SummaryEN: r.GetString("summary_en"), SummaryRU: r.GetString("summary_ru"),
		TitleUK: r.GetString("title_uk"), TitleAR: r.GetString("title_ar"), TitleFA: r.GetString("title_fa"),
		SummaryUK: r.GetString("summary_uk"), SummaryAR: r.GetString("summary_ar"), SummaryFA: r.GetString("summary_fa"),
		Starts: toLocal(r.GetDateTime("starts_at")), Ends: toLocal(r.GetDateTime("ends_at")),
		Capacity: strconv.Itoa(r.GetInt("capacity")), Waitlist: r.GetBool("waitlist"),
		MaxParty: strconv.Itoa(domain.MaxParty(r)), EmailOptional: domain.EmailOptional(r), Childcare: domain.OffersChildcare(r),
		MoveShifts: true, Series: domain.SeriesOf(r),
	}
}

func showForm(e *core.RequestEvent, status int, f EventForm) error {
	f.KindOptions = domain.Kinds
	// Cancelling mails everyone registered, so it has its own button with
	// a confirmation; the status list offers it only to show it.
	f.StatusOptions = []domain.EventStatus{domain.EventDraft, domain.EventPublished}
	if f.Status == domain.EventCancelled {
		f.StatusOptions = append(f.StatusOptions, domain.EventCancelled)
	}
	title := "manage.new_event"
	if f.ID != "" {
		title = "manage.edit_event"
		f.Stats, _ = attendance.ForEvent(e.App, f.ID)
		shifts, err := volunteers.EventShifts(e.App, f.ID, web.Lang(e))
		if err != nil {
			return err
		}
		f.Shifts = shifts
	}
	return web.Render(e, status, "manage/event", web.NewConsolePage(e, title, f))
}

// notices are the messages a redirect back to the event form may show.
var notices = map[string]bool{"saved": true, "published": true, "cancelled": true}

func eventForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if id == "" {
		start := time.Now().In(i18n.Riga).AddDate(0, 0, 7).Truncate(time.Hour)
		return showForm(e, http.StatusOK, EventForm{
			Kind: domain.KindDiscussion, Status: domain.EventDraft, Capacity: "0", Waitlist: true, MaxParty: "1",
			Starts: start.Format(localLayout), Ends: start.Add(2 * time.Hour).Format(localLayout),
		})
	}
	r, err := e.App.FindRecordById(domain.Events, id)
	if err != nil {
		return web.NotFound(e)
	}
	f := formOf(r)
	q := e.Request.URL.Query()
	if n := q.Get("notice"); notices[n] {
		f.Notice = n
	}
	f.Repeated, _ = strconv.Atoi(q.Get("repeated"))
	return showForm(e, http.StatusOK, f)
}

// formErrors are the event form's checks that need a person's eyes; the
// collection's own rules (lengths, select values) catch the rest on save.
func (f *EventForm) check() (starts, ends time.Time, capacity, maxParty int) {
	var ok1, ok2 bool
	starts, ok1 = fromLocal(f.Starts)
	ends, ok2 = fromLocal(f.Ends)
	if !ok1 {
		f.Errors["starts_at"] = "manage.error.date"
	}
	if !ok2 {
		f.Errors["ends_at"] = "manage.error.date"
	}
	if ok1 && ok2 && !ends.After(starts) {
		f.Errors["ends_at"] = "manage.error.ends_before"
	}
	capacity, err := strconv.Atoi(f.Capacity)
	if err != nil || capacity < 0 {
		f.Errors["capacity"] = "manage.error.capacity"
	}
	maxParty, err = strconv.Atoi(f.MaxParty)
	if f.MaxParty == "" {
		maxParty, err = 1, nil
	}
	if err != nil || maxParty < 1 || maxParty > domain.MaxPartyLimit {
		f.Errors["max_party"] = "manage.error.max_party"
	}
	if f.TitleLV == "" {
		f.Errors["title_lv"] = "manage.error.title"
	}
	return starts, ends, capacity, maxParty
}

func eventSave(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	var rec *core.Record
	if id == "" {
		col, err := e.App.FindCachedCollectionByNameOrId(domain.Events)
		if err != nil {
			return err
		}
		rec = core.NewRecord(col)
	} else {
		var err error
		if rec, err = e.App.FindRecordById(domain.Events, id); err != nil {
			return web.NotFound(e)
		}
	}
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	trim := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := EventForm{
		ID: id, Kind: v.Get("kind"), Status: domain.EventStatus(v.Get("status")), Venue: trim("venue"),
		TitleLV: trim("title_lv"), TitleEN: trim("title_en"), TitleRU: trim("title_ru"),
		SummaryLV: trim("summary_lv"), SummaryEN: trim("summary_en"), SummaryRU: trim("summary_ru"),
		TitleUK: trim("title_uk"), TitleAR: trim("title_ar"), TitleFA: trim("title_fa"),
		SummaryUK: trim("summary_uk"), SummaryAR: trim("summary_ar"), SummaryFA: trim("summary_fa"),
		Starts: trim("starts_at"), Ends: trim("ends_at"), Capacity: trim("capacity"), Waitlist: v.Get("waitlist") != "",
		MaxParty: trim("max_party"), EmailOptional: v.Get("email_optional") != "", Childcare: v.Get("childcare") != "",
		MoveShifts: v.Get("move_shifts") != "",
		Errors:     map[string]string{},
	}
	starts, ends, capacity, maxParty := f.check()
	if len(f.Errors) > 0 {
		return showForm(e, http.StatusBadRequest, f)
	}
	moved := time.Duration(0)
	if !rec.IsNew() && f.MoveShifts {
		moved = starts.Sub(rec.GetDateTime("starts_at").Time())
	}
	rec.Load(map[string]any{
		"kind": f.Kind, "status": f.Status, "venue": f.Venue,
		"title_lv": f.TitleLV, "title_en": f.TitleEN, "title_ru": f.TitleRU,
		"summary_lv": f.SummaryLV, "summary_en": f.SummaryEN, "summary_ru": f.SummaryRU,
		"title_uk": f.TitleUK, "title_ar": f.TitleAR, "title_fa": f.TitleFA,
		"summary_uk": f.SummaryUK, "summary_ar": f.SummaryAR, "summary_fa": f.SummaryFA,
		"starts_at": domain.DateTime(starts), "ends_at": domain.DateTime(ends), "capacity": capacity, "waitlist": f.Waitlist,
		"max_party": maxParty, "email_optional": f.EmailOptional, "childcare": f.Childcare,
	})
	// A status change to cancelled mails everyone registered (mailOnCancel);
	// a new time, place or title tells them and the volunteers what changed
	// (package notices), with the shifts as they are once moved.
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(rec); err != nil {
			return err
		}
		_, err := volunteers.MoveShifts(tx, rec.Id, moved)
		return err
	})
	if err != nil {
		e.App.Logger().Info("event not saved", "event", id, "error", err)
		f.Errors["form"] = "manage.error.save"
		var verrs validation.Errors
		if errors.As(err, &verrs) {
			for field := range verrs {
				if field == "venue" || strings.HasPrefix(field, "title_") || strings.HasPrefix(field, "summary_") {
					// Line breaks or control characters (the events' own
					// check): a form sent by hand, or text pasted with them.
					f.Errors["form"] = "manage.error.control"
				}
			}
		}
		return showForm(e, http.StatusBadRequest, f)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+rec.Id+"?notice=saved")
}

// eventPublish puts a draft on the public pages.
func eventPublish(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	if domain.EventStatusOf(rec) != domain.EventPublished {
		rec.Set("status", domain.EventPublished)
		if err := e.App.Save(rec); err != nil {
			return fmt.Errorf("publish event %s: %w", rec.Id, err)
		}
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+rec.Id+"?notice=published")
}

// eventCancel cancels an event once the organiser ticked the box that says
// everyone registered will be told. Registrations keep their status (the
// counts and the reports stay true); the event's status tells the ticket
// pages and the door that it is off.
func eventCancel(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	if domain.EventStatusOf(rec) == domain.EventCancelled {
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+rec.Id+"?notice=cancelled")
	}
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	if v.Get("confirm") == "" {
		f := formOf(rec)
		f.Errors = map[string]string{"confirm": "manage.error.confirm_cancel"}
		return showForm(e, http.StatusBadRequest, f)
	}
	rec.Set("status", domain.EventCancelled)
	if err := e.App.Save(rec); err != nil {
		return fmt.Errorf("cancel event %s: %w", rec.Id, err)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+rec.Id+"?notice=cancelled")
}

// mailOnCancel runs when an event is saved with the status cancelled: if
// the stored event had another status and has not ended, everyone registered (confirmed or
// waiting) is told, in their language, through the outbox, in the same
// transaction as the status change, so the mail goes out exactly when the
// cancellation commits. The stored status is read in that transaction
// (not the record's Original, which a record saved twice in memory keeps
// stale), so a cancellation mails once.
func mailOnCancel(e *core.RecordEvent) error {
	if domain.EventStatusOf(e.Record) != domain.EventCancelled {
		return e.Next()
	}
	original := e.App
	defer func() { e.App = original }()
	return e.App.RunInTransaction(func(tx core.App) error {
		var was domain.EventStatus
		err := tx.DB().Select("status").From(domain.Events).Where(dbx.HashExp{"id": e.Record.Id}).Row(&was)
		if err != nil {
			return fmt.Errorf("status of event %s: %w", e.Record.Id, err)
		}
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		// An event that is over is only being tidied up: nobody needs
		// to hear that it will not take place.
		if was == domain.EventCancelled || !e.Record.GetDateTime("ends_at").Time().After(time.Now()) {
			return nil
		}
		return mailCancellation(tx, e.Record)
	})
}

// mailCancellation queues the cancellation mail of every confirmed and
// waiting registration of ev that still has an address, and of every
// volunteer invited to or accepted on one of its shifts.
func mailCancellation(tx core.App, ev *core.Record) error {
	regs, err := tx.FindAllRecords(domain.Registrations,
		dbx.HashExp{"event": ev.Id}, dbx.In("status", domain.RegistrationConfirmed, domain.RegistrationWaitlisted), dbx.NewExp("email != ''"))
	if err != nil {
		return fmt.Errorf("registrations of cancelled event %s: %w", ev.Id, err)
	}
	// A cancellation mail still waiting from an earlier cancellation (the
	// event was cancelled, put back on and cancelled again) says it all.
	var waiting []string
	err = tx.DB().Select("o.ref").From(outbox.Collection+" o").
		InnerJoin("registrations r", dbx.NewExp("r.id = o.ref")).
		Where(dbx.HashExp{"r.event": ev.Id, "o.template": "ticket_" + registration.MailCancelled, "o.status": outbox.StatusPending}).
		Column(&waiting)
	if err != nil {
		return fmt.Errorf("waiting cancellation mails: %w", err)
	}
	queued := make(map[string]bool, len(waiting))
	for _, ref := range waiting {
		queued[ref] = true
	}
	for _, r := range regs {
		if queued[r.Id] {
			continue
		}
		// Written when it is sent (and not sent if the event is back on
		// by then).
		if err := registration.QueueTicketMail(tx, r, registration.MailCancelled); err != nil {
			return err
		}
	}
	if len(regs) > 0 {
		tx.Logger().Info("event cancelled, registrations told", "event", ev.Id, "mails", len(regs))
	}
	return volunteers.QueueEventCancelled(tx, ev)
}

// eventRepeat makes the event a weekly series reaching the next N weeks
// (package series): sessions at the same Riga wall-clock time (the weekly
// conversation clubs), across summer-time changes. A week that already has
// the same event at that time is skipped, so pressing the button twice does
// not double the series. Copies of a published event are published; of a
// cancelled one, drafts.
func eventRepeat(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	weeks, err := strconv.Atoi(strings.TrimSpace(v.Get("weeks")))
	if err != nil || weeks < 1 || weeks > MaxSeriesWeeks {
		f := formOf(rec)
		f.Errors = map[string]string{"weeks": "manage.error.weeks"}
		return showForm(e, http.StatusBadRequest, f)
	}
	created, err := series.Repeat(e.App, rec, weeks)
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, fmt.Sprintf("/manage/events/%s?repeated=%d", rec.Id, created))
}
