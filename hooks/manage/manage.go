// Package manage is the organisers' console at /manage: events with their
// counts, creating, editing, publishing and cancelling them in three
// languages, weekly series for the conversation clubs, one event's
// registrations with manual check-in, walk-ins and erasure on request,
// reports, the mail that could not be sent, and the organisation's
// settings.
//
// Every page is for signed-in organisers (the session cookie of hooks/web)
// and every form checks the CSRF token (web.RequireCSRF); each handler
// reads its own form with web.ParseForm. The scanner, the live dashboard and
// the shifts page live under /manage too, in their own packages.
package manage

import (
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Register binds the console's pages and the hook that mails everyone
// registered when an event is cancelled (from the console, the record API
// or the admin UI alike).
func Register(app core.App) {
	app.OnRecordUpdateExecute(domain.Events).BindFunc(mailOnCancel)
	localizeResetMail(app)
	localizeCodeMail(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/manage/forgot", forgotPage)
		se.Router.POST("/manage/forgot", forgotSubmit)
		se.Router.GET("/manage/reset", resetPage)
		se.Router.POST("/manage/reset", resetSubmit)
		g := web.ConsoleGroup(se.Router, "/manage")
		g.GET("", dashboard)
		g.GET("/events/new", eventForm)
		g.POST("/events/new", eventSave)
		g.GET("/events/{id}", eventForm)
		g.POST("/events/{id}", eventSave)
		g.POST("/events/{id}/publish", eventPublish)
		g.POST("/events/{id}/cancel", eventCancel)
		g.POST("/events/{id}/repeat", eventRepeat)
		g.GET("/events/{id}/registrations", registrations)
		g.GET("/events/{id}/registrations.csv", registrationsCSV)
		g.GET("/events/{id}/registrations.xlsx", registrationsXLSX)
		g.POST("/events/{id}/checkin", manualCheckIn)
		g.POST("/events/{id}/walkin", walkIn)
		g.GET("/events/{id}/register", registerPage)
		g.POST("/events/{id}/register", registerSubmit)
		g.GET("/events/{id}/registrations/{rid}/ticket", consoleTicket)
		g.GET("/events/{id}/registrations/{rid}/erase", eraseConfirm)
		g.POST("/events/{id}/registrations/{rid}/erase", erase)
		g.GET("/reports", reportPage)
		g.GET("/reports.csv", reportCSV)
		g.GET("/reports.xlsx", reportXLSX)
		g.GET("/reports/volunteer-hours.csv", hoursCSV)
		g.GET("/settings", settingsPage)
		g.POST("/settings", settingsSave)
		g.POST("/settings/mfa", mfaSave)
		g.GET("/mail", mailPage)
		g.GET("/organisers", organisersPage)
		g.POST("/organisers", organiserInvite)
		g.POST("/mail/retry", mailRetry)
		return se.Next()
	})
}

// Dashboard is what the console's front page shows.
type Dashboard struct {
	Events []domain.EventView
	// Past is set when the list shows past events too.
	Past bool
	// Proxy names the forwarding headers of an untrusted reverse proxy.
	Proxy string
}

// recentDays is how long an event stays on the console's front page after
// it ended: long enough to export its registrations and check the counts.
const recentDays = 14

func dashboard(e *core.RequestEvent) error {
	lang := web.Lang(e)
	past := e.Request.URL.Query().Get("past") == "1"
	var (
		recs []*core.Record
		err  error
	)
	if past {
		recs, err = e.App.FindRecordsByFilter(domain.Events, "", "-starts_at", 1000, 0)
	} else {
		since := domain.DateTime(time.Now().UTC().AddDate(0, 0, -recentDays))
		recs, err = e.App.FindRecordsByFilter(domain.Events, "ends_at >= {:since} || status = {:draft}", "starts_at", 500, 0,
			dbx.Params{"since": since.String(), "draft": domain.EventDraft})
	}
	if err != nil {
		return err
	}
	rows := make([]domain.EventView, 0, len(recs))
	for _, r := range recs {
		st, err := attendance.ForEvent(e.App, r.Id)
		if err != nil {
			return err
		}
		rows = append(rows, domain.NewEventView(r, lang, st))
	}
	return web.Render(e, http.StatusOK, "manage/index", web.NewConsolePage(e, "manage.title", Dashboard{Events: rows, Past: past, Proxy: proxyWarning(e)}))
}

// proxyWarning names the forwarding headers of requests that came through
// a reverse proxy PocketBase does not trust, for the console's warning; ""
// when there is nothing to warn about.
func proxyWarning(e *core.RequestEvent) string {
	return strings.Join(web.UntrustedProxy(e.App), ", ")
}
