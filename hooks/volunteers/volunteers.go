// Package volunteers is everything about Kopā's volunteers: signing up and
// confirming the address (with PocketBase's own verification and one-time
// code machinery, in the volunteer's language), the portal at /volunteer/me,
// shifts and invitations matched by language and skill, the answers to an
// invitation at /i/{token}, and the reminder the day before a shift.
//
// Every mail goes through the outbox, queued in the same transaction as the
// change it announces and written when it is sent (see mail.go).
package volunteers

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/web"
	"kopa/internal/domain"
)

// reminderJob is the cron job that mails tomorrow's shifts.
const reminderJob = "kopaVolunteerReminders"

// Register binds the volunteer pages and API, the check of shift records
// and of the names the record API writes, gives the outbox the writers of the volunteer mails, localizes
// PocketBase's verification and one-time code mails for volunteers, and
// schedules the reminders.
func Register(app core.App) {
	registerMail()
	registerApproval(app)
	app.OnRecordEnrich(domain.Volunteers).BindFunc(showCodeToOwner)
	localizeAuthMails(app)
	app.OnRecordValidate(domain.Shifts).BindFunc(validateShift)
	watchDropOuts(app)
	app.OnRecordCreateRequest(domain.Volunteers).BindFunc(web.CheckRecordName)
	app.OnRecordUpdateRequest(domain.Volunteers).BindFunc(web.CheckRecordName)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		r := se.Router
		r.POST("/api/volunteers/signup", apiSignup)
		r.POST("/api/shifts/{id}/invite", apiInvite)
		r.GET("/api/shifts/open", apiOpenShifts)
		r.POST("/api/shifts/{id}/take", apiTake)

		r.GET("/volunteer", signupPage)
		r.POST("/volunteer", signupSubmit)
		r.GET("/volunteer/confirm", confirmPage)
		r.POST("/volunteer/confirm", confirmSubmit)
		r.GET("/volunteer/login-code", codePage)
		r.POST("/volunteer/login-code", codeRequest)
		r.POST("/volunteer/login-code/verify", codeVerify)

		me := r.Group("/volunteer/me")
		me.BindFunc(web.RequireSession(domain.Volunteers))
		me.BindFunc(web.RequireCSRF)
		me.GET("", portalPage)
		me.GET("/code.png", codeQR)
		me.POST("/profile", portalProfile)
		me.POST("/assignments/{id}/{answer}", portalAnswer)
		me.POST("/shifts/{id}/take", portalTake)
		me.GET("/delete", deletePage)
		me.POST("/delete", deleteSubmit)

		r.GET("/i/{token}", invitePage)
		r.POST("/i/{token}/{answer}", inviteAnswer)

		m := web.ConsoleGroup(r, "/manage/events/{id}")
		m.GET("/shifts", shiftsPage)
		m.POST("/shifts", shiftCreate)
		m.POST("/shifts/{shift}/invite", shiftInvite)
		m.POST("/shifts/{shift}/assignments/{assignment}/withdraw", assignmentWithdraw)
		m.POST("/interpreters", inviteInterpreters)
		m.POST("/childminders", inviteChildMinders)

		d := web.ConsoleGroup(r, "/manage/volunteers")
		d.GET("", directoryPage)
		d.GET("/{id}", volunteerPage)
		d.POST("/{id}/status", volunteerStatus)
		d.POST("/{id}/notes", volunteerNotes)
		d.POST("/{id}/invite", volunteerInvite)
		d.GET("/{id}/erase", volunteerEraseConfirm)
		d.POST("/{id}/erase", volunteerErase)

		return se.Next()
	})
	app.Cron().MustAdd(reminderJob, "*/15 * * * *", func() {
		n, err := SendReminders(app, time.Now())
		if err != nil {
			app.Logger().Error("volunteer reminders", "error", err, "queued", n)
			return
		}
		if n > 0 {
			app.Logger().Info("volunteer reminders queued", "count", n)
		}
	})
}
