package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The NGO's bulletins: who asked to receive them (subscribers, with double
// opt-in) and what organisers write (bulletins).
//
// A subscriber is an address, the language of its mails, and when and where
// consent was given; nothing else about the person. The token is the
// secret of the links in the mails (confirm, unsubscribe) and is hidden
// from the API. Only organisers read subscribers, and nobody creates or
// changes one through the API: the subscribe endpoint and the links do.
//
// A bulletin is a Latvian title and text (Markdown) with English and
// Russian titles and summaries, optional images, and whether it was sent.

// Values frozen as this migration wrote them.
var (
	subscriberStatuses = []string{"pending", "confirmed"}
	consentSources     = []string{"form", "registration", "volunteer"}
	bulletinStatuses   = []string{"draft", "sent"}
	bulletinImageTypes = []string{"image/jpeg", "image/png", "image/webp"}
)

// BulletinFormLimits are the per-address limits of the subscribe forms:
// each new address is a mail sent to someone.
var BulletinFormLimits = []core.RateLimitRule{
	{Label: "POST /api/bulletins/subscribe", MaxRequests: 10, Duration: 60},
	{Label: "POST /bulletins/subscribe", MaxRequests: 10, Duration: 60},
}

func init() {
	m.Register(func(app core.App) error {
		subs := core.NewBaseCollection("subscribers")
		subs.ListRule = types.Pointer(isOrganiser)
		subs.ViewRule = types.Pointer(isOrganiser)
		subs.DeleteRule = types.Pointer(isOrganiser)
		subs.Fields.Add(&core.EmailField{Name: "email", Required: true})
		subs.Fields.Add(&core.SelectField{Name: "locale", Required: true, Values: []string{"lv", "en", "ru"}, MaxSelect: 1})
		subs.Fields.Add(&core.SelectField{Name: "status", Required: true, Values: subscriberStatuses, MaxSelect: 1})
		subs.Fields.Add(&core.TextField{Name: "token", Required: true, Hidden: true, Pattern: ticketPattern, Min: 24, Max: 24})
		subs.Fields.Add(&core.DateField{Name: "consent_at", Required: true})
		subs.Fields.Add(&core.SelectField{Name: "consent_source", Required: true, Values: consentSources, MaxSelect: 1})
		subs.Fields.Add(&core.DateField{Name: "confirmed_at"})
		subs.Fields.Add(&core.DateField{Name: "mailed_at"})
		timestamps(subs)
		subs.AddIndex("idx_subscribers_email", true, "email", "")
		subs.AddIndex("idx_subscribers_token", true, "token", "")
		subs.AddIndex("idx_subscribers_status", false, "status", "")
		if err := app.Save(subs); err != nil {
			return fmt.Errorf("subscribers: %w", err)
		}

		b := core.NewBaseCollection("bulletins")
		organiserOnly(b)
		b.Fields.Add(&core.TextField{Name: "title_lv", Required: true, Max: 200})
		b.Fields.Add(&core.TextField{Name: "body_lv", Required: true, Max: 100000})
		b.Fields.Add(&core.TextField{Name: "title_en", Max: 200})
		b.Fields.Add(&core.TextField{Name: "summary_en", Max: 5000})
		b.Fields.Add(&core.TextField{Name: "title_ru", Max: 200})
		b.Fields.Add(&core.TextField{Name: "summary_ru", Max: 5000})
		b.Fields.Add(&core.SelectField{Name: "status", Required: true, Values: bulletinStatuses, MaxSelect: 1})
		b.Fields.Add(&core.DateField{Name: "sent_at"})
		b.Fields.Add(&core.FileField{Name: "images", MaxSelect: 20, MaxSize: 5 << 20, MimeTypes: bulletinImageTypes, Thumbs: []string{"640x0"}})
		timestamps(b)
		b.AddIndex("idx_bulletins_status_sent", false, "status, sent_at", "")
		if err := app.Save(b); err != nil {
			return fmt.Errorf("bulletins: %w", err)
		}

		s := app.Settings()
		have := map[string]bool{}
		for _, r := range s.RateLimits.Rules {
			have[r.Label] = true
		}
		// Only beside Kopā's own rules: where an organiser removed them,
		// they wanted none.
		if have["POST /api/volunteers/signup"] {
			for _, r := range BulletinFormLimits {
				if !have[r.Label] {
					s.RateLimits.Rules = append(s.RateLimits.Rules, r)
				}
			}
			if err := app.Save(s); err != nil {
				return fmt.Errorf("bulletin form limits: %w", err)
			}
		}
		return nil
	}, func(app core.App) error {
		for _, name := range []string{"bulletins", "subscribers"} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				continue
			}
			if err := app.Delete(c); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	})
}
