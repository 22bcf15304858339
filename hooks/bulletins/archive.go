package bulletins

import (
	"database/sql"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/gorilla/feeds"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/web"
)

// archiveSize is how many bulletins the archive page and the feed list.
const archiveSize = 200

// View is a sent bulletin as a visitor reads it: the title in their
// language (Latvian when there is none), their language's summary above
// the Latvian text (none for Latvian readers).
//
// Bulletins have summaries in English and Russian only: readers of
// Ukrainian, Arabic and Persian get the English ones. TextLang is the
// language Title and Summary are in.
type View struct {
	ID, Title, TitleLV, Summary string
	TextLang                    string
	SentAt                      time.Time
	Body                        template.HTML
}

// summaryLangs are the languages a bulletin has a title and a summary in
// besides Latvian.
var summaryLangs = map[string]bool{"en": true, "ru": true}

// NewView is b as a reader of lang sees it.
func NewView(b *core.Record, lang string) View {
	v := View{
		ID: b.Id, Title: b.GetString("title_lv"), TitleLV: b.GetString("title_lv"), TextLang: "lv",
		SentAt: b.GetDateTime("sent_at").Time(), Body: RenderMarkdown(b.GetString("body_lv")),
	}
	if lang != "lv" && !summaryLangs[lang] {
		lang = "en"
	}
	if lang != "lv" {
		if t := b.GetString("title_" + lang); t != "" {
			v.Title, v.TextLang = t, lang
		}
		v.Summary = b.GetString("summary_" + lang)
	}
	return v
}

// sent lists the sent bulletins, newest first.
func sent(app core.App) ([]*core.Record, error) {
	return app.FindRecordsByFilter(ColBulletins, "status = {:s}", "-sent_at", archiveSize, 0, dbx.Params{"s": BulletinSent})
}

// archivePage is GET /bulletins.
func archivePage(e *core.RequestEvent) error {
	list, err := sent(e.App)
	if err != nil {
		e.App.Logger().Error("bulletins: archive", "error", err)
		return e.InternalServerError("", nil)
	}
	lang := web.Lang(e)
	views := make([]View, len(list))
	for i, b := range list {
		views[i] = NewView(b, lang)
	}
	return web.Show(e, "bulletins/archive", "bulletins.archive.title", views)
}

// bulletinPage is GET /bulletins/{id}: only a sent bulletin is public.
func bulletinPage(e *core.RequestEvent) error {
	b, err := e.App.FindRecordById(ColBulletins, e.Request.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && b.GetString("status") != BulletinSent) {
		return web.NotFound(e)
	}
	if err != nil {
		e.App.Logger().Error("bulletins: page", "error", err)
		return e.InternalServerError("", nil)
	}
	v := NewView(b, web.Lang(e))
	p := web.NewPage(e, "bulletins.archive.title", v)
	p.Title = v.Title
	return web.Render(e, http.StatusOK, "bulletins/bulletin", p)
}

// atomFeed is GET /bulletins.atom: the sent bulletins as an Atom feed, in
// Latvian with the English summary, written by gorilla/feeds.
func atomFeed(e *core.RequestEvent) error {
	list, err := sent(e.App)
	if err != nil {
		e.App.Logger().Error("bulletins: feed", "error", err)
		return e.InternalServerError("", nil)
	}
	base := baseURL(e.App)
	l := web.Catalog().For("lv")
	f := &feeds.Feed{
		Title:       "Kopā — " + l.T("bulletins.archive.title"),
		Link:        &feeds.Link{Href: base + "/bulletins"},
		Id:          base + "/bulletins",
		Description: l.T("bulletins.subscribe.lead"),
		Author:      &feeds.Author{Name: "Kopā"},
		Updated:     time.Unix(0, 0).UTC(),
	}
	for _, b := range list {
		v := NewView(b, "lv")
		link := base + "/bulletins/" + b.Id
		f.Add(&feeds.Item{
			Id: link, Title: v.Title, Link: &feeds.Link{Href: link},
			Description: b.GetString("summary_en"),
			Content:     string(v.Body),
			Created:     v.SentAt, Updated: v.SentAt,
		})
		if v.SentAt.After(f.Updated) {
			f.Updated = v.SentAt
		}
	}
	atom, err := f.ToAtom()
	if err != nil {
		e.App.Logger().Error("bulletins: feed", "error", err)
		return e.InternalServerError("", nil)
	}
	e.Response.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	return e.String(http.StatusOK, atom)
}
