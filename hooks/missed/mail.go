package missed

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// MailPaused is the outbox template (and kind) of the mail that tells a
// person their standing place paused, with the link that resumes it. Its
// ref is the standing place.
const MailPaused = "standing_paused"

// MailData is what the paused mail's templates receive.
type MailData struct {
	L          *i18n.Localizer
	Name       string
	Title      string
	TitleLang  string
	Missed     int
	ResumeURL  string
	TicketURL  string
	PrivacyURL string
}

func pausedMail(st *core.Record) outbox.Deferred {
	return outbox.Deferred{To: st.GetString("email"), Template: MailPaused, Ref: st.Id, Kind: MailPaused}
}

// renderPaused writes the paused mail when it is sent, in the person's
// language; once the place was resumed, ended or erased it is not sent.
func renderPaused(app core.App, ref string) (outbox.Message, error) {
	st, err := app.FindRecordById(domain.Standing, ref)
	if err != nil {
		return outbox.Message{}, err
	}
	if domain.StandingStatusOf(st) != domain.StandingPaused || st.GetString("email") == "" {
		return outbox.Message{}, outbox.ErrObsolete
	}
	s, err := app.FindRecordById(domain.Series, st.GetString("series"))
	if err != nil {
		return outbox.Message{}, err
	}
	lang := st.GetString("locale")
	if !i18n.IsSupported(lang) {
		lang = i18n.Default
	}
	ticket := registration.TicketURL(app, st.GetString("ticket"))
	title, titleLang := domain.LocalizedIn(s, "title", lang)
	data := MailData{
		L: web.Catalog().For(lang), Name: st.GetString("name"), Title: title, TitleLang: titleLang,
		Missed: st.GetInt("missed"), ResumeURL: ticket + "/resume", TicketURL: ticket,
		PrivacyURL: strings.TrimRight(app.Settings().Meta.AppURL, "/") + "/privacy",
	}
	html, text, err := web.RenderMail(MailPaused, data)
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{
		To: st.GetString("email"), Subject: data.L.T("missed.mail.subject", "Title", title),
		Text: text, HTML: html, Kind: MailPaused, Ref: st.Id,
	}, nil
}
