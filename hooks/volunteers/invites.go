package volunteers

import (
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/access"
	"kopa/hooks/web"
	migrations "kopa/pb_migrations"
)

// Errors of answering an invitation.
var (
	ErrNoInvite  = errors.New("no such invitation")
	ErrExpired   = errors.New("the shift has started")
	ErrShiftFull = errors.New("the shift has all the people it needs")
)

// Match selects volunteers for a shift: verified, consenting to be
// contacted, speaking ANY of the languages (when given) and having ALL the
// skills (the shift's role when none are given).
type Match struct {
	Languages []string `json:"languages"`
	Skills    []string `json:"skills"`
}

// Matching lists the volunteers a match selects.
func Matching(app core.App, m Match) ([]*core.Record, error) {
	all, err := app.FindAllRecords("volunteers", dbx.HashExp{"verified": true, "contact_consent": true})
	if err != nil {
		return nil, err
	}
	var out []*core.Record
	for _, v := range all {
		langs, skills := v.GetStringSlice("languages"), v.GetStringSlice("skills")
		if len(m.Languages) > 0 && !anyOf(m.Languages, langs) {
			continue
		}
		if !allOf(m.Skills, skills) {
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

func anyOf(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

func allOf(want, have []string) bool {
	for _, w := range want {
		if !anyOf([]string{w}, have) {
			return false
		}
	}
	return true
}

// Invite creates an invitation (assignment) for each volunteer not yet
// invited to the shift and queues one mail each in their language, all in
// one transaction. It returns how many were newly invited.
func Invite(app core.App, shift *core.Record, volunteers []*core.Record) (int, error) {
	n := 0
	err := app.RunInTransaction(func(tx core.App) error {
		ev, err := tx.FindRecordById("events", shift.GetString("event"))
		if err != nil {
			return err
		}
		col, err := tx.FindCachedCollectionByNameOrId("assignments")
		if err != nil {
			return err
		}
		for _, v := range volunteers {
			_, err := tx.FindFirstRecordByFilter("assignments", "shift = {:s} && volunteer = {:v}", dbx.Params{"s": shift.Id, "v": v.Id})
			if err == nil {
				continue // invited before: nothing new
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			a := core.NewRecord(col)
			a.Load(map[string]any{"shift": shift.Id, "volunteer": v.Id, "status": "invited"})
			if err := tx.Save(a); err != nil {
				return err
			}
			if err := queueInvite(tx, v, shift, ev, a); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func queueInvite(tx core.App, v, shift, ev, a *core.Record) error {
	l := web.Catalog().For(localeOf(v))
	title := web.Localized(ev, "title", l.Lang)
	when := l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
	link := base(tx) + "/i/" + a.GetString("token")
	return queueNotice(tx, v, "volunteer_invite", l.T("vol.mail.invite_subject", "Title", title),
		[]string{l.T("vol.mail.invite", "Role", l.T("skill."+shift.GetString("role")), "Title", title, "When", when, "Venue", ev.GetString("venue"))},
		[]Button{{l.T("vol.accept"), link}})
}

type inviteBody struct {
	Volunteers []string `json:"volunteers"`
	Match      *Match   `json:"match"`
}

func apiInvite(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Sign in as an organiser.", nil)
	}
	if !access.IsOrganiser(e.Auth) {
		return e.ForbiddenError("Only organisers may invite.", nil)
	}
	shift, err := e.App.FindRecordById("shifts", e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such shift.", nil)
	}
	data, _ := io.ReadAll(io.LimitReader(e.Request.Body, 64<<10))
	var b inviteBody
	if err := json.Unmarshal(data, &b); err != nil || (b.Match == nil && len(b.Volunteers) == 0) {
		return e.BadRequestError("Send volunteers (a list of ids) or match.", validation.Errors{"volunteers": validation.NewError("validation_required", "Send volunteers or match.")})
	}
	var list []*core.Record
	if b.Match != nil {
		if !subset(b.Match.Languages, migrations.Languages) || !subset(b.Match.Skills, migrations.Skills) {
			return e.BadRequestError("Unknown language or skill.", validation.Errors{"match": validation.NewError("validation_invalid_value", "Unknown language or skill.")})
		}
		if len(b.Match.Skills) == 0 {
			b.Match.Skills = []string{shift.GetString("role")}
		}
		if list, err = Matching(e.App, *b.Match); err != nil {
			return err
		}
	} else {
		if len(b.Volunteers) > 500 {
			return e.BadRequestError("At most 500 volunteers at once.", validation.Errors{"volunteers": validation.NewError("validation_too_many", "At most 500.")})
		}
		for _, id := range b.Volunteers {
			v, err := e.App.FindRecordById("volunteers", id)
			if err != nil {
				return e.BadRequestError("Unknown volunteer.", validation.Errors{"volunteers": validation.NewError("validation_unknown_volunteer", "Unknown volunteer "+id+".")})
			}
			list = append(list, v)
		}
	}
	n, err := Invite(e.App, shift, list)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusAccepted, map[string]any{"invited": n})
}

// Answer records a volunteer's answer to an invitation in a transaction:
// accepting is refused when the shift already has the people it needs;
// declining frees the place. Answers can change until the shift starts.
func Answer(app core.App, token string, accept bool, now time.Time) (*core.Record, error) {
	var a *core.Record
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		if len(token) < 24 || len(token) > 64 {
			return ErrNoInvite
		}
		a, err = tx.FindFirstRecordByData("assignments", "token", token)
		if err != nil || a.GetString("status") == "cancelled" {
			return ErrNoInvite
		}
		shift, err := tx.FindRecordById("shifts", a.GetString("shift"))
		if err != nil {
			return ErrNoInvite
		}
		if !now.Before(shift.GetDateTime("starts_at").Time()) {
			return ErrExpired
		}
		status := "declined"
		if accept {
			status = "accepted"
			if a.GetString("status") != "accepted" {
				n, err := tx.CountRecords("assignments", dbx.HashExp{"shift": shift.Id, "status": "accepted"})
				if err != nil {
					return err
				}
				if int(n) >= shift.GetInt("needed") {
					return ErrShiftFull
				}
			}
		}
		at, _ := types.ParseDateTime(now.UTC())
		a.Set("status", status)
		a.Set("responded_at", at)
		return tx.Save(a)
	})
	return a, err
}

// InviteData is what the invitation page shows.
type InviteData struct {
	Token, Status, Role, Title, Venue string
	Starts, Ends                      time.Time
	Message                           string
}

func invitePage(e *core.RequestEvent) error {
	token := e.Request.PathValue("token")
	a, err := e.App.FindFirstRecordByData("assignments", "token", token)
	if err != nil || len(token) < 24 {
		return web.ErrorPage(e, http.StatusNotFound, "vol.invite_title", "vol.invite_unknown")
	}
	return showInvite(e, http.StatusOK, a, e.Request.URL.Query().Get("msg"))
}

func showInvite(e *core.RequestEvent, status int, a *core.Record, msg string) error {
	shift, err := e.App.FindRecordById("shifts", a.GetString("shift"))
	if err != nil {
		return web.ErrorPage(e, http.StatusNotFound, "vol.invite_title", "vol.invite_unknown")
	}
	ev, err := e.App.FindRecordById("events", shift.GetString("event"))
	if err != nil {
		return web.ErrorPage(e, http.StatusNotFound, "vol.invite_title", "vol.invite_unknown")
	}
	d := InviteData{Token: a.GetString("token"), Status: a.GetString("status"), Role: shift.GetString("role"),
		Title: web.Localized(ev, "title", web.Lang(e)), Venue: ev.GetString("venue"),
		Starts: shift.GetDateTime("starts_at").Time(), Ends: shift.GetDateTime("ends_at").Time(), Message: msg}
	if !time.Now().Before(d.Starts) && msg == "" {
		d.Message = "vol.invite_expired"
	}
	return web.Render(e, status, "invite", web.NewPage(e, "vol.invite_title", d))
}

func answerHandler(accept bool) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		token := e.Request.PathValue("token")
		json := strings.Contains(e.Request.Header.Get("Accept"), "application/json")
		a, err := Answer(e.App, token, accept, time.Now())
		var code, msg string
		status := http.StatusOK
		switch {
		case errors.Is(err, ErrNoInvite):
			if json {
				return e.NotFoundError("No such invitation.", nil)
			}
			return web.ErrorPage(e, http.StatusNotFound, "vol.invite_title", "vol.invite_unknown")
		case errors.Is(err, ErrExpired):
			status, code, msg = http.StatusGone, "expired", "vol.invite_expired"
		case errors.Is(err, ErrShiftFull):
			status, code, msg = http.StatusConflict, "full", "vol.invite_full"
		case err != nil:
			return err
		default:
			msg = "vol.answer_" + a.GetString("status")
		}
		if json {
			if code != "" {
				return web.CodeError(status, code, "The invitation cannot be accepted: "+code+".")
			}
			return e.JSON(http.StatusOK, map[string]any{"status": a.GetString("status")})
		}
		if back := e.Request.FormValue("back"); back == "me" && status == http.StatusOK {
			return e.Redirect(http.StatusSeeOther, "/volunteer/me")
		}
		if a == nil {
			a, _ = e.App.FindFirstRecordByData("assignments", "token", token)
		}
		if status != http.StatusOK {
			return showInvite(e, status, a, msg)
		}
		return e.Redirect(http.StatusSeeOther, "/i/"+token+"?msg="+msg)
	}
}
