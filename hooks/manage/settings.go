package manage

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/hooks/outbox"
	"kopa/hooks/settings"
	"kopa/hooks/web"
	"kopa/internal/contact"
	"kopa/internal/domain"
)

// SettingsData is what the settings page shows.
type SettingsData struct {
	S      settings.Settings
	Saved  bool
	Errors map[string]string
	// Backups is PocketBase's backup schedule (cron), empty when off.
	Backups     string
	BackupsKeep int
	// Proxy names the forwarding headers of an untrusted reverse proxy.
	Proxy string
	// MFA: PocketBase's multi-factor sign-in (password, then an e-mailed
	// one-time code) is on for the organisers collection.
	MFA bool
}

func showSettings(e *core.RequestEvent, status int, d SettingsData) error {
	b := e.App.Settings().Backups
	d.Backups, d.BackupsKeep = b.Cron, b.CronMaxKeep
	d.Proxy = proxyWarning(e)
	if c, err := e.App.FindCachedCollectionByNameOrId(domain.Organisers); err == nil {
		d.MFA = c.MFA.Enabled && c.OTP.Enabled
	}
	return web.Render(e, status, "manage/settings", web.NewConsolePage(e, "manage.settings", d))
}

func settingsPage(e *core.RequestEvent) error {
	return showSettings(e, http.StatusOK, SettingsData{S: settings.Load(e.App), Saved: e.Request.URL.Query().Get("saved") == "1"})
}

func settingsSave(e *core.RequestEvent) error {
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	days, err := strconv.Atoi(strings.TrimSpace(v.Get("retention_days")))
	s := settings.Settings{RetentionDays: days, OrgName: strings.TrimSpace(v.Get("org_name")),
		ContactEmail: strings.ToLower(strings.TrimSpace(v.Get("contact_email"))), ContactPhone: strings.TrimSpace(v.Get("contact_phone"))}
	errs := map[string]string{}
	if err != nil || days < settings.MinRetentionDays || days > settings.MaxRetentionDays {
		errs["retention_days"] = "manage.error.retention_days"
	}
	if utf8.RuneCountInString(s.OrgName) > settings.MaxOrgName {
		errs["org_name"] = "manage.error.too_long"
	}
	if _, err := contact.Email(s.ContactEmail); s.ContactEmail != "" && err != nil {
		errs["contact_email"] = "manage.error.email"
	}
	if utf8.RuneCountInString(s.ContactPhone) > settings.MaxContactPhone {
		errs["contact_phone"] = "manage.error.too_long"
	}
	// A form without the field (a page from before it existed) keeps the
	// setting as it is.
	s.ReminderHours = settings.Load(e.App).ReminderHours
	if _, ok := v["reminder_hours"]; ok {
		hours, err := strconv.Atoi(strings.TrimSpace(v.Get("reminder_hours")))
		s.ReminderHours = hours
		if err != nil || hours < settings.MinReminderHours || hours > settings.MaxReminderHours {
			errs["reminder_hours"] = "manage.error.reminder_hours"
		}
	}
	s.SeriesMissedLimit = settings.Load(e.App).SeriesMissedLimit
	if _, ok := v["series_missed_limit"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v.Get("series_missed_limit")))
		s.SeriesMissedLimit = n
		if err != nil || n < settings.MinMissedLimit || n > settings.MaxMissedLimit {
			errs["series_missed_limit"] = "manage.error.series_missed_limit"
		}
	}
	if len(errs) > 0 {
		return showSettings(e, http.StatusBadRequest, SettingsData{S: s, Errors: errs})
	}
	if err := settings.Save(e.App, s); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return e.Redirect(http.StatusSeeOther, "/manage/settings?saved=1")
}

// mfaSave switches PocketBase's own multi-factor sign-in for the organisers
// collection on or off: MFA with one-time codes by e-mail as the second
// factor after the password. The record API then answers a right password
// with 401 and an mfaId, as PocketBase does, and the console's login asks
// for the mailed code (see the web package).
func mfaSave(e *core.RequestEvent) error {
	v, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	var on bool
	switch v.Get("mfa") {
	case "on":
		on = true
	case "off":
	default:
		return e.BadRequestError("", map[string]any{"mfa": "must be on or off"})
	}
	c, err := e.App.FindCollectionByNameOrId(domain.Organisers)
	if err != nil {
		return fmt.Errorf("find organisers: %w", err)
	}
	c.MFA.Enabled = on
	c.OTP.Enabled = on
	if err := e.App.Save(c); err != nil {
		return fmt.Errorf("save organisers' sign-in options: %w", err)
	}
	e.App.Logger().Info("organisers' two-step sign-in switched", "on", on, "by", e.Auth.Id)
	return e.Redirect(http.StatusSeeOther, "/manage/settings?saved=1")
}

// MailRow is a mail that has not gone out.
type MailRow struct {
	ID, To, Subject, Status, LastError, Kind string
	Attempts                                 int
	Created                                  time.Time
}

// MailData is what the outbox page shows.
type MailData struct {
	Rows   []MailRow
	Failed int
}

func mailPage(e *core.RequestEvent) error {
	d := MailData{Rows: []MailRow{}}
	if _, err := e.App.FindCachedCollectionByNameOrId(outbox.Collection); err == nil {
		recs, err := e.App.FindRecordsByFilter(outbox.Collection, "status != 'sent' && status != 'skipped'", "-created", 200, 0)
		if err != nil {
			return err
		}
		for _, r := range recs {
			row := MailRow{ID: r.Id, To: r.GetString("to"), Subject: r.GetString("subject"), Status: r.GetString("status"),
				LastError: r.GetString("last_error"), Kind: r.GetString("kind"), Attempts: r.GetInt("attempts"), Created: r.GetDateTime("created").Time()}
			if row.Status == outbox.StatusFailed {
				d.Failed++
			}
			d.Rows = append(d.Rows, row)
		}
	}
	return web.Render(e, http.StatusOK, "manage/mail", web.NewConsolePage(e, "manage.mail", d))
}

// mailRetry puts failed mail back in the queue with a fresh count of
// attempts, makes every waiting mail due now and wakes the worker: the
// organiser has fixed the SMTP settings or the address.
func mailRetry(e *core.RequestEvent) error {
	now := types.NowDateTime().String()
	_, err := e.App.DB().NewQuery("UPDATE {{" + outbox.Collection + "}} SET [[status]] = {:pending}, [[attempts]] = 0, [[next_attempt_at]] = {:now}, [[updated]] = {:now} WHERE [[status]] = {:failed}").
		Bind(dbx.Params{"now": now, "pending": outbox.StatusPending, "failed": outbox.StatusFailed}).Execute()
	if err != nil {
		return fmt.Errorf("requeue failed mail: %w", err)
	}
	if err := outbox.RetryNow(e.App); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/manage/mail")
}
