package series

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// registerConsole binds the console's series pages: the list, a new
// series, one series with its sessions (edit every future session at once,
// extend), and copying one session's shifts to the others.
func registerConsole(app core.App) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		g := web.ConsoleGroup(se.Router, "/manage/series")
		g.GET("", consoleList)
		g.GET("/new", consoleNew)
		g.POST("/new", consoleCreate)
		g.GET("/{id}", consoleSeries)
		g.POST("/{id}", consoleUpdate)
		g.POST("/{id}/extend", consoleExtend)
		g.POST("/{id}/shifts", consoleCopyShifts)
		return se.Next()
	})
}

// Form is the console's series form.
type Form struct {
	ID       string
	Kind     string
	Titles   map[string]string
	Summary  map[string]string
	Venue    string
	Capacity string
	Waitlist bool
	// MaxParty, Childcare and EmailOptional are what the sessions allow
	// families, as an event's form has them.
	MaxParty                 string
	Childcare, EmailOptional bool
	Weekday                  string
	Start                    string
	Length                   string
	First                    string
	Weeks                    string
	Skip                     string
	Publish                  bool
	Errors                   map[string]string
	// Done says what was just done: "created", "updated", "extended",
	// "shifts"; Count how many sessions or shifts it touched.
	Done  string
	Count int
	// On the series' page: its sessions.
	Sessions []domain.EventView
	// What the form offers.
	Kinds, Langs []string
	Weekdays     []int
}

func formOfSeries(s *core.Record) Form {
	f := Form{ID: s.Id, Kind: s.GetString("kind"), Titles: map[string]string{}, Summary: map[string]string{},
		Venue: s.GetString("venue"), Capacity: strconv.Itoa(s.GetInt("capacity")), Waitlist: s.GetBool("waitlist"),
		MaxParty: strconv.Itoa(domain.MaxParty(s)), Childcare: s.GetBool("childcare"), EmailOptional: s.GetBool("email_optional"),
		Weekday: strconv.Itoa(s.GetInt("weekday")), Start: s.GetString("start_time"), Length: strconv.Itoa(s.GetInt("length_minutes")),
		First: s.GetString("first_date"), Weeks: strconv.Itoa(s.GetInt("weeks")), Errors: map[string]string{}}
	for _, l := range domain.TextLangs {
		f.Titles[l], f.Summary[l] = s.GetString("title_"+l), s.GetString("summary_"+l)
	}
	skip, _ := domain.SkipDates(s)
	f.Skip = strings.Join(skip, "\n")
	return f
}

// formFromEvent starts a series from an event (the console's "weekly
// series" of an event): its texts, place, seats, weekday, time and length.
func formFromEvent(ev *core.Record) Form {
	start := ev.GetDateTime("starts_at").Time().In(i18n.Riga)
	length := int(ev.GetDateTime("ends_at").Time().Sub(ev.GetDateTime("starts_at").Time()) / time.Minute)
	f := Form{Kind: ev.GetString("kind"), Titles: map[string]string{}, Summary: map[string]string{}, Venue: ev.GetString("venue"),
		Capacity: strconv.Itoa(ev.GetInt("capacity")), Waitlist: ev.GetBool("waitlist"),
		MaxParty: strconv.Itoa(domain.MaxParty(ev)), Childcare: domain.OffersChildcare(ev), EmailOptional: domain.EmailOptional(ev), Weekday: strconv.Itoa(domain.WeekdayOf(start)),
		Start: start.Format("15:04"), Length: strconv.Itoa(min(length, domain.SeriesMaxLength)), First: start.Format(domain.DateLayout),
		Weeks: "12", Publish: domain.EventStatusOf(ev) == domain.EventPublished, Errors: map[string]string{}}
	for _, l := range domain.TextLangs {
		f.Titles[l], f.Summary[l] = ev.GetString("title_"+l), ev.GetString("summary_"+l)
	}
	return f
}

func showConsole(e *core.RequestEvent, status int, f Form) error {
	f.Kinds, f.Langs, f.Weekdays = domain.Kinds, domain.TextLangs, []int{1, 2, 3, 4, 5, 6, 7}
	title := "manage.series.new"
	if f.ID != "" {
		title = "manage.series.edit"
		sessions, err := Sessions(e.App, f.ID)
		if err != nil {
			return err
		}
		for _, ev := range sessions {
			st, err := attendance.ForEvent(e.App, ev.Id)
			if err != nil {
				return err
			}
			f.Sessions = append(f.Sessions, domain.NewEventView(ev, web.Lang(e), st))
		}
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	return web.Render(e, status, "manage/series", web.NewConsolePage(e, title, f))
}

// SeriesRow is one line of the console's list of series.
type SeriesRow struct {
	ID, Title string
	Weekday   int
	Start     string
	Sessions  int
}

func consoleList(e *core.RequestEvent) error {
	recs, err := e.App.FindRecordsByFilter(domain.Series, "", "-created", 500, 0)
	if err != nil {
		return err
	}
	rows := make([]SeriesRow, 0, len(recs))
	for _, s := range recs {
		sessions, err := Sessions(e.App, s.Id)
		if err != nil {
			return err
		}
		rows = append(rows, SeriesRow{ID: s.Id, Title: s.GetString("title_lv"), Weekday: s.GetInt("weekday"), Start: s.GetString("start_time"), Sessions: len(sessions)})
	}
	return web.Render(e, http.StatusOK, "manage/series_list", web.NewConsolePage(e, "manage.series.list", rows))
}

func consoleNew(e *core.RequestEvent) error {
	f := Form{Titles: map[string]string{}, Summary: map[string]string{}, Kind: domain.KindClub, Capacity: "0", MaxParty: "1", Weekday: "1",
		Start: "18:00", Length: "90", First: time.Now().In(i18n.Riga).AddDate(0, 0, 7).Format(domain.DateLayout), Weeks: "12", Waitlist: true}
	if id := e.Request.URL.Query().Get("from"); id != "" {
		if ev, err := e.App.FindRecordById(domain.Events, id); err == nil {
			f = formFromEvent(ev)
		}
	}
	return showConsole(e, http.StatusOK, f)
}

// read fills f from the posted form, checks what needs a person's eyes,
// and loads it into s.
func (f *Form) read(e *core.RequestEvent, s *core.Record) error {
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	trim := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f.Kind, f.Venue, f.Capacity, f.Waitlist = trim("kind"), trim("venue"), trim("capacity"), v.Get("waitlist") != ""
	f.Weekday, f.Start, f.Length, f.First, f.Weeks = trim("weekday"), trim("start_time"), trim("length_minutes"), trim("first_date"), trim("weeks")
	f.Skip, f.Publish = trim("skip_dates"), v.Get("publish") != ""
	f.MaxParty, f.Childcare, f.EmailOptional = trim("max_party"), v.Get("childcare") != "", v.Get("email_optional") != ""
	if f.MaxParty == "" {
		f.MaxParty = "1"
	}
	f.Titles, f.Summary, f.Errors = map[string]string{}, map[string]string{}, map[string]string{}
	for _, l := range domain.TextLangs {
		f.Titles[l], f.Summary[l] = trim("title_"+l), trim("summary_"+l)
	}
	num := func(key, val string, lo, hi int, msg string) int {
		n, err := strconv.Atoi(val)
		if err != nil || n < lo || n > hi {
			f.Errors[key] = msg
		}
		return n
	}
	capacity := num("capacity", f.Capacity, 0, 1<<30, "manage.error.capacity")
	maxParty := num("max_party", f.MaxParty, 1, domain.MaxPartyLimit, "manage.series.error.max_party")
	weekday := num("weekday", f.Weekday, 1, 7, "manage.series.error.weekday")
	length := num("length_minutes", f.Length, 1, domain.SeriesMaxLength, "manage.series.error.length")
	weeks := num("weeks", f.Weeks, 1, domain.SeriesMaxWeeks, "manage.series.error.weeks")
	if _, _, err := domain.ParseClock(f.Start); err != nil {
		f.Errors["start_time"] = "manage.series.error.time"
	}
	if _, err := domain.ParseDate(f.First); err != nil {
		f.Errors["first_date"] = "manage.series.error.date"
	}
	var skip []string
	for _, d := range strings.FieldsFunc(f.Skip, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' }) {
		if _, err := domain.ParseDate(d); err != nil {
			f.Errors["skip_dates"] = "manage.series.error.skip"
			break
		}
		skip = append(skip, d)
	}
	if f.Titles["lv"] == "" {
		f.Errors["title_lv"] = "manage.error.title"
	}
	if len(f.Errors) > 0 {
		return nil
	}
	if skip == nil {
		skip = []string{}
	}
	raw, _ := json.Marshal(skip)
	data := map[string]any{"kind": f.Kind, "venue": f.Venue, "capacity": capacity, "waitlist": f.Waitlist, "weekday": weekday,
		"start_time": f.Start, "length_minutes": length, "first_date": f.First, "weeks": weeks, "skip_dates": string(raw),
		"max_party": maxParty, "childcare": f.Childcare, "email_optional": f.EmailOptional}
	for _, l := range domain.TextLangs {
		data["title_"+l], data["summary_"+l] = f.Titles[l], f.Summary[l]
	}
	s.Load(data)
	return nil
}

// saveErrors maps a failed save's field errors onto the form.
func (f *Form) saveErrors(err error) {
	var verrs validation.Errors
	if errors.As(err, &verrs) {
		for k := range verrs {
			f.Errors[k] = "manage.series.error.invalid"
		}
	}
	f.Errors["form"] = "manage.error.save"
}

func consoleCreate(e *core.RequestEvent) error {
	col, err := e.App.FindCachedCollectionByNameOrId(domain.Series)
	if err != nil {
		return err
	}
	s := core.NewRecord(col)
	var f Form
	if err := f.read(e, s); err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return showConsole(e, http.StatusBadRequest, f)
	}
	status := domain.EventDraft
	if f.Publish {
		status = domain.EventPublished
	}
	var created int
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(s); err != nil {
			return err
		}
		var err error
		created, err = MakeSessions(tx, s, status)
		return err
	})
	if err != nil {
		e.App.Logger().Info("series not saved", "error", err)
		f.saveErrors(err)
		return showConsole(e, http.StatusBadRequest, f)
	}
	e.App.Logger().Info("series created", "series", s.Id, "sessions", created, "by", e.Auth.Id)
	return e.Redirect(http.StatusSeeOther, fmt.Sprintf("/manage/series/%s?done=created&n=%d", s.Id, created))
}

func consoleSeries(e *core.RequestEvent) error {
	s, err := e.App.FindRecordById(domain.Series, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	f := formOfSeries(s)
	q := e.Request.URL.Query()
	switch d := q.Get("done"); d {
	case "created", "updated", "extended", "shifts":
		f.Done = d
		f.Count, _ = strconv.Atoi(q.Get("n"))
	}
	return showConsole(e, http.StatusOK, f)
}

// consoleUpdate saves the series and gives every future session its texts,
// place, seats, time and length (the people of a session are told of a
// change of time, place or title, and its shifts move with it). A plan
// that now has more weeks gets its new sessions, as drafts.
func consoleUpdate(e *core.RequestEvent) error {
	s, err := e.App.FindRecordById(domain.Series, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	f := Form{ID: s.Id}
	if err := f.read(e, s); err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return showConsole(e, http.StatusBadRequest, f)
	}
	var changed int
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(s); err != nil {
			return err
		}
		var err error
		changed, err = UpdateFuture(tx, s, time.Now())
		return err
	})
	if err != nil {
		e.App.Logger().Info("series not saved", "series", s.Id, "error", err)
		f.saveErrors(err)
		return showConsole(e, http.StatusBadRequest, f)
	}
	return e.Redirect(http.StatusSeeOther, fmt.Sprintf("/manage/series/%s?done=updated&n=%d", s.Id, changed))
}

// consoleExtend adds weeks to the series and makes their sessions, in the
// status the form says.
func consoleExtend(e *core.RequestEvent) error {
	s, err := e.App.FindRecordById(domain.Series, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	more, err := strconv.Atoi(strings.TrimSpace(v.Get("more_weeks")))
	if err != nil || more < 1 || s.GetInt("weeks")+more > domain.SeriesMaxWeeks {
		f := formOfSeries(s)
		f.Errors["more_weeks"] = "manage.series.error.weeks"
		return showConsole(e, http.StatusBadRequest, f)
	}
	status := domain.EventDraft
	if v.Get("publish") != "" {
		status = domain.EventPublished
	}
	var created int
	err = e.App.RunInTransaction(func(tx core.App) error {
		s.Set("weeks", s.GetInt("weeks")+more)
		if err := tx.Save(s); err != nil {
			return err
		}
		var err error
		created, err = MakeSessions(tx, s, status)
		return err
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, fmt.Sprintf("/manage/series/%s?done=extended&n=%d", s.Id, created))
}

// consoleCopyShifts copies the shifts of one session to every other
// session of the series still ahead.
func consoleCopyShifts(e *core.RequestEvent) error {
	s, err := e.App.FindRecordById(domain.Series, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	from, err := e.App.FindRecordById(domain.Events, v.Get("from"))
	if err != nil || domain.SeriesOf(from) != s.Id {
		return e.BadRequestError("", map[string]any{"from": validation.NewError("validation_not_in_series", "Must be a session of the series.")})
	}
	n, err := CopyShifts(e.App, from, time.Now())
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, fmt.Sprintf("/manage/series/%s?done=shifts&n=%d", s.Id, n))
}
