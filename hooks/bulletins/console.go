package bulletins

import (
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/i18n"
)

// The organisers' console for bulletins, under /manage/bulletins: the list,
// the editor, the preview in each language, a test mail to oneself, the
// send, and its progress.
//
// The editor saves through PocketBase's record API (the page's script sends
// the session's API token): the text of a bulletin may be longer than a
// form's 64 KiB, and its images are PocketBase's file field, with its
// checks (images only, 5 MB at most) and its thumbnails. Everything else is
// plain forms.

func bindConsole(se *core.ServeEvent) {
	g := web.ConsoleGroup(se.Router, "/manage/bulletins")
	g.GET("", consoleList)
	g.GET("/new", consoleEditor)
	g.GET("/{id}", consoleEditor)
	g.GET("/{id}/preview", consolePreview)
	g.POST("/{id}/test", consoleTest)
	g.POST("/{id}/send", consoleSend)
}

// ListRow is one bulletin in the console's list.
type ListRow struct {
	ID, Title, Status string
	Updated, SentAt   time.Time
	Progress          Progress
}

func consoleList(e *core.RequestEvent) error {
	recs, err := e.App.FindRecordsByFilter(ColBulletins, "", "-created", 500, 0)
	if err != nil {
		return err
	}
	rows := make([]ListRow, len(recs))
	for i, b := range recs {
		rows[i] = ListRow{ID: b.Id, Title: b.GetString("title_lv"), Status: b.GetString("status"),
			Updated: b.GetDateTime("updated").Time(), SentAt: b.GetDateTime("sent_at").Time()}
		if rows[i].Status == BulletinSent {
			if rows[i].Progress, err = ProgressOf(e.App, b.Id); err != nil {
				return err
			}
		}
	}
	return web.Render(e, http.StatusOK, "manage/bulletins", web.NewConsolePage(e, "bulletins.console.title", rows))
}

// Image is an uploaded image of a bulletin, as the editor lists it.
type Image struct {
	Name, Thumb, Markdown string
}

// EditorData is the editor's content.
type EditorData struct {
	ID, Status         string
	TitleLV, BodyLV    string
	TitleEN, SummaryEN string
	TitleRU, SummaryRU string
	Images             []Image
	Progress           Progress
	Subscribers        int
	SentAt             time.Time
	Notice             string
	Locales            []string
	MaxImageMB         int
}

// Sent reports whether the bulletin was sent (it is then read only).
func (d EditorData) Sent() bool { return d.Status == BulletinSent }

func consoleEditor(e *core.RequestEvent) error {
	d := EditorData{Status: BulletinDraft, Locales: i18n.Supported, MaxImageMB: 5, Notice: e.Request.URL.Query().Get("notice")}
	title := "bulletins.console.new"
	if id := e.Request.PathValue("id"); id != "" {
		b, err := e.App.FindRecordById(ColBulletins, id)
		if errors.Is(err, sql.ErrNoRows) {
			return web.NotFound(e)
		}
		if err != nil {
			return err
		}
		d.ID, d.Status = b.Id, b.GetString("status")
		d.TitleLV, d.BodyLV = b.GetString("title_lv"), b.GetString("body_lv")
		d.TitleEN, d.SummaryEN = b.GetString("title_en"), b.GetString("summary_en")
		d.TitleRU, d.SummaryRU = b.GetString("title_ru"), b.GetString("summary_ru")
		d.SentAt = b.GetDateTime("sent_at").Time()
		for _, name := range b.GetStringSlice("images") {
			file := "/api/files/" + ColBulletins + "/" + b.Id + "/" + url.PathEscape(name)
			d.Images = append(d.Images, Image{Name: name, Thumb: file + "?thumb=640x0", Markdown: "![](" + file + "?thumb=640x0)"})
		}
		if d.Sent() {
			if d.Progress, err = ProgressOf(e.App, b.Id); err != nil {
				return err
			}
		} else {
			n, err := e.App.CountRecords(ColSubscribers, dbxStatus(StatusConfirmed))
			if err != nil {
				return err
			}
			d.Subscribers = int(n)
		}
		title = "bulletins.console.edit"
	}
	p := web.NewConsolePage(e, title, d)
	if d.ID != "" {
		p.Title = d.TitleLV
	}
	p.Scripts = []string{"js/session.js", "js/bulletin.js"}
	return web.Render(e, http.StatusOK, "manage/bulletin", p)
}

// PreviewData is the preview: the bulletin as readers of each language
// get it by mail.
type PreviewData struct {
	ID    string
	Views []PreviewView
}

// PreviewView is the bulletin as a reader of Lang reads it.
type PreviewView struct {
	View
	Lang, Subject string
	L             *i18n.Localizer
}

func consolePreview(e *core.RequestEvent) error {
	b, err := e.App.FindRecordById(ColBulletins, e.Request.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) {
		return web.NotFound(e)
	}
	if err != nil {
		return err
	}
	d := PreviewData{ID: b.Id}
	for _, lang := range i18n.Supported {
		v := NewView(b, lang)
		d.Views = append(d.Views, PreviewView{View: v, Lang: lang, Subject: v.Title, L: web.Catalog().For(lang)})
	}
	p := web.NewConsolePage(e, "bulletins.console.preview", d)
	return web.Render(e, http.StatusOK, "manage/bulletin_preview", p)
}

// consoleTest queues the bulletin, as readers of the chosen language get
// it, to the signed-in organiser.
func consoleTest(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	b, err := e.App.FindRecordById(ColBulletins, e.Request.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) {
		return web.NotFound(e)
	}
	if err != nil {
		return err
	}
	lang := f.Get("locale")
	if !i18n.IsSupported(lang) {
		lang = web.Lang(e)
	}
	err = e.App.RunInTransaction(func(tx core.App) error {
		return outbox.Defer(tx, outbox.Deferred{To: e.Auth.Email(), Template: mailBulletinTest, Ref: b.Id + ":" + lang})
	})
	if err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/manage/bulletins/"+b.Id+"?notice=test")
}

// consoleSend sends the bulletin (see Send) and shows its progress. A
// second send, or a bulletin that cannot be sent, is shown on the editor
// with what is wrong, and nothing is mailed.
func consoleSend(e *core.RequestEvent) error {
	if _, err := web.ParseForm(e); err != nil {
		return err
	}
	id := e.Request.PathValue("id")
	n, err := Send(e.App, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return web.NotFound(e)
	case errors.Is(err, ErrSent):
		return web.ErrorPage(e, http.StatusConflict, "bulletins.console.sent_already.title", "bulletins.console.sent_already.text")
	case err != nil:
		if isValidation(err) {
			return web.ErrorPage(e, http.StatusBadRequest, "bulletins.console.incomplete.title", "bulletins.console.incomplete.text")
		}
		return err
	}
	e.App.Logger().Info("bulletin queued", "bulletin", id, "mails", n, "organiser", e.Auth.Id)
	return e.Redirect(http.StatusSeeOther, "/manage/bulletins/"+id+"?notice=sent")
}
