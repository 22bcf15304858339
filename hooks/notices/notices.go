// Package notices keeps an event's people informed when it changes and
// when its organisers write to them:
//
//   - a change of time, end, venue or title of a published event mails
//     every confirmed and waitlisted registration and every invited or
//     accepted volunteer of its shifts, in their language: what changed,
//     old and new, with a calendar file that updates their entry (same
//     UID, higher SEQUENCE). Whoever made the change (the console, the
//     record API, the admin UI), the hook on the event's save announces it;
//     several quick edits reach people as one mail (see Delay);
//   - organisers write a message to an event's people (the console's
//     message page, or POST /api/events/{id}/message): a subject and a text
//     in Latvian, English and Russian, each person reading their own
//     language; event_messages keeps what was sent to how many.
//
// Every mail goes through the outbox, queued in the transaction of the
// change or the message and written when it is sent.
package notices

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Register binds the hook that announces an event's changes, the message
// API and console page, and gives the outbox the writers of their mails.
func Register(app core.App) {
	outbox.HandlePerson(MailChanged, renderChanged)
	outbox.HandlePerson(MailChangedVolunteer, renderChangedVolunteer)
	outbox.HandlePerson(MailMessage, renderMessage)
	app.OnRecordUpdateExecute(domain.Events).Bind(&hook.Handler[*core.RecordEvent]{
		Id:   "kopaAnnounceChange",
		Func: announceChange,
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/api/events/{id}/message", apiMessage)
		m := web.ConsoleGroup(se.Router, "/manage/events/{id}/message")
		m.GET("", messagePage)
		m.POST("", messagePost)
		return se.Next()
	})
}

// apiMessage is POST /api/events/{id}/message (organisers): JSON
// {"to":[…],"subject":{"lv","en","ru"},"body":{"lv","en","ru"}} → 202
// {"queued":N}, one mail per person. Bad input is a 400 with per-field
// errors and sends nothing.
func apiMessage(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Log in as an organiser.", nil)
	}
	if !domain.IsStaff(e.Auth) {
		return e.ForbiddenError("Only organisers write to an event's people.", nil)
	}
	ev, err := e.App.FindRecordById(domain.Events, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No such event.", nil)
	}
	data, err := web.ReadBody(e)
	if err != nil {
		return err
	}
	m, err := DecodeMessage(data)
	if err != nil {
		return e.BadRequestError("Please check the highlighted fields.", err)
	}
	n, err := Send(e.App, ev, m, sender(e.Auth))
	if err != nil {
		return err
	}
	return e.JSON(http.StatusAccepted, map[string]int{"queued": n})
}

// sender is the organiser's id for event_messages.sent_by; a superuser
// is not an organiser record.
func sender(auth *core.Record) string {
	if auth == nil || auth.IsSuperuser() {
		return ""
	}
	return auth.Id
}
