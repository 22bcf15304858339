package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// KopaRateLimits are the per-address limits of the public forms. They are
// added (and PocketBase's limiter switched on) once, on a database that has
// none of them; after that an organiser tunes or switches them off in the
// settings and Kopā leaves them alone.
var KopaRateLimits = []core.RateLimitRule{
	// Registration (API and form). Generous: a family or a reception centre
	// often shares one address.
	{Label: "POST /api/events/", MaxRequests: 30, Duration: 60},
	{Label: "POST /events/", MaxRequests: 30, Duration: 60},
	// Ticket pages, QR codes, calendar files and cancellation.
	{Label: "/t/", MaxRequests: 120, Duration: 60},
	// Volunteer sign-up and invitation answers.
	{Label: "POST /api/volunteers/signup", MaxRequests: 10, Duration: 60},
	{Label: "/i/", MaxRequests: 60, Duration: 60},
	// Signing in to the console.
	{Label: "POST /manage/login", MaxRequests: 10, Duration: 60},
}

func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		have := map[string]bool{}
		for _, r := range s.RateLimits.Rules {
			have[r.Label] = true
		}
		for _, r := range KopaRateLimits {
			if have[r.Label] {
				return nil // someone configured them already: leave every rule as it is
			}
		}
		s.RateLimits.Rules = append(s.RateLimits.Rules, KopaRateLimits...)
		s.RateLimits.Enabled = true
		return app.Save(s)
	}, nil)
}
