package series

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/registration"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/ticketfile"
)

// SeriesView is a series as its public page shows it, in one language.
type SeriesView struct {
	ID, Kind, Venue        string
	Title, Summary         string
	TitleLang, SummaryLang string
	Waitlist               bool
}

func viewOf(s *core.Record, lang string) SeriesView {
	title, tl := domain.LocalizedIn(s, "title", lang)
	summary, sl := domain.LocalizedIn(s, "summary", lang)
	return SeriesView{ID: s.Id, Kind: s.GetString("kind"), Venue: s.GetString("venue"), Title: title, Summary: summary,
		TitleLang: tl, SummaryLang: sl, Waitlist: s.GetBool("waitlist")}
}

// PageData is what templates/pages/series.html receives.
type PageData struct {
	Series   SeriesView
	Sessions []SessionLine
	// Open: a session ahead takes registrations.
	Open      bool
	Form      registration.Form
	Languages []string
	// PartySizes and Children are the choices of the questions how many
	// are coming and how many children need minding (see
	// registration.PartyChoices), as the series and its sessions take them.
	PartySizes, Children []int
}

// upcoming are the series' published and cancelled sessions that have not
// begun, with their seats left.
func upcoming(app core.App, seriesID string, now time.Time) ([]SessionLine, bool, error) {
	var sessions []*core.Record
	err := app.RecordQuery(domain.Events).
		AndWhere(dbx.HashExp{"series": seriesID}).
		AndWhere(dbx.NewExp("series != '' AND status != {:draft} AND starts_at > {:now}",
			dbx.Params{"draft": string(domain.EventDraft), "now": domain.DateTime(now).String()})).
		OrderBy("starts_at ASC").All(&sessions)
	if err != nil {
		return nil, false, err
	}
	open := false
	lines := make([]SessionLine, 0, len(sessions))
	for _, ev := range sessions {
		st, err := attendance.ForEvent(app, ev.Id)
		if err != nil {
			return nil, false, err
		}
		line := SessionLine{ID: ev.Id, StartsAt: ev.GetDateTime("starts_at").Time(), EndsAt: ev.GetDateTime("ends_at").Time(),
			Cancelled: domain.EventStatusOf(ev) == domain.EventCancelled, SeatsLeft: st.SeatsLeft()}
		if !line.Cancelled {
			open = true
		}
		lines = append(lines, line)
	}
	return lines, open, nil
}

func seriesPage(e *core.RequestEvent) error {
	s, err := findPublic(e.App, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	return showSeries(e, http.StatusOK, s, registration.Form{Party: 1})
}

func showSeries(e *core.RequestEvent, status int, s *core.Record, form registration.Form) error {
	lines, open, err := upcoming(e.App, s.Id, time.Now())
	if err != nil {
		return err
	}
	data := PageData{Series: viewOf(s, web.Lang(e)), Sessions: lines, Open: open, Form: form, Languages: domain.Languages}
	sessions, err := publishedAhead(e.App, s.Id, time.Now())
	if err != nil {
		return err
	}
	data.PartySizes, data.Children = registration.PartyChoices(partyLimits(s, sessions))
	data.Form.ShowUnasked(data.PartySizes, data.Children)
	p := web.NewPage(e, "", data)
	p.Title = data.Series.Title
	p.Path = "/series/" + s.Id
	return web.Render(e, status, "series", p)
}

// formRegister is the series page's form: the same decision as the API,
// then the standing ticket's page. It needs no JavaScript.
func formRegister(e *core.RequestEvent) error {
	s, err := findPublic(e.App, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	form := registration.Form{Name: f.Get("name"), Email: f.Get("email"), PhotoConsent: f.Get("photo_consent") != "", Interpretation: f["interpretation"],
		Party: registration.FormNumber(f.Get("party"), 1), Childcare: registration.FormNumber(f.Get("childcare"), 0)}
	if f.Get("website") != "" { // the honeypot: a bot
		return web.Render(e, http.StatusOK, "thanks", web.NewPage(e, "thanks.title", nil))
	}
	locale := f.Get("locale")
	if locale == "" {
		locale = web.Lang(e)
	}
	in := registration.Input{Name: form.Name, Email: form.Email, Locale: locale, PhotoConsent: form.PhotoConsent, Interpretation: form.Interpretation,
		Party: registration.PartyOrInvalid(form.Party), Childcare: form.Childcare}
	if err := in.Normalize(); err != nil {
		form.Errors = registration.FieldMessages(err)
		return showSeries(e, http.StatusBadRequest, s, form)
	}
	res, err := Join(e.App, s.Id, in, time.Now())
	var verrs validation.Errors
	switch {
	case errors.As(err, &verrs):
		form.Errors = registration.FieldMessages(err)
		return showSeries(e, http.StatusBadRequest, s, form)
	case errors.Is(err, ErrNotFound):
		return web.NotFound(e)
	case err != nil:
		return err
	}
	if res.Status == registration.StatusExists {
		return web.Render(e, http.StatusOK, "thanks", web.NewPage(e, "thanks.title", nil))
	}
	return e.Redirect(http.StatusSeeOther, "/t/"+res.Standing.GetString("ticket"))
}

func apiRegister(e *core.RequestEvent) error {
	in, err := web.DecodeJSON(e, registration.DecodeInput)
	if err != nil {
		return err
	}
	res, err := Join(e.App, e.Request.PathValue("id"), in, time.Now())
	var verrs validation.Errors
	switch {
	case errors.As(err, &verrs):
		return e.BadRequestError("Please check the highlighted fields.", verrs)
	case errors.Is(err, ErrNotFound):
		return e.NotFoundError("No such series.", nil)
	case err != nil:
		return err
	}
	if res.Status == registration.StatusExists {
		return e.JSON(http.StatusOK, map[string]any{"status": registration.StatusExists})
	}
	code := res.Standing.GetString("ticket")
	sessions := res.Sessions
	if sessions == nil {
		sessions = []Seat{}
	}
	return e.JSON(http.StatusCreated, map[string]any{"status": StatusStanding, "ticket": code, "ticket_url": "/t/" + code, "sessions": sessions})
}

// TicketData is what the standing ticket's pages receive.
type TicketData struct {
	Code, Name string
	Status     domain.StandingStatus
	Series     SeriesView
	Sessions   []SessionLine
	// Session is the one a skip page asks about.
	Session SessionLine
	// Done says what was just done: "skipped" or "ended".
	Done string
}

// LoadStanding finds the standing place of the request's code (path value
// "code") and its series; its pages are in the place's language unless the
// visitor chose another.
func LoadStanding(e *core.RequestEvent) (*core.Record, *core.Record, bool) {
	st, err := FindStanding(e.App, e.Request.PathValue("code"))
	if err != nil {
		return nil, nil, false
	}
	s, err := e.App.FindRecordById(domain.Series, st.GetString("series"))
	if err != nil {
		return nil, nil, false
	}
	web.PreferLang(e, st.GetString("locale"))
	return st, s, true
}

func ticketData(e *core.RequestEvent, st, s *core.Record) (TicketData, error) {
	lines, _, err := placeSessions(e.App, st, web.Lang(e), time.Now())
	if err != nil {
		return TicketData{}, err
	}
	return TicketData{Code: st.GetString("ticket"), Name: st.GetString("name"), Status: domain.StandingStatusOf(st),
		Series: viewOf(s, web.Lang(e)), Sessions: lines}, nil
}

func ticketPage(e *core.RequestEvent) error {
	st, s, ok := LoadStanding(e)
	if !ok {
		return web.NotFound(e)
	}
	data, err := ticketData(e, st, s)
	if err != nil {
		return err
	}
	data.Done = e.Request.URL.Query().Get("done")
	if data.Done != "skipped" && data.Done != "ended" {
		data.Done = ""
	}
	return web.Render(e, http.StatusOK, "standing", web.NewPage(e, "ticket.title", data))
}

func ticketQR(e *core.RequestEvent) error {
	st, _, ok := LoadStanding(e)
	if !ok || domain.StandingStatusOf(st) == domain.StandingEnded {
		return e.NotFoundError("", nil)
	}
	png, err := registration.QRCode(registration.TicketURL(e.App, st.GetString("ticket")))
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "private, no-store")
	return e.Blob(http.StatusOK, "image/png", png)
}

func ticketICS(e *core.RequestEvent) error {
	st, _, ok := LoadStanding(e)
	if !ok {
		return e.NotFoundError("", nil)
	}
	_, cal, err := placeSessions(e.App, st, web.Lang(e), time.Now())
	if err != nil {
		return err
	}
	e.Response.Header().Set("Content-Disposition", `attachment; filename="kopa-sessions.ics"`)
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8", ticketfile.ICSAll(cal, time.Now()))
}

// cancelPage asks before the standing place ends ("stop coming"); a mail
// scanner that opens the link ends nothing.
func cancelPage(e *core.RequestEvent) error {
	st, s, ok := LoadStanding(e)
	if !ok {
		return web.NotFound(e)
	}
	if domain.StandingStatusOf(st) == domain.StandingEnded {
		return e.Redirect(http.StatusSeeOther, "/t/"+st.GetString("ticket"))
	}
	data, err := ticketData(e, st, s)
	if err != nil {
		return err
	}
	return web.Render(e, http.StatusOK, "standing_cancel", web.NewPage(e, "series.stop_title", data))
}

func wantsJSON(e *core.RequestEvent) bool {
	return strings.Contains(e.Request.Header.Get("Accept"), "application/json") ||
		strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json")
}

// cancelSubmit ends the standing place; twice is harmless.
func cancelSubmit(e *core.RequestEvent) error {
	st, err := End(e.App, e.Request.PathValue("code"), time.Now())
	switch {
	case errors.Is(err, ErrNotFound):
		if wantsJSON(e) {
			return e.NotFoundError("No such ticket.", nil)
		}
		return web.NotFound(e)
	case err != nil:
		return err
	}
	if wantsJSON(e) {
		return e.JSON(http.StatusOK, map[string]any{"status": domain.StandingEnded})
	}
	return e.Redirect(http.StatusSeeOther, "/t/"+st.GetString("ticket")+"?done=ended")
}

// skipPage asks before a session's seat is given up: the reminders' "skip
// this week" link opens it, and a mail scanner that opens links skips
// nothing.
func skipPage(e *core.RequestEvent) error {
	st, s, ok := LoadStanding(e)
	if !ok {
		return web.NotFound(e)
	}
	data, err := ticketData(e, st, s)
	if err != nil {
		return err
	}
	id := e.Request.PathValue("event")
	for _, l := range data.Sessions {
		if l.ID == id {
			data.Session = l
		}
	}
	if data.Session.ID == "" {
		return web.NotFound(e)
	}
	return web.Render(e, http.StatusOK, "standing_skip", web.NewPage(e, "series.skip_title", data))
}

// skipSubmit gives up one session's seat. A session of another series, or
// one that has begun, is refused and nothing changes.
func skipSubmit(e *core.RequestEvent) error {
	code := e.Request.PathValue("code")
	_, err := Skip(e.App, code, e.Request.PathValue("event"), time.Now())
	if err != nil {
		status, dc, msg := http.StatusNotFound, "not_found", "No such ticket."
		switch {
		case errors.Is(err, ErrNotInSeries):
			dc, msg = "not_in_series", "That session is not part of this ticket's series."
		case errors.Is(err, ErrPast):
			status, dc, msg = http.StatusConflict, "closed", "That session has begun."
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if wantsJSON(e) {
			return web.CodeError(status, dc, msg)
		}
		if status == http.StatusNotFound {
			return web.NotFound(e)
		}
		return web.ErrorPage(e, status, "series.error.past_title", "series.error.past")
	}
	if wantsJSON(e) {
		return e.JSON(http.StatusOK, map[string]any{"status": "skipped", "event": e.Request.PathValue("event")})
	}
	return e.Redirect(http.StatusSeeOther, "/t/"+code+"?done=skipped")
}
