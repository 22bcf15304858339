package volunteers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/i18n"
	migrations "kopa/pb_migrations"
)

// Register binds sign-up, confirmation, the portal, invitations, the
// organisers' shifts page, and the daily reminders.
func Register(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/api/volunteers/signup", apiSignUp)
		se.Router.POST("/api/shifts/{id}/invite", apiInvite)
		se.Router.GET("/volunteer", signUpPage)
		se.Router.POST("/volunteer", signUpForm)
		se.Router.GET("/volunteer/confirm", confirmPage)
		se.Router.POST("/volunteer/confirm", confirmPage)
		se.Router.GET("/volunteer/me", portal).BindFunc(web.RequireSession("volunteers"))
		se.Router.POST("/volunteer/me", portalSave).BindFunc(web.RequireSession("volunteers"))
		se.Router.POST("/volunteer/me/delete", deleteAccount).BindFunc(web.RequireSession("volunteers"))
		se.Router.GET("/i/{token}", invitePage)
		se.Router.POST("/i/{token}/accept", answerHandler(true))
		se.Router.POST("/i/{token}/decline", answerHandler(false))
		se.Router.GET("/manage/events/{id}/shifts", shiftsPage).BindFunc(web.RequireSession("organisers"))
		se.Router.POST("/manage/events/{id}/shifts", shiftsPost).BindFunc(web.RequireSession("organisers"))
		return se.Next()
	})
	app.Cron().MustAdd("kopaVolunteerReminders", "*/15 * * * *", func() {
		if n, err := SendReminders(app, time.Now()); err != nil {
			app.Logger().Error("volunteer reminders", "error", err)
		} else if n > 0 {
			app.Logger().Info("volunteer reminders queued", "count", n)
		}
	})
}

// MyShift is one of the volunteer's shifts or invitations.
type MyShift struct {
	Token, Status, Role, Title, Venue string
	Starts, Ends                      time.Time
}

func myShifts(app core.App, v *core.Record, lang string) ([]MyShift, error) {
	now, _ := types.ParseDateTime(time.Now().UTC())
	var rows []struct {
		Token  string `db:"token"`
		Status string `db:"status"`
		Role   string `db:"role"`
		Starts string `db:"starts_at"`
		Ends   string `db:"ends_at"`
		Event  string `db:"event"`
	}
	err := app.DB().NewQuery(`SELECT a.token, a.status, s.role, s.starts_at, s.ends_at, s.event FROM assignments a
		JOIN shifts s ON s.id = a.shift WHERE a.volunteer = {:v} AND a.status IN ('invited','accepted') AND s.ends_at >= {:now}
		ORDER BY s.starts_at`).Bind(dbx.Params{"v": v.Id, "now": now.String()}).All(&rows)
	if err != nil {
		return nil, err
	}
	out := make([]MyShift, 0, len(rows))
	for _, r := range rows {
		ev, err := app.FindRecordById("events", r.Event)
		if err != nil {
			continue
		}
		s, _ := types.ParseDateTime(r.Starts)
		e, _ := types.ParseDateTime(r.Ends)
		out = append(out, MyShift{Token: r.Token, Status: r.Status, Role: r.Role, Title: web.Localized(ev, "title", lang), Venue: ev.GetString("venue"), Starts: s.Time(), Ends: e.Time()})
	}
	return out, nil
}

func portal(e *core.RequestEvent) error {
	shifts, err := myShifts(e.App, e.Auth, web.Lang(e))
	if err != nil {
		return err
	}
	return web.Show(e, "volunteer/me", "vol.me_title", map[string]any{
		"V": e.Auth, "Shifts": shifts, "Languages": migrations.Languages, "Skills": migrations.Skills,
		"Mine": map[string]bool{}, "Saved": e.Request.URL.Query().Get("saved") == "1",
	})
}

func portalSave(e *core.RequestEvent) error {
	if !web.CheckCSRF(e) {
		return web.ErrorPage(e, http.StatusForbidden, "error.forbidden.title", "error.csrf")
	}
	f := e.Request.PostForm
	langs, skills := f["languages"], f["skills"]
	if len(langs) == 0 || !subset(langs, migrations.Languages) || !subset(skills, migrations.Skills) {
		return e.Redirect(http.StatusSeeOther, "/volunteer/me")
	}
	v := e.Auth
	v.Set("languages", langs)
	v.Set("skills", skills)
	if l := f.Get("locale"); i18n.IsSupported(l) {
		v.Set("locale", l)
	}
	if err := e.App.Save(v); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/volunteer/me?saved=1")
}

// deleteAccount erases the volunteer; their assignments go with the record
// (cascade), so no shift keeps a link to them.
func deleteAccount(e *core.RequestEvent) error {
	if !web.CheckCSRF(e) || e.Request.PostForm.Get("confirm") != "yes" {
		return e.Redirect(http.StatusSeeOther, "/volunteer/me")
	}
	if err := e.App.Delete(e.Auth); err != nil {
		return err
	}
	web.ClearSession(e)
	return web.ErrorPage(e, http.StatusOK, "vol.deleted_title", "vol.deleted")
}

// ShiftRow is a shift on the organisers' page.
type ShiftRow struct {
	ID, Role       string
	Starts, Ends   time.Time
	Needed, Filled int
	Invited        int
	Assignees      []string
}

func shiftsPage(e *core.RequestEvent) error { return renderShifts(e, http.StatusOK, "") }

func renderShifts(e *core.RequestEvent, status int, msg string) error {
	ev, err := e.App.FindRecordById("events", e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	shifts, err := e.App.FindRecordsByFilter("shifts", "event = {:e}", "starts_at", 100, 0, dbx.Params{"e": ev.Id})
	if err != nil {
		return err
	}
	var rows []ShiftRow
	for _, s := range shifts {
		as, _ := e.App.FindAllRecords("assignments", dbx.HashExp{"shift": s.Id})
		r := ShiftRow{ID: s.Id, Role: s.GetString("role"), Starts: s.GetDateTime("starts_at").Time(), Ends: s.GetDateTime("ends_at").Time(), Needed: s.GetInt("needed")}
		for _, a := range as {
			v, err := e.App.FindRecordById("volunteers", a.GetString("volunteer"))
			name := "?"
			if err == nil {
				name = v.GetString("name")
			}
			switch a.GetString("status") {
			case "accepted":
				r.Filled++
			case "invited":
				r.Invited++
			}
			r.Assignees = append(r.Assignees, name+" ("+a.GetString("status")+")")
		}
		rows = append(rows, r)
	}
	// Interpretation wished for by the people registered.
	needs := map[string]int{}
	regs, _ := e.App.FindAllRecords("registrations", dbx.HashExp{"event": ev.Id}, dbx.NewExp("status != 'cancelled'"))
	for _, r := range regs {
		for _, l := range r.GetStringSlice("interpretation") {
			needs[l]++
		}
	}
	st, _ := attendance.ForEvent(e.App, ev.Id)
	start := ev.GetDateTime("starts_at").Time().In(i18n.Riga)
	p := web.NewPage(e, "vol.shifts_title", map[string]any{
		"Event": web.NewEventView(ev, web.Lang(e), st), "Shifts": rows, "Needs": needs, "Message": msg,
		"Roles": migrations.Skills, "Languages": migrations.Languages,
		"DefaultStart": start.Add(-30 * time.Minute).Format("2006-01-02T15:04"), "DefaultEnd": ev.GetDateTime("ends_at").Time().In(i18n.Riga).Format("2006-01-02T15:04"),
	})
	p.Wide = true
	p.Styles = []string{"css/manage.css"}
	return web.Render(e, status, "manage/shifts", p)
}

func shiftsPost(e *core.RequestEvent) error {
	if !web.CheckCSRF(e) {
		return web.ErrorPage(e, http.StatusForbidden, "error.forbidden.title", "error.csrf")
	}
	ev, err := e.App.FindRecordById("events", e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	f := e.Request.PostForm
	switch f.Get("action") {
	case "create":
		needed, _ := strconv.Atoi(f.Get("needed"))
		s, ok1 := parseLocal(f.Get("starts_at"))
		en, ok2 := parseLocal(f.Get("ends_at"))
		role := f.Get("role")
		if !ok1 || !ok2 || !en.After(s) || needed < 1 || !subset([]string{role}, migrations.Skills) {
			return renderShifts(e, http.StatusBadRequest, "vol.error.shift")
		}
		col, _ := e.App.FindCachedCollectionByNameOrId("shifts")
		r := core.NewRecord(col)
		r.Load(map[string]any{"event": ev.Id, "role": role, "needed": needed, "starts_at": dt(s), "ends_at": dt(en)})
		if err := e.App.Save(r); err != nil {
			return renderShifts(e, http.StatusBadRequest, "vol.error.shift")
		}
		return renderShifts(e, http.StatusOK, "manage.saved")
	case "interpreters":
		var langs []string
		regs, _ := e.App.FindAllRecords("registrations", dbx.HashExp{"event": ev.Id}, dbx.NewExp("status != 'cancelled'"))
		seen := map[string]bool{}
		for _, r := range regs {
			for _, l := range r.GetStringSlice("interpretation") {
				if !seen[l] {
					seen[l] = true
					langs = append(langs, l)
				}
			}
		}
		if len(langs) == 0 {
			return renderShifts(e, http.StatusOK, "vol.invited_false")
		}
		shift, err := e.App.FindFirstRecordByFilter("shifts", "event = {:e} && role = 'interpreting'", dbx.Params{"e": ev.Id})
		if err != nil {
			col, _ := e.App.FindCachedCollectionByNameOrId("shifts")
			shift = core.NewRecord(col)
			shift.Load(map[string]any{"event": ev.Id, "role": "interpreting", "needed": len(langs),
				"starts_at": dt(ev.GetDateTime("starts_at").Time().Add(-30 * time.Minute)), "ends_at": ev.GetDateTime("ends_at")})
			if err := e.App.Save(shift); err != nil {
				return err
			}
		}
		list, err := Matching(e.App, Match{Languages: langs, Skills: []string{"interpreting"}})
		if err != nil {
			return err
		}
		n, err := Invite(e.App, shift, list)
		if err != nil {
			return err
		}
		return renderShifts(e, http.StatusOK, "vol.invited_"+strconv.FormatBool(n > 0))
	case "invite":
		shift, err := e.App.FindRecordById("shifts", f.Get("shift"))
		if err != nil || shift.GetString("event") != ev.Id {
			return renderShifts(e, http.StatusBadRequest, "vol.error.shift")
		}
		m := Match{Languages: f["languages"], Skills: []string{shift.GetString("role")}}
		if !subset(m.Languages, migrations.Languages) {
			return renderShifts(e, http.StatusBadRequest, "vol.error.shift")
		}
		list, err := Matching(e.App, m)
		if err != nil {
			return err
		}
		n, err := Invite(e.App, shift, list)
		if err != nil {
			return err
		}
		return renderShifts(e, http.StatusOK, "vol.invited_"+strings.TrimSpace(strconv.FormatBool(n > 0)))
	}
	return renderShifts(e, http.StatusBadRequest, "vol.error.shift")
}

// SendReminders queues one reminder to every volunteer with an accepted
// shift that starts within the next day and has not been reminded, and
// marks it in the same transaction. It returns how many it queued.
func SendReminders(app core.App, now time.Time) (int, error) {
	from, _ := types.ParseDateTime(now.UTC())
	to, _ := types.ParseDateTime(now.UTC().Add(24 * time.Hour))
	var ids []string
	err := app.DB().NewQuery(`SELECT a.id FROM assignments a JOIN shifts s ON s.id = a.shift
		WHERE a.status = 'accepted' AND a.reminded_at = '' AND s.starts_at > {:from} AND s.starts_at <= {:to}`).
		Bind(dbx.Params{"from": from.String(), "to": to.String()}).Column(&ids)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := app.RunInTransaction(func(tx core.App) error {
			a, err := tx.FindRecordById("assignments", id)
			if err != nil || a.GetString("status") != "accepted" || !a.GetDateTime("reminded_at").IsZero() {
				return err
			}
			v, err := tx.FindRecordById("volunteers", a.GetString("volunteer"))
			if err != nil {
				return err
			}
			shift, err := tx.FindRecordById("shifts", a.GetString("shift"))
			if err != nil {
				return err
			}
			ev, err := tx.FindRecordById("events", shift.GetString("event"))
			if err != nil {
				return err
			}
			l := web.Catalog().For(localeOf(v))
			title := web.Localized(ev, "title", l.Lang)
			err = queueNotice(tx, v, "volunteer_reminder", l.T("vol.mail.reminder_subject", "Title", title),
				[]string{l.T("vol.mail.reminder", "Role", l.T("skill."+shift.GetString("role")), "Title", title,
					"When", l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time()), "Venue", ev.GetString("venue"))},
				[]Button{{l.T("vol.mail.my_page"), base(tx) + "/volunteer/me"}})
			if err != nil {
				return err
			}
			a.Set("reminded_at", from)
			n++
			return tx.Save(a)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func parseLocal(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02T15:04", s, i18n.Riga)
	return t, err == nil
}

func dt(t time.Time) types.DateTime {
	d, _ := types.ParseDateTime(t.UTC())
	return d
}
