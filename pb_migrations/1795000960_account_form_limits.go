package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// AccountFormLimits are the per-address limits of the forms that came with
// organiser invitations and bulletins: a forgotten password mails whoever
// owns the address, and so does a bulletin subscription, so neither may be
// a way to flood someone's inbox.
var AccountFormLimits = []core.RateLimitRule{
	{Label: "POST /manage/forgot", MaxRequests: 5, Duration: 60},
	{Label: "POST /manage/reset", MaxRequests: 10, Duration: 60},
	{Label: "POST /api/bulletins/subscribe", MaxRequests: 10, Duration: 60},
	{Label: "POST /bulletins/subscribe", MaxRequests: 10, Duration: 60},
}

func init() {
	m.Register(func(app core.App) error {
		return addLimitsBeside(app, "POST /manage/login", AccountFormLimits, "account and bulletin form limits")
	}, nil)
}

// addLimitsBeside adds the rules of limits that settings lack, but only
// where the rule labelled marker (one of Kopā's own) is still there: where
// an organiser removed Kopā's rules, they wanted none. It saves only when it
// added something; what names the rules in an error.
func addLimitsBeside(app core.App, marker string, limits []core.RateLimitRule, what string) error {
	s := app.Settings()
	have := map[string]bool{}
	for _, r := range s.RateLimits.Rules {
		have[r.Label] = true
	}
	if !have[marker] {
		return nil
	}
	added := false
	for _, r := range limits {
		if !have[r.Label] {
			s.RateLimits.Rules = append(s.RateLimits.Rules, r)
			added = true
		}
	}
	if !added {
		return nil
	}
	if err := app.Save(s); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
