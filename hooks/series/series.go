// Package series is the weekly club as a series: register once, come every
// week. A series holds what its sessions share; a standing place is one
// person's place in every session of a series, with one ticket. Each
// session's seat is a registration of that session linked to the standing
// place, decided by package registration's transactional capacity logic,
// so standing places and single registrations share one capacity.
//
// The HTTP surface:
//
//	POST /api/series/{id}/register — JSON as for an event → 201
//	    {"status":"standing","ticket","ticket_url","sessions":[{"event","status"}]};
//	    200 {"status":"exists"} (the ticket mailed again); 404 unknown series.
//	GET  /series/{id} — the public page with its upcoming sessions and a
//	    form to come every week (POST /series/{id}/register, no JavaScript).
//	GET  /t/{code} of a standing ticket — its sessions, each with "skip";
//	GET  /t/{code}/skip/{event} asks, POST skips that session (the waiting
//	    list moves at once); POST /t/{code}/cancel ends the standing place
//	    and frees every future seat.
//
// Sessions published later give every active standing place a seat.
package series

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/registration"
	"kopa/internal/domain"
)

// Errors of the series' actions.
var (
	// ErrNotFound: no such series (or none the public may see), or no
	// such standing place.
	ErrNotFound = errors.New("no such series")
	// ErrNotInSeries: the session is not one of the standing place's series.
	ErrNotInSeries = errors.New("the session is not part of the series")
	// ErrPast: the session has begun; its seat can no longer be given up.
	ErrPast = errors.New("the session has begun")
	// ErrEnded: the standing place has ended.
	ErrEnded = errors.New("the standing place has ended")
)

// Register binds the series' routes, pages, mails and the hook that gives
// standing places their seats in sessions published later.
func Register(app core.App) {
	registerMail()
	app.OnRecordAfterCreateSuccess(domain.Events).BindFunc(seatOnPublish)
	app.OnRecordAfterUpdateSuccess(domain.Events).BindFunc(seatOnPublish)
	registration.HandleOtherTickets(app, registration.OtherTickets{
		Page: ticketPage, CancelPage: cancelPage, Cancel: cancelSubmit, QR: ticketQR, ICS: ticketICS,
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/api/series/{id}/register", apiRegister)
		se.Router.GET("/series/{id}", seriesPage)
		se.Router.POST("/series/{id}/register", formRegister)
		se.Router.GET("/t/{code}/skip/{event}", skipPage)
		se.Router.POST("/t/{code}/skip/{event}", skipSubmit)
		return se.Next()
	})
	registerConsole(app)
}

// FindStanding returns the standing place with that ticket code.
func FindStanding(app core.App, code string) (*core.Record, error) {
	if !registration.ValidCode(code) {
		return nil, sql.ErrNoRows
	}
	return app.FindFirstRecordByData(domain.Standing, "ticket", code)
}

// Sessions are the series' sessions, by start.
func Sessions(app core.App, seriesID string) ([]*core.Record, error) {
	return app.FindRecordsByFilter(domain.Events, "series = {:s}", "starts_at", 0, 0, dbx.Params{"s": seriesID})
}

// findPublic returns the series the public may see: one with a published
// session.
func findPublic(app core.App, id string) (*core.Record, error) {
	s, err := app.FindRecordById(domain.Series, id)
	if err != nil {
		return nil, ErrNotFound
	}
	n, err := app.CountRecords(domain.Events, dbx.HashExp{"series": s.Id, "status": string(domain.EventPublished)})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNotFound
	}
	return s, nil
}

// seatsOf are the registrations of a standing place, by their session.
func seatsOf(app core.App, standingID string) (map[string]*core.Record, error) {
	var regs []*core.Record
	err := app.RecordQuery(domain.Registrations).AndWhere(dbx.HashExp{"standing": standingID}).
		AndWhere(dbx.NewExp("standing != ''")).OrderBy("rowid ASC").All(&regs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*core.Record, len(regs))
	for _, r := range regs {
		// The live seat wins over an earlier one given up.
		if old, ok := out[r.GetString("event")]; ok && domain.RegistrationStatusOf(r) == domain.RegistrationCancelled &&
			domain.RegistrationStatusOf(old) != domain.RegistrationCancelled {
			continue
		}
		out[r.GetString("event")] = r
	}
	return out, nil
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
