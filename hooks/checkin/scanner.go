package checkin

import (
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/access"
	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/pb_public"
)

// ScanData is what the scanner page receives.
type ScanData struct {
	Event domain.EventView
	// Opens and Closes bound the door's check-ins (see ScanWindow), in
	// UTC, for the page to judge scans the same way without a connection.
	Opens, Closes string
	// Roles are the shift roles, for naming a volunteer's shift.
	Roles []string
	// Languages are those a party may ask interpretation into, for naming
	// them; Counts the party sizes (1 to domain.MaxPartyLimit), for
	// saying "4 people" and "2 children to mind" in the page's plural
	// forms.
	Languages []string
	Counts    []int
}

// counts are 1 to domain.MaxPartyLimit.
var counts = func() []int {
	n := make([]int, domain.MaxPartyLimit)
	for i := range n {
		n[i] = i + 1
	}
	return n
}()

// bindScanner binds the scanner page and its service worker.
func bindScanner(se *core.ServeEvent) {
	se.Router.GET("/manage/events/{id}/scan", scannerPage).BindFunc(web.RequireSession(domain.Organisers, domain.Volunteers))
	se.Router.GET("/manage/scan-sw.js", serviceWorker)
}

func scannerPage(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	if !access.CanWorkDoor(e.App, e.Auth, ev.Id, time.Now()) {
		return web.ErrorPage(e, http.StatusForbidden, "error.forbidden.title", "scan.forbidden")
	}
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return err
	}
	opens, closes := Window(ev.GetDateTime("starts_at").Time(), ev.GetDateTime("ends_at").Time())
	p := web.NewPage(e, "scan.title", ScanData{Event: domain.NewEventView(ev, web.Lang(e), st),
		Opens: opens.UTC().Format(time.RFC3339), Closes: closes.UTC().Format(time.RFC3339), Roles: domain.Skills,
		Languages: domain.Languages, Counts: counts})
	p.Scripts = []string{"js/session.js", "js/scanner.js"}
	p.Styles = []string{"css/scanner.css"}
	return web.Render(e, http.StatusOK, "manage/scan", p)
}

// serviceWorker serves the scanner's service worker. Its scope is /manage
// (wider than the directory it is served from, hence the header): it keeps
// the scanner pages, and sees the logout and the visits to the organisers'
// pages, where it forgets ticket lists that are no longer needed.
func serviceWorker(e *core.RequestEvent) error {
	data, err := pb_public.FS.ReadFile("js/scan-sw.js")
	if err != nil {
		return err
	}
	h := e.Response.Header()
	h.Set("Service-Worker-Allowed", "/manage")
	h.Set("Cache-Control", "no-cache")
	return e.Blob(http.StatusOK, "text/javascript; charset=utf-8", data)
}
