// Package manage is the organisers' console at /manage: events with their
// counts, creating, editing, publishing and cancelling them in three
// languages, weekly series for the conversation clubs, one event's
// registrations with manual check-in and walk-ins, reports, the mail that
// could not be sent, and the organisation's settings.
package manage

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/attendance"
	"kopa/hooks/checkin"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/reports"
	"kopa/hooks/retention"
	"kopa/hooks/web"
	"kopa/internal/i18n"
)

// Register binds the console's pages; all of them are for organisers only,
// and every form checks the CSRF token.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		g := se.Router.Group("/manage")
		g.BindFunc(web.RequireSession("organisers"))
		g.BindFunc(csrf)
		g.GET("", dashboard)
		g.GET("/events/new", eventForm)
		g.POST("/events/new", eventSave)
		g.GET("/events/{id}", eventForm)
		g.POST("/events/{id}", eventSave)
		g.POST("/events/{id}/cancel", eventCancel)
		g.POST("/events/{id}/repeat", eventRepeat)
		g.GET("/events/{id}/registrations", registrations)
		g.POST("/events/{id}/checkin", manualCheckIn)
		g.POST("/events/{id}/walkin", walkIn)
		g.GET("/reports", reportPage)
		g.GET("/settings", settingsPage)
		g.POST("/settings", settingsSave)
		g.GET("/mail", mailPage)
		g.POST("/mail/retry", mailRetry)
		return se.Next()
	})
}

// csrf refuses a console form posted without this browser's token.
func csrf(e *core.RequestEvent) error {
	if e.Request.Method == http.MethodPost && !web.CheckCSRF(e) {
		return web.ErrorPage(e, http.StatusForbidden, "error.forbidden.title", "error.csrf")
	}
	return e.Next()
}

// EventRow is one line of the console's list.
type EventRow struct {
	web.EventView
	StatusLabel string
}

func dashboard(e *core.RequestEvent) error {
	lang := web.Lang(e)
	since, _ := types.ParseDateTime(time.Now().UTC().AddDate(0, 0, -14))
	recs, err := e.App.FindRecordsByFilter("events", "ends_at >= {:since} || status = 'draft'", "starts_at", 500, 0, dbx.Params{"since": since.String()})
	if err != nil {
		return err
	}
	rows := make([]EventRow, 0, len(recs))
	for _, r := range recs {
		st, err := attendance.ForEvent(e.App, r.Id)
		if err != nil {
			return err
		}
		rows = append(rows, EventRow{EventView: web.NewEventView(r, lang, st)})
	}
	p := web.NewPage(e, "manage.title", map[string]any{"Events": rows})
	p.Wide = true
	p.Styles = []string{"css/manage.css"}
	return web.Render(e, http.StatusOK, "manage/index", p)
}

// EventForm is the state of the event form.
type EventForm struct {
	ID                              string
	Kind, Status, Venue             string
	TitleLV, TitleEN, TitleRU       string
	SummaryLV, SummaryEN, SummaryRU string
	Starts, Ends                    string // datetime-local, Riga time
	Capacity                        int
	Waitlist                        bool
	Errors                          map[string]string
	Saved                           bool
	Stats                           attendance.Stats
	HasShifts, HasLive              bool
	KindOptions, StatusOptions      []string
}

const localLayout = "2006-01-02T15:04"

func toLocal(d types.DateTime) string {
	if d.IsZero() {
		return ""
	}
	return d.Time().In(i18n.Riga).Format(localLayout)
}

func fromLocal(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(localLayout, s, i18n.Riga)
	return t, err == nil
}

func formOf(r *core.Record) EventForm {
	return EventForm{
		ID: r.Id, Kind: r.GetString("kind"), Status: r.GetString("status"), Venue: r.GetString("venue"),
		TitleLV: r.GetString("title_lv"), TitleEN: r.GetString("title_en"), TitleRU: r.GetString("title_ru"),
		SummaryLV: r.GetString("summary_lv"), SummaryEN: r.GetString("summary_en"), SummaryRU: r.GetString("summary_ru"),
		Starts: toLocal(r.GetDateTime("starts_at")), Ends: toLocal(r.GetDateTime("ends_at")),
		Capacity: r.GetInt("capacity"), Waitlist: r.GetBool("waitlist"),
	}
}

func showForm(e *core.RequestEvent, status int, f EventForm) error {
	f.KindOptions = []string{"discussion", "club", "culture"}
	f.StatusOptions = []string{"draft", "published", "cancelled"}
	if f.ID != "" {
		f.Stats, _ = attendance.ForEvent(e.App, f.ID)
	}
	title := "manage.new_event"
	if f.ID != "" {
		title = "manage.edit_event"
	}
	p := web.NewPage(e, title, f)
	p.Wide = true
	p.Styles = []string{"css/manage.css"}
	return web.Render(e, status, "manage/event", p)
}

func eventForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if id == "" {
		start := time.Now().In(i18n.Riga).AddDate(0, 0, 7).Truncate(time.Hour)
		return showForm(e, http.StatusOK, EventForm{Kind: "discussion", Status: "draft", Starts: start.Format(localLayout), Ends: start.Add(2 * time.Hour).Format(localLayout), Waitlist: true})
	}
	r, err := e.App.FindRecordById("events", id)
	if err != nil {
		return web.NotFound(e)
	}
	f := formOf(r)
	f.Saved = e.Request.URL.Query().Get("saved") == "1"
	return showForm(e, http.StatusOK, f)
}

func eventSave(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	col, err := e.App.FindCachedCollectionByNameOrId("events")
	if err != nil {
		return err
	}
	rec := core.NewRecord(col)
	if id != "" {
		if rec, err = e.App.FindRecordById("events", id); err != nil {
			return web.NotFound(e)
		}
	}
	v := e.Request.PostForm
	capacity, capErr := strconv.Atoi(strings.TrimSpace(v.Get("capacity")))
	f := EventForm{
		ID: id, Kind: v.Get("kind"), Status: v.Get("status"), Venue: strings.TrimSpace(v.Get("venue")),
		TitleLV: strings.TrimSpace(v.Get("title_lv")), TitleEN: strings.TrimSpace(v.Get("title_en")), TitleRU: strings.TrimSpace(v.Get("title_ru")),
		SummaryLV: strings.TrimSpace(v.Get("summary_lv")), SummaryEN: strings.TrimSpace(v.Get("summary_en")), SummaryRU: strings.TrimSpace(v.Get("summary_ru")),
		Starts: v.Get("starts_at"), Ends: v.Get("ends_at"), Capacity: capacity, Waitlist: v.Get("waitlist") != "",
		Errors: map[string]string{},
	}
	starts, ok1 := fromLocal(f.Starts)
	ends, ok2 := fromLocal(f.Ends)
	if !ok1 {
		f.Errors["starts_at"] = "manage.error.date"
	}
	if !ok2 {
		f.Errors["ends_at"] = "manage.error.date"
	}
	if ok1 && ok2 && !ends.After(starts) {
		f.Errors["ends_at"] = "manage.error.ends_before"
	}
	if capErr != nil || capacity < 0 {
		f.Errors["capacity"] = "manage.error.capacity"
	}
	if f.TitleLV == "" {
		f.Errors["title_lv"] = "manage.error.title"
	}
	if len(f.Errors) > 0 {
		return showForm(e, http.StatusBadRequest, f)
	}
	wasPublished := rec.GetString("status")
	rec.Load(map[string]any{
		"kind": f.Kind, "status": f.Status, "venue": f.Venue,
		"title_lv": f.TitleLV, "title_en": f.TitleEN, "title_ru": f.TitleRU,
		"summary_lv": f.SummaryLV, "summary_en": f.SummaryEN, "summary_ru": f.SummaryRU,
		"starts_at": dt(starts), "ends_at": dt(ends), "capacity": f.Capacity, "waitlist": f.Waitlist,
	})
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(rec); err != nil {
			return err
		}
		if f.Status == "cancelled" && wasPublished != "cancelled" && id != "" {
			return mailCancellation(tx, rec)
		}
		return nil
	})
	if err != nil {
		f.Errors["form"] = "manage.error.save"
		return showForm(e, http.StatusBadRequest, f)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+rec.Id+"?saved=1")
}

// mailCancellation tells everyone registered (confirmed or waiting) that the
// event is cancelled, in their language, in the cancelling transaction.
func mailCancellation(tx core.App, ev *core.Record) error {
	regs, err := tx.FindAllRecords("registrations",
		dbx.HashExp{"event": ev.Id}, dbx.In("status", registration.StatusConfirmed, registration.StatusWaitlisted), dbx.NewExp("email != ''"))
	if err != nil {
		return err
	}
	for _, r := range regs {
		msg, err := registration.TicketMail(tx, ev, r, registration.MailCancelled)
		if err != nil {
			return err
		}
		msg.Attachments = nil // no ticket for a cancelled event
		if _, err := outbox.Enqueue(tx, msg); err != nil {
			return err
		}
	}
	return nil
}

func eventCancel(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById("events", e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	if rec.GetString("status") != "cancelled" {
		err = e.App.RunInTransaction(func(tx core.App) error {
			wasPublished := rec.GetString("status") == "published"
			rec.Set("status", "cancelled")
			if err := tx.Save(rec); err != nil {
				return err
			}
			if wasPublished {
				return mailCancellation(tx, rec)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+rec.Id+"?saved=1")
}

// eventRepeat copies an event to the next N weeks at the same Riga time
// (the weekly conversation clubs), as drafts unless the original is
// published.
func eventRepeat(e *core.RequestEvent) error {
	rec, err := e.App.FindRecordById("events", e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	weeks, err := strconv.Atoi(e.Request.PostForm.Get("weeks"))
	if err != nil || weeks < 1 || weeks > 52 {
		f := formOf(rec)
		f.Errors = map[string]string{"weeks": "manage.error.weeks"}
		return showForm(e, http.StatusBadRequest, f)
	}
	start := rec.GetDateTime("starts_at").Time().In(i18n.Riga)
	length := rec.GetDateTime("ends_at").Time().Sub(rec.GetDateTime("starts_at").Time())
	err = e.App.RunInTransaction(func(tx core.App) error {
		for w := 1; w <= weeks; w++ {
			s := start.AddDate(0, 0, 7*w) // same wall-clock time in Riga, across DST changes
			c := core.NewRecord(rec.Collection())
			for _, k := range []string{"kind", "title_lv", "title_en", "title_ru", "summary_lv", "summary_en", "summary_ru", "venue", "capacity", "waitlist", "status"} {
				c.Set(k, rec.Get(k))
			}
			if c.GetString("status") == "cancelled" {
				c.Set("status", "draft")
			}
			c.Set("starts_at", dt(s))
			c.Set("ends_at", dt(s.Add(length)))
			if err := tx.Save(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/manage")
}

// RegistrationRow is one registration in the console.
type RegistrationRow struct {
	ID, Name, Email, Status, Locale string
	Created, CheckedIn              string
	PhotoConsent                    bool
}

func registrations(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById("events", e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	q := strings.TrimSpace(e.Request.URL.Query().Get("q"))
	var rows []struct {
		ID      string `db:"id"`
		Name    string `db:"name"`
		Email   string `db:"email"`
		Status  string `db:"status"`
		Locale  string `db:"locale"`
		Created string `db:"created"`
		At      string `db:"at"`
		Photo   bool   `db:"photo_consent"`
	}
	err = e.App.DB().NewQuery(`SELECT r.id, r.name, r.email, r.status, r.locale, r.created, r.photo_consent, COALESCE(c.at, '') AS at
		FROM registrations r LEFT JOIN checkins c ON c.registration = r.id
		WHERE r.event = {:e} ORDER BY r.rowid LIMIT 5000`).Bind(dbx.Params{"e": ev.Id}).All(&rows)
	if err != nil {
		return err
	}
	l := web.Catalog().For(web.Lang(e))
	list := make([]RegistrationRow, 0, len(rows))
	for _, r := range rows {
		if !checkin.Matches(q, r.Name, r.Email) {
			continue
		}
		row := RegistrationRow{ID: r.ID, Name: r.Name, Email: r.Email, Status: r.Status, Locale: r.Locale, PhotoConsent: r.Photo}
		if t, err := types.ParseDateTime(r.Created); err == nil {
			row.Created = l.DateTime(t.Time())
		}
		if t, err := types.ParseDateTime(r.At); err == nil && !t.IsZero() {
			row.CheckedIn = l.Time(t.Time())
		}
		list = append(list, row)
	}
	st, _ := attendance.ForEvent(e.App, ev.Id)
	p := web.NewPage(e, "manage.registrations", map[string]any{
		"Event": web.NewEventView(ev, web.Lang(e), st), "Rows": list, "Q": q, "Notice": e.Request.URL.Query().Get("notice"),
	})
	p.Wide = true
	p.Styles = []string{"css/manage.css"}
	return web.Render(e, http.StatusOK, "manage/registrations", p)
}

func manualCheckIn(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	res, err := checkin.CheckInRegistration(e.App, id, e.Request.PostForm.Get("registration"), checkin.MethodManual, time.Now())
	if err != nil {
		return web.NotFound(e)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+id+"/registrations?notice="+res.Result)
}

func walkIn(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	name := strings.TrimSpace(e.Request.PostForm.Get("name"))
	email := strings.ToLower(strings.TrimSpace(e.Request.PostForm.Get("email")))
	if name == "" || len([]rune(name)) > registration.MaxName || (email != "" && registration.ValidateEmail(email) != nil) {
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+id+"/registrations?notice=invalid")
	}
	res, err := checkin.WalkIn(e.App, id, name, email, e.Request.PostForm.Get("override") != "", time.Now())
	switch {
	case err == checkin.ErrFull:
		return e.Redirect(http.StatusSeeOther, "/manage/events/"+id+"/registrations?notice=full")
	case err != nil:
		return web.NotFound(e)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/events/"+id+"/registrations?notice="+res.Result)
}

// ReportData is what the reports page shows.
type ReportData struct {
	From, To string
	Report   reports.Report
	Errors   map[string]string
	Max      int
}

// NoShow is the share of confirmed people who did not come, in percent.
func (ReportData) NoShow(r reports.EventRow) int {
	if r.Confirmed == 0 {
		return 0
	}
	n := (r.Confirmed - r.CheckedIn) * 100 / r.Confirmed
	if n < 0 {
		return 0
	}
	return n
}

// Bar is a bar's height in the chart, in percent of the tallest.
func (d ReportData) Bar(n int) int {
	if d.Max == 0 {
		return 0
	}
	return n * 100 / d.Max
}

func reportPage(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	now := time.Now().In(i18n.Riga)
	d := ReportData{From: q.Get("from"), To: q.Get("to")}
	if d.From == "" {
		d.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, i18n.Riga).AddDate(0, -2, 0).Format("2006-01-02")
	}
	if d.To == "" {
		d.To = now.AddDate(0, 1, 0).Format("2006-01-02")
	}
	status := http.StatusOK
	from, to, err := reports.ParsePeriod(d.From, d.To)
	if err != nil {
		d.Errors = map[string]string{"period": "manage.error.period"}
		status = http.StatusBadRequest
	} else if d.Report, err = reports.Attendance(e.App, from, to); err != nil {
		return err
	}
	for _, r := range d.Report.Events {
		if r.Confirmed > d.Max {
			d.Max = r.Confirmed
		}
	}
	p := web.NewPage(e, "manage.reports", d)
	p.Wide = true
	p.Styles = []string{"css/manage.css"}
	return web.Render(e, status, "manage/reports", p)
}

func settingsPage(e *core.RequestEvent) error {
	p := web.NewPage(e, "manage.settings", map[string]any{"S": retention.Load(e.App), "Saved": e.Request.URL.Query().Get("saved") == "1"})
	p.Styles = []string{"css/manage.css"}
	return web.Render(e, http.StatusOK, "manage/settings", p)
}

func settingsSave(e *core.RequestEvent) error {
	v := e.Request.PostForm
	days, err := strconv.Atoi(strings.TrimSpace(v.Get("retention_days")))
	s := retention.Settings{RetentionDays: days, OrgName: strings.TrimSpace(v.Get("org_name")), ContactEmail: strings.TrimSpace(v.Get("contact_email")), ContactPhone: strings.TrimSpace(v.Get("contact_phone"))}
	bad := err != nil || days < 1 || days > 3650 || (s.ContactEmail != "" && registration.ValidateEmail(strings.ToLower(s.ContactEmail)) != nil) || len(s.OrgName) > 200 || len(s.ContactPhone) > 40
	if bad {
		p := web.NewPage(e, "manage.settings", map[string]any{"S": s, "Error": "manage.error.settings"})
		p.Styles = []string{"css/manage.css"}
		return web.Render(e, http.StatusBadRequest, "manage/settings", p)
	}
	rows, err := e.App.FindRecordsByFilter("kopa_settings", "", "created", 1, 0)
	if err != nil || len(rows) == 0 {
		return err
	}
	r := rows[0]
	r.Load(map[string]any{"retention_days": s.RetentionDays, "org_name": s.OrgName, "contact_email": s.ContactEmail, "contact_phone": s.ContactPhone})
	if err := e.App.Save(r); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/manage/settings?saved=1")
}

// MailRow is a mail that has not gone out.
type MailRow struct {
	ID, To, Subject, Status, LastError, Kind string
	Attempts                                 int
}

func mailPage(e *core.RequestEvent) error {
	recs, err := e.App.FindRecordsByFilter(outbox.Collection, "status != 'sent'", "-created", 200, 0)
	if err != nil {
		return err
	}
	rows := make([]MailRow, 0, len(recs))
	for _, r := range recs {
		rows = append(rows, MailRow{ID: r.Id, To: r.GetString("to"), Subject: r.GetString("subject"), Status: r.GetString("status"),
			LastError: r.GetString("last_error"), Kind: r.GetString("kind"), Attempts: r.GetInt("attempts")})
	}
	p := web.NewPage(e, "manage.mail", map[string]any{"Rows": rows})
	p.Wide = true
	p.Styles = []string{"css/manage.css"}
	return web.Render(e, http.StatusOK, "manage/mail", p)
}

// mailRetry puts failed mail back in the queue and makes everything due.
func mailRetry(e *core.RequestEvent) error {
	now := types.NowDateTime().String()
	_, err := e.App.DB().NewQuery("UPDATE " + outbox.Collection + " SET status = 'pending', attempts = 0, next_attempt_at = {:now}, updated = {:now} WHERE status = 'failed'").
		Bind(dbx.Params{"now": now}).Execute()
	if err != nil {
		return err
	}
	if err := outbox.RetryNow(e.App); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/manage/mail")
}

func dt(t time.Time) types.DateTime {
	d, _ := types.ParseDateTime(t.UTC())
	return d
}
