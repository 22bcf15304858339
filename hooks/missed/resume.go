package missed

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/series"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// ErrEnded: the standing place has ended; it cannot be resumed (its person
// may take a new one on the series' page).
var ErrEnded = series.ErrEnded

// Resume resumes the paused standing place with that code at now, in one
// transaction: it is active again, counts its missed sessions afresh, and
// takes a seat (or a waiting place) in every upcoming published session of
// its series, as far as each session's seats go, except those its person
// skipped. Resuming an active place changes nothing. An unknown code is
// sql.ErrNoRows, an ended place ErrEnded.
func Resume(app core.App, code string, now time.Time) (*core.Record, []series.Seat, error) {
	var st *core.Record
	var seats []series.Seat
	err := app.RunInTransaction(func(tx core.App) error {
		var err error
		if st, err = series.FindStanding(tx, code); err != nil {
			return sql.ErrNoRows
		}
		switch domain.StandingStatusOf(st) {
		case domain.StandingEnded:
			return ErrEnded
		case domain.StandingActive:
			return nil
		}
		st.Set("status", domain.StandingActive)
		st.Set("missed", 0)
		if err := tx.Save(st); err != nil {
			return fmt.Errorf("resume standing place %s: %w", st.Id, err)
		}
		seats, err = series.TakeSeats(tx, st, now)
		return err
	})
	return st, seats, err
}

// ResumeData is what the resume page shows.
type ResumeData struct {
	Code, Name string
	Title      string
	TitleLang  string
	SeriesID   string
	Status     domain.StandingStatus
	Missed     int
	// Done is set right after the place was resumed.
	Done bool
}

// resumePage asks whether to resume; it changes nothing (a mail scanner
// that opens the link resumes no place).
func resumePage(e *core.RequestEvent) error {
	st, s, ok := series.LoadStanding(e)
	if !ok {
		return web.NotFound(e)
	}
	title, titleLang := domain.LocalizedIn(s, "title", web.Lang(e))
	d := ResumeData{
		Code: st.GetString("ticket"), Name: st.GetString("name"), Title: title, TitleLang: titleLang, SeriesID: s.Id,
		Status: domain.StandingStatusOf(st), Missed: st.GetInt("missed"), Done: e.Request.URL.Query().Get("resumed") == "1",
	}
	return web.Render(e, http.StatusOK, "standing_resume", web.NewPage(e, "missed.resume_title", d))
}

// resumeSubmit resumes the place and shows the page again; twice is
// harmless, an ended place is 409 with the page saying so.
func resumeSubmit(e *core.RequestEvent) error {
	code := e.Request.PathValue("code")
	_, _, err := Resume(e.App, code, time.Now())
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return web.NotFound(e)
	case errors.Is(err, ErrEnded):
		st, s, ok := series.LoadStanding(e)
		if !ok {
			return web.NotFound(e)
		}
		title, titleLang := domain.LocalizedIn(s, "title", web.Lang(e))
		d := ResumeData{Code: code, Name: st.GetString("name"), Title: title, TitleLang: titleLang, SeriesID: s.Id, Status: domain.StandingEnded}
		return web.Render(e, http.StatusConflict, "standing_resume", web.NewPage(e, "missed.resume_title", d))
	case err != nil:
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/t/"+code+"/resume?resumed=1")
}
