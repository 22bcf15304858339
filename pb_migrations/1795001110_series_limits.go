package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// SeriesLimits are the per-address limits of a series' registration (the
// API and the page's form), as an event's: each mails whoever owns the
// address.
var SeriesLimits = []core.RateLimitRule{
	{Label: "POST /api/series/", MaxRequests: 30, Duration: 60},
	{Label: "POST /series/", MaxRequests: 30, Duration: 60},
}

func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		have := map[string]bool{}
		for _, r := range s.RateLimits.Rules {
			have[r.Label] = true
		}
		// Only beside Kopā's own rules: where an organiser removed them,
		// they wanted none.
		if !have["POST /api/events/"] {
			return nil
		}
		added := false
		for _, r := range SeriesLimits {
			if !have[r.Label] {
				s.RateLimits.Rules = append(s.RateLimits.Rules, r)
				added = true
			}
		}
		if !added {
			return nil
		}
		if err := app.Save(s); err != nil {
			return fmt.Errorf("series registration limits: %w", err)
		}
		return nil
	}, nil)
}
