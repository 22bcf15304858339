package live

import (
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/access"
	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// bindDashboard binds the live dashboard, for organisers and the door
// volunteers of the event.
func bindDashboard(se *core.ServeEvent) {
	se.Router.GET("/manage/events/{id}/live", dashboard).
		BindFunc(web.RequireSession(domain.Organisers, domain.Volunteers))
}

// DashboardData is what templates/pages/manage/live.html shows before the
// script takes over: the event and its counts at the time of the request,
// so the page says something useful without JavaScript too.
type DashboardData struct {
	Event domain.EventView
	Stats domain.Stats
	// Expected are the confirmed people not yet checked in.
	Expected int
	// Projector starts the page in projector mode (large type, no chrome).
	Projector bool
}

// dashboard is GET /manage/events/{id}/live[?projector=1].
func dashboard(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	rec, err := e.App.FindRecordById(domain.Events, id)
	if err != nil {
		return web.NotFound(e)
	}
	if !access.CanWorkDoor(e.App, e.Auth, rec.Id, time.Now()) {
		return web.ErrorPage(e, http.StatusForbidden, "error.forbidden.title", "live.forbidden")
	}
	stats, err := attendance.ForEvent(e.App, rec.Id)
	if err != nil {
		return err
	}
	lang := web.Lang(e)
	data := DashboardData{
		Event:     domain.NewEventView(rec, lang, stats),
		Stats:     stats,
		Expected:  max(stats.Confirmed-stats.CheckedIn, 0),
		Projector: e.Request.URL.Query().Get("projector") == "1",
	}
	p := web.NewPage(e, "live.title", data)
	p.Title = data.Event.Title + " · " + p.Title
	p.Scripts = []string{"js/session.js", "js/live.js"}
	p.Wide = true
	return web.Render(e, http.StatusOK, "manage/live", p)
}
