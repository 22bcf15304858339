package volunteers

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/internal/domain"
)

// ReminderLead is how long before a shift starts its volunteers are
// reminded: a reminder goes out once the shift is less than a day away.
const ReminderLead = 24 * time.Hour

// SendReminders queues one reminder mail for every accepted assignment
// whose shift starts within ReminderLead of now and that has not been
// reminded yet. Each assignment is marked reminded in the same transaction
// that queues its mail, so a reminder is sent once, however often this
// runs. It returns how many reminders were queued.
func SendReminders(app core.App, now time.Time) (int, error) {
	var ids []string
	err := app.DB().Select("a.id").From(domain.Assignments+" a").
		InnerJoin(domain.Shifts+" s", dbx.NewExp("s.id = a.shift")).
		Where(dbx.HashExp{"a.status": domain.AssignmentAccepted}).
		AndWhere(dbx.NewExp("(a.reminded_at = '' OR a.reminded_at IS NULL) AND s.starts_at > {:now} AND s.starts_at <= {:until}",
			dbx.Params{"now": domain.DateTime(now).String(), "until": domain.DateTime(now.Add(ReminderLead)).String()})).
		OrderBy("s.starts_at").Limit(1000).Column(&ids)
	if err != nil {
		return 0, fmt.Errorf("due reminders: %w", err)
	}
	sent := 0
	for _, id := range ids {
		err := app.RunInTransaction(func(tx core.App) error {
			a, err := tx.FindRecordById(domain.Assignments, id)
			if err != nil || domain.AssignmentStatusOf(a) != domain.AssignmentAccepted || !a.GetDateTime("reminded_at").IsZero() {
				return nil // answered or reminded meanwhile
			}
			shift, err := tx.FindRecordById(domain.Shifts, a.GetString("shift"))
			if err != nil {
				return nil
			}
			ev, err := tx.FindRecordById(domain.Events, shift.GetString("event"))
			if err != nil || domain.EventStatusOf(ev) == domain.EventCancelled {
				return nil
			}
			v, err := tx.FindRecordById(domain.Volunteers, a.GetString("volunteer"))
			if err != nil {
				return nil
			}
			a.Set("reminded_at", domain.DateTime(now))
			if err := tx.Save(a); err != nil {
				return fmt.Errorf("mark reminded: %w", err)
			}
			if err := queueMail(tx, v, mailReminder, a.Id); err != nil {
				return err
			}
			sent++
			return nil
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// reminderMail reminds volunteer v of tomorrow's shift.
func reminderMail(app core.App, ev, shift, v, a *core.Record) (outbox.Message, error) {
	d, l := newMail(app, v)
	title := domain.Localized(ev, "title", l.Lang)
	role := l.T("skill." + shift.GetString("role"))
	span := l.Span(shift.GetDateTime("starts_at").Time(), shift.GetDateTime("ends_at").Time())
	d.Title = l.T("vmail.reminder.subject", "Role", role, "Title", title)
	d.Paras = []string{l.T("vmail.reminder.lead")}
	d.Facts = shiftFacts(l, span, title, role, ev.GetString("venue"))
	d.Buttons = []Link{{l.T("vmail.reminder.portal"), pageURL(app, "/volunteer/me", nil, l.Lang)}}
	if shift.GetString("role") == domain.SkillDoor {
		d.Notes = append(d.Notes, l.T("vmail.reminder.scanner", "URL", baseURL(app)+"/manage/events/"+ev.Id+"/scan"))
	}
	d.Notes = append(d.Notes, l.T("vmail.reminder.cannot", "URL", InviteURL(app, a.GetString("token"), "", l.Lang)))
	return message(v, mailReminder, a.Id, d)
}
