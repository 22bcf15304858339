package notices

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// MessageForm is the state of the console's message page: the form, its
// preview, and the messages sent before.
type MessageForm struct {
	Event domain.EventView
	// To is the audiences ticked; Subject and Body the texts by language.
	To            map[domain.Audience]bool
	Subject, Body map[string]string
	Errors        map[string]string
	// Preview holds the message as each language's readers get it, and
	// Count how many people it would reach, on the preview step.
	Preview []PreviewLang
	Count   int
	// Counts are how many people each audience holds now.
	Counts map[domain.Audience]int
	// Sent is set after a message was queued: to how many.
	Sent    int
	SentSet bool
	History []SentMessage
	// Audiences and Langs are the choices the form offers.
	Audiences []domain.Audience
	Langs     []string
}

// PreviewLang is the message as readers of one language get it.
type PreviewLang struct {
	Lang, Subject string
	Body          [][]string
	// Fallback is set when the language has no text of its own.
	Fallback bool
}

// SentMessage is one line of the console's record of messages.
type SentMessage struct {
	Created time.Time
	Subject string
	To      []domain.Audience
	Count   int
	SentBy  string
}

func (f *MessageForm) message() Message {
	m := Message{Subject: map[string]string{}, Body: map[string]string{}}
	for _, a := range domain.Audiences {
		if f.To[a] {
			m.To = append(m.To, a)
		}
	}
	for _, l := range i18n.Supported {
		m.Subject[l], m.Body[l] = f.Subject[l], f.Body[l]
	}
	return m
}

// messageErrors turns a message's validation errors into the console's
// message ids.
func messageErrors(err error) map[string]string {
	out := map[string]string{}
	var verrs validation.Errors
	if !errors.As(err, &verrs) {
		return out
	}
	for k, v := range verrs {
		code := "invalid"
		var ve validation.Error
		if errors.As(v, &ve) {
			switch ve.Code() {
			case "validation_required":
				code = "required"
			case "validation_length_too_long":
				code = "too_long"
			}
		}
		out[k] = "message.error." + k + "." + code
	}
	return out
}

func showMessage(e *core.RequestEvent, status int, ev *core.Record, f MessageForm) error {
	lang := web.Lang(e)
	st, err := attendance.ForEvent(e.App, ev.Id)
	if err != nil {
		return err
	}
	f.Event = domain.NewEventView(ev, lang, st)
	f.Audiences, f.Langs = domain.Audiences, i18n.Supported
	f.Counts = map[domain.Audience]int{}
	for _, a := range domain.Audiences {
		to, err := Recipients(e.App, ev.Id, []domain.Audience{a})
		if err != nil {
			return err
		}
		f.Counts[a] = len(to)
	}
	recs, err := e.App.FindRecordsByFilter(domain.EventMessages, "event = {:e}", "-created", 100, 0, map[string]any{"e": ev.Id})
	if err != nil {
		return err
	}
	for _, r := range recs {
		m, err := messageOf(r)
		if err != nil {
			return err
		}
		subject, _ := m.In(lang)
		by := ""
		if o, err := e.App.FindRecordById(domain.Organisers, r.GetString("sent_by")); err == nil {
			by = o.GetString("name")
		}
		f.History = append(f.History, SentMessage{Created: r.GetDateTime("created").Time(), Subject: subject, To: m.To, Count: r.GetInt("count"), SentBy: by})
	}
	p := web.NewConsolePage(e, "message.title", f)
	return web.Render(e, status, "manage/message", p)
}

// messagePage is GET /manage/events/{id}/message: the form (the people
// with a seat ticked), and the messages sent before.
func messagePage(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	f := MessageForm{To: map[domain.Audience]bool{domain.AudienceConfirmed: true}, Subject: map[string]string{}, Body: map[string]string{}}
	if n, err := strconv.Atoi(e.Request.URL.Query().Get("sent")); err == nil && n >= 0 {
		f.Sent, f.SentSet = n, true
	}
	return showMessage(e, http.StatusOK, ev, f)
}

// messagePost is the form's two steps: "preview" shows the message as
// each language reads it and to how many it goes; "send" queues it and
// comes back to the page; "edit" returns to the form as it was.
func messagePost(e *core.RequestEvent) error {
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return web.NotFound(e)
	}
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	f := MessageForm{To: map[domain.Audience]bool{}, Subject: map[string]string{}, Body: map[string]string{}}
	for _, a := range v["to"] {
		f.To[domain.Audience(a)] = true
	}
	for _, l := range i18n.Supported {
		f.Subject[l], f.Body[l] = v.Get("subject_"+l), v.Get("body_"+l)
	}
	step := v.Get("step")
	if step == "edit" {
		return showMessage(e, http.StatusOK, ev, f)
	}
	m := f.message()
	if err := m.Normalize(); err != nil {
		f.Errors = messageErrors(err)
		return showMessage(e, http.StatusBadRequest, ev, f)
	}
	if step == "send" {
		n, err := Send(e.App, ev, m, sender(e.Auth))
		if err != nil {
			return fmt.Errorf("send message: %w", err)
		}
		return e.Redirect(http.StatusSeeOther, fmt.Sprintf("/manage/events/%s/message?sent=%d", ev.Id, n))
	}
	to, err := Recipients(e.App, ev.Id, m.To)
	if err != nil {
		return err
	}
	f.Count = len(to)
	for _, l := range i18n.Supported {
		subject, body := m.In(l)
		f.Preview = append(f.Preview, PreviewLang{Lang: l, Subject: subject, Body: Paragraphs(body), Fallback: m.Subject[l] == "" || m.Body[l] == ""})
	}
	return showMessage(e, http.StatusOK, ev, f)
}
