package volunteers

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"kopa/hooks/outbox"
	"kopa/hooks/web"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/ticketfile"
)

// Templates of the volunteer mails Kopā writes itself. A queued row holds
// only the template, the recipient and the record named here (its ref);
// the outbox worker writes the mail from that record when it sends it (see
// package outbox), so an invitation to a shift that was deleted, has
// started or was answered meanwhile is not sent.
const (
	mailInvite    = "volunteer_invite"    // ref: the assignment
	mailWithdrawn = "volunteer_withdrawn" // ref: the assignment
	mailReminder  = "volunteer_reminder"  // ref: the assignment
	mailAlready   = "volunteer_already"   // ref: the volunteer
	mailAccepted  = "volunteer_accepted"  // ref: the assignment
)

// registerMail gives the outbox the writer of each volunteer mail.
// PocketBase's own mails (address confirmation, one-time code) are
// localized by localizeAuthMails instead: they carry a token or code that
// only PocketBase's message holds.
func registerMail() {
	outbox.Handle(mailInvite, renderAssignment(mailInvite, inviteMail))
	outbox.Handle(mailWithdrawn, renderAssignment(mailWithdrawn, withdrawnMail))
	outbox.Handle(mailReminder, renderAssignment(mailReminder, reminderMail))
	outbox.Handle(mailAccepted, renderAssignment(mailAccepted, acceptedMail))
	outbox.Handle(mailAlready, renderAlready)
	outbox.Handle(mailEventCancelled, renderAssignment(mailEventCancelled, eventCancelledMail))
	outbox.Handle(mailShort, renderShort)
}

// queueMail queues the volunteer mail of template about ref to v with tx,
// so it commits with the change it announces.
func queueMail(tx core.App, v *core.Record, template, ref string) error {
	return outbox.Defer(tx, outbox.Deferred{To: v.Email(), Template: template, Ref: ref})
}

// assignmentMail writes a mail about an assignment from its records.
type assignmentMail func(app core.App, ev, shift, v, a *core.Record) (outbox.Message, error)

// renderAssignment writes a mail about an assignment when it is sent, from
// the assignment, its shift, event and volunteer as they are then. The mail
// is obsolete when any of them is gone (a deleted shift or account takes
// its assignments with it) or when it no longer fits (see stillTrue).
func renderAssignment(template string, write assignmentMail) outbox.Renderer {
	return func(app core.App, ref string) (outbox.Message, error) {
		a, err := app.FindRecordById(domain.Assignments, ref)
		if err != nil {
			return outbox.Message{}, gone(err)
		}
		shift, err := app.FindRecordById(domain.Shifts, a.GetString("shift"))
		if err != nil {
			return outbox.Message{}, gone(err)
		}
		ev, err := app.FindRecordById(domain.Events, shift.GetString("event"))
		if err != nil {
			return outbox.Message{}, gone(err)
		}
		v, err := app.FindRecordById(domain.Volunteers, a.GetString("volunteer"))
		if err != nil {
			return outbox.Message{}, gone(err)
		}
		if !stillTrue(template, ev, shift, v, a, time.Now()) {
			return outbox.Message{}, outbox.ErrObsolete
		}
		return write(app, ev, shift, v, a)
	}
}

// stillTrue reports whether a mail about an assignment says something true
// at now: an invitation while it waits for an answer and the shift can
// still be answered (and the volunteer is approved and still wants to hear
// from Kopā); a reminder while the place is accepted, the shift is ahead
// and the volunteer is approved; the notice
// of a withdrawal while the assignment stays withdrawn.
func stillTrue(template string, ev, shift, v, a *core.Record, now time.Time) bool {
	open := domain.ShiftOpen(ev, shift.GetDateTime("starts_at").Time(), now)
	status := domain.AssignmentStatusOf(a)
	switch template {
	case mailInvite:
		return status == domain.AssignmentInvited && open && IsApproved(v) && v.Verified() && v.GetBool("contact_consent")
	case mailReminder, mailAccepted:
		return status == domain.AssignmentAccepted && open && IsApproved(v)
	case mailWithdrawn:
		return status == domain.AssignmentCancelled
	case mailEventCancelled:
		return domain.EventStatusOf(ev) == domain.EventCancelled && (status == domain.AssignmentInvited || status == domain.AssignmentAccepted)
	}
	return false
}

// renderAlready writes the "you are signed up already" mail to the
// volunteer ref, unless the account was deleted meanwhile.
func renderAlready(app core.App, ref string) (outbox.Message, error) {
	v, err := app.FindRecordById(domain.Volunteers, ref)
	if err != nil {
		return outbox.Message{}, gone(err)
	}
	return alreadyMail(app, v)
}

// gone makes a record that no longer exists an obsolete mail; other errors
// are tried again later.
func gone(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.ErrObsolete
	}
	return fmt.Errorf("read the mail's records: %w", err)
}

// Fact is one "label: value" line of a mail.
type Fact struct{ Label, Value string }

// Link is a button (HTML) or a labelled address (text) in a mail.
type Link struct{ Label, URL string }

// MailData is what the volunteer mail templates receive: every volunteer
// mail is a greeting, paragraphs, facts, maybe a code, buttons and notes,
// already in the volunteer's language.
type MailData struct {
	L          *i18n.Localizer
	Title      string
	Greeting   string
	Paras      []string
	Facts      []Fact
	Code       string
	Buttons    []Link
	Notes      []string
	PrivacyURL string
	// Footer says why the mail came; a volunteer's mail says it when empty.
	Footer string
}

// render fills both templates.
func (d MailData) render() (html, text string, err error) {
	return web.RenderMail("volunteer_mail", d)
}

// baseURL is the public address saved in PocketBase's settings.
func baseURL(app core.App) string {
	return strings.TrimRight(app.Settings().Meta.AppURL, "/")
}

// localeOf is the volunteer's language, Latvian when unset.
func localeOf(v *core.Record) string {
	if l := v.GetString("locale"); i18n.IsSupported(l) {
		return l
	}
	return i18n.Default
}

// newMail starts a mail to volunteer v in their language.
func newMail(app core.App, v *core.Record) (MailData, *i18n.Localizer) {
	l := web.Catalog().For(localeOf(v))
	return MailData{
		L: l, Greeting: l.T("mail.greeting", "Name", v.GetString("name")),
		PrivacyURL: baseURL(app) + "/privacy",
	}, l
}

// pageURL is an absolute address of a page on this site, opened in lang.
func pageURL(app core.App, path string, query url.Values, lang string) string {
	if query == nil {
		query = url.Values{}
	}
	query.Set("lang", lang)
	return baseURL(app) + path + "?" + query.Encode()
}

// localizeAuthMails replaces PocketBase's English verification and
// one-time code mails of volunteers with Kopā's, in the volunteer's
// language and pointing at Kopā's own pages. They are then queued in the
// outbox as raw mail, stored whole, since their token or code exists only
// in PocketBase's message (see outbox's OnMailerSend hook).
func localizeAuthMails(app core.App) {
	app.OnMailerRecordVerificationSend(domain.Volunteers).Bind(&hook.Handler[*core.MailerRecordEvent]{
		Id: "kopaVolunteerVerificationMail",
		Func: func(e *core.MailerRecordEvent) error {
			token, _ := e.Meta["token"].(string)
			if err := fill(e, confirmMail(e.App, e.Record, token)); err != nil {
				return err
			}
			return e.Next()
		},
	})
	app.OnMailerRecordOTPSend(domain.Volunteers).Bind(&hook.Handler[*core.MailerRecordEvent]{
		Id: "kopaVolunteerOTPMail",
		Func: func(e *core.MailerRecordEvent) error {
			otpID, _ := e.Meta["otpId"].(string)
			code, _ := e.Meta["password"].(string)
			if err := fill(e, codeMail(e.App, e.Record, otpID, code)); err != nil {
				return err
			}
			return e.Next()
		},
	})
}

// fill puts a built mail into PocketBase's message.
func fill(e *core.MailerRecordEvent, d MailData) error {
	html, text, err := d.render()
	if err != nil {
		return err
	}
	e.Message.Subject = d.Title
	e.Message.HTML = html
	e.Message.Text = text
	return nil
}

// confirmMail asks a new volunteer to confirm the address and choose a
// password.
func confirmMail(app core.App, v *core.Record, token string) MailData {
	d, l := newMail(app, v)
	d.Title = l.T("vmail.confirm.subject")
	d.Paras = []string{l.T("vmail.confirm.lead"), l.T("vmail.confirm.action")}
	d.Buttons = []Link{{l.T("vmail.confirm.button"), pageURL(app, "/volunteer/confirm", url.Values{"token": {token}}, l.Lang)}}
	d.Notes = []string{l.T("vmail.confirm.expires"), l.T("vmail.not_you")}
	return d
}

// codeMail carries a one-time login code.
func codeMail(app core.App, v *core.Record, otpID, code string) MailData {
	d, l := newMail(app, v)
	d.Title = l.T("vmail.code.subject", "Code", code)
	d.Paras = []string{l.T("vmail.code.lead")}
	d.Code = code
	d.Buttons = []Link{{l.T("vmail.code.button"), pageURL(app, "/volunteer/login-code", url.Values{"otp": {otpID}}, l.Lang)}}
	d.Notes = []string{l.T("vmail.code.expires", "Minutes", otpMinutes(app)), l.T("vmail.not_you")}
	return d
}

// alreadyMail tells the owner of an address that signed up again that
// they have an account, with a link that signs them in: the address
// confirmation page (/volunteer/confirm), opened with a verification token
// made now, as the mail is sent. It proves the address as the first
// confirmation did, lets them choose a new password or keep theirs, and
// works once and for three days (PocketBase's verification token; using
// it renews the key behind the volunteer's tokens). A volunteer who never
// confirmed the address confirms it with the same link.
func alreadyMail(app core.App, v *core.Record) (outbox.Message, error) {
	token, err := v.NewVerificationToken()
	if err != nil {
		return outbox.Message{}, fmt.Errorf("sign-in link: %w", err)
	}
	d, l := newMail(app, v)
	d.Title = l.T("vmail.already.subject")
	d.Paras = []string{l.T("vmail.already.lead"), l.T("vmail.already.action")}
	d.Buttons = []Link{
		{l.T("vmail.already.signin"), pageURL(app, "/volunteer/confirm", url.Values{"token": {token}}, l.Lang)},
		{l.T("vmail.already.login"), pageURL(app, "/manage/login", url.Values{"next": {"/volunteer/me"}}, l.Lang)},
		{l.T("vmail.already.code"), pageURL(app, "/volunteer/login-code", nil, l.Lang)},
	}
	d.Notes = []string{l.T("vmail.confirm.expires"), l.T("vmail.not_you")}
	return message(v, mailAlready, v.Id, d)
}

// message makes an outbox message to volunteer v from a built mail.
func message(v *core.Record, kind, ref string, d MailData) (outbox.Message, error) {
	html, text, err := d.render()
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{To: v.Email(), Subject: d.Title, HTML: html, Text: text, Kind: kind, Ref: ref}, nil
}

// otpMinutes is how long a one-time code stays valid.
func otpMinutes(app core.App) int {
	col, err := app.FindCachedCollectionByNameOrId(domain.Volunteers)
	if err != nil || col.OTP.Duration <= 0 {
		return 3
	}
	return int((col.OTP.Duration + 59) / 60)
}

// ShiftCalendar is the calendar entry of a volunteer's place on a shift,
// in lang: its UID is the assignment's, so every file about that place
// updates one entry; its version is the event's sequence. An invitation's
// entry is tentative; a declined or withdrawn one, or one of a cancelled
// event, is cancelled.
func ShiftCalendar(app core.App, ev, shift, a *core.Record, lang string) ticketfile.Event {
	l := web.Catalog().For(lang)
	status := domain.AssignmentStatusOf(a)
	portal := pageURL(app, "/volunteer/me", nil, l.Lang)
	return ticketfile.Event{
		UID:   a.Id + "@kopa",
		Title: l.T("skill."+shift.GetString("role")) + " — " + domain.Localized(ev, "title", l.Lang), Location: ev.GetString("venue"),
		Description: portal, URL: portal,
		Start: shift.GetDateTime("starts_at").Time(), End: shift.GetDateTime("ends_at").Time(),
		Cancelled: domain.EventStatusOf(ev) == domain.EventCancelled || (status != domain.AssignmentAccepted && status != domain.AssignmentInvited),
		Tentative: status == domain.AssignmentInvited,
		Sequence:  ev.GetInt("sequence"),
	}
}

// shiftAttachment is the calendar file of a volunteer's place on a shift.
func shiftAttachment(app core.App, ev, shift, a *core.Record, lang string) outbox.Attachment {
	cal := ShiftCalendar(app, ev, shift, a, lang)
	return outbox.Attachment{Name: "shift.ics", ContentType: cal.ContentType(), Data: ticketfile.ICS(cal, time.Now())}
}

// acceptedMailFor queues the confirmation of an accepted place to
// volunteer v with tx, when Kopā may write to them.
func acceptedMailFor(tx core.App, v, a *core.Record) error {
	if !v.Verified() {
		return nil
	}
	return queueMail(tx, v, mailAccepted, a.Id)
}

// acceptedMail confirms volunteer v's place on a shift, with its calendar
// file.
func acceptedMail(app core.App, ev, shift, v, a *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	title := domain.Localized(ev, "title", l.Lang)
	role := l.T("skill." + shift.GetString("role"))
	span := l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
	d.Title = l.T("vmail.accepted.subject", "Role", role, "Title", title)
	d.Paras = []string{l.T("vmail.accepted.lead")}
	d.Facts = shiftFacts(l, span, title, role, ev.GetString("venue"))
	d.Notes = []string{l.T("vmail.accepted.calendar"), l.T("vmail.accepted.withdraw"), l.T("vmail.invite.portal", "URL", baseURL(app)+"/volunteer/me")}
	msg, err := message(v, mailAccepted, a.Id, d)
	if err != nil {
		return msg, err
	}
	msg.Attachments = []outbox.Attachment{shiftAttachment(app, ev, shift, a, l.Lang)}
	return msg, nil
}
