package series

import (
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/ticketfile"
)

// Kinds of a standing place's mail.
const (
	MailWelcome = "welcome" // the place is yours: the dates and the calendar
	MailAgain   = "again"   // you asked for your ticket again
)

// MailData is what the standing place's mail template receives.
type MailData struct {
	L         *i18n.Localizer
	Kind      string
	Name      string
	Title     string
	TitleLang string
	Venue     string
	// Sessions are the sessions ahead with the place's seat in each.
	Sessions              []SessionLine
	TicketURL, PrivacyURL string
}

// SessionLine is one session as a page or a mail lists it.
type SessionLine struct {
	ID               string
	StartsAt, EndsAt time.Time
	// Status is the seat's: confirmed, waitlisted, cancelled (given up),
	// or "" without one.
	Status    string
	Skipped   bool
	SeatsLeft int
	Cancelled bool
	Started   bool
}

func welcomeMail(st *core.Record, kind string) outbox.Deferred {
	return outbox.Deferred{To: st.GetString("email"), Template: "series_" + kind, Ref: st.Id, Kind: "series_" + kind}
}

func registerMail() {
	for _, kind := range []string{MailWelcome, MailAgain} {
		outbox.Handle("series_"+kind, func(app core.App, ref string) (outbox.Message, error) {
			st, err := app.FindRecordById(domain.Standing, ref)
			if err != nil {
				return outbox.Message{}, err
			}
			if domain.StandingStatusOf(st) == domain.StandingEnded || st.GetString("email") == "" {
				return outbox.Message{}, outbox.ErrObsolete
			}
			return WelcomeMail(app, st, kind, time.Now())
		})
	}
}

// placeSessions are the sessions of st's series that end after now, with
// st's seat in each, and the calendar entries of those it holds a seat in.
func placeSessions(app core.App, st *core.Record, lang string, now time.Time) ([]SessionLine, []ticketfile.Event, error) {
	var sessions []*core.Record
	err := app.RecordQuery(domain.Events).
		AndWhere(dbx.HashExp{"series": st.GetString("series")}).
		AndWhere(dbx.NewExp("series != '' AND status != {:draft} AND ends_at > {:now}",
			dbx.Params{"draft": string(domain.EventDraft), "now": domain.DateTime(now).String()})).
		OrderBy("starts_at ASC").All(&sessions)
	if err != nil {
		return nil, nil, err
	}
	seats, err := seatsOf(app, st.Id)
	if err != nil {
		return nil, nil, err
	}
	url := registration.TicketURL(app, st.GetString("ticket"))
	var lines []SessionLine
	var cal []ticketfile.Event
	for _, ev := range sessions {
		line := SessionLine{ID: ev.Id, StartsAt: ev.GetDateTime("starts_at").Time(), EndsAt: ev.GetDateTime("ends_at").Time(),
			Cancelled: domain.EventStatusOf(ev) == domain.EventCancelled}
		line.Started = !now.Before(line.StartsAt)
		if r, ok := seats[ev.Id]; ok {
			line.Status = r.GetString("status")
			line.Skipped = domain.Skipped(r)
			if line.Status != string(domain.RegistrationCancelled) {
				cal = append(cal, ticketfile.Event{
					UID: r.Id + "@kopa", Title: domain.Localized(ev, "title", lang), Location: ev.GetString("venue"),
					Description: url, URL: url, Start: line.StartsAt, End: line.EndsAt,
					Cancelled: line.Cancelled, Tentative: line.Status == string(domain.RegistrationWaitlisted),
					Sequence: ev.GetInt("sequence"),
				})
			}
		}
		lines = append(lines, line)
	}
	return lines, cal, nil
}

// WelcomeMail writes a standing place's mail in its language, when it is
// sent: the sessions ahead with the seat in each, the ticket's link and QR
// code, and a calendar file holding those sessions.
func WelcomeMail(app core.App, st *core.Record, kind string, now time.Time) (outbox.Message, error) {
	lang := st.GetString("locale")
	if !i18n.IsSupported(lang) {
		lang = i18n.Default
	}
	s, err := app.FindRecordById(domain.Series, st.GetString("series"))
	if err != nil {
		return outbox.Message{}, err
	}
	lines, cal, err := placeSessions(app, st, lang, now)
	if err != nil {
		return outbox.Message{}, err
	}
	url := registration.TicketURL(app, st.GetString("ticket"))
	title, titleLang := domain.LocalizedIn(s, "title", lang)
	data := MailData{
		L: web.Catalog().For(lang), Kind: kind, Name: st.GetString("name"), Title: title, TitleLang: titleLang,
		Venue: s.GetString("venue"), Sessions: lines, TicketURL: url,
		PrivacyURL: strings.TrimRight(app.Settings().Meta.AppURL, "/") + "/privacy",
	}
	html, text, err := web.RenderMail("series", data)
	if err != nil {
		return outbox.Message{}, err
	}
	qr, err := ticketfile.QR(url)
	if err != nil {
		return outbox.Message{}, fmt.Errorf("draw the ticket's QR code: %w", err)
	}
	return outbox.Message{
		To:      st.GetString("email"),
		Subject: data.L.T("series.mail.subject."+kind, "Title", title),
		Text:    text, HTML: html,
		Attachments: []outbox.Attachment{
			{Name: "ticket-qr.png", ContentType: "image/png", Data: qr, Inline: true},
			{Name: "sessions.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: ticketfile.ICSAll(cal, now)},
		},
		Kind: "series_" + kind, Ref: st.Id,
	}, nil
}
