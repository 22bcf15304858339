package migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// VolunteerFormLimits are the per-address limits of the volunteer pages'
// public forms (the sign-up API has its rule since 1795000300).
var VolunteerFormLimits = []core.RateLimitRule{
	{Label: "POST /volunteer", MaxRequests: 10, Duration: 60},
	{Label: "POST /volunteer/confirm", MaxRequests: 10, Duration: 60},
	{Label: "POST /volunteer/login-code", MaxRequests: 10, Duration: 60},
	{Label: "POST /volunteer/login-code/verify", MaxRequests: 10, Duration: 60},
}

// volunteerCodeSeconds is how long a volunteer's one-time login code
// works: PocketBase's three minutes are short for someone who reads mail
// on another device.
const volunteerCodeSeconds = 600

func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		have := map[string]bool{}
		for _, r := range s.RateLimits.Rules {
			have[r.Label] = true
		}
		// Only beside Kopā's own rules: where an organiser removed them,
		// they wanted none.
		if have["POST /api/volunteers/signup"] {
			added := false
			for _, r := range VolunteerFormLimits {
				if !have[r.Label] {
					s.RateLimits.Rules = append(s.RateLimits.Rules, r)
					added = true
				}
			}
			if added {
				if err := app.Save(s); err != nil {
					return fmt.Errorf("volunteer form limits: %w", err)
				}
			}
		}
		vols, err := app.FindCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		if vols.OTP.Duration == 180 { // PocketBase's default: nobody chose it
			vols.OTP.Duration = volunteerCodeSeconds
			if err := app.Save(vols); err != nil {
				return fmt.Errorf("volunteer login codes: %w", err)
			}
		}
		return nil
	}, nil)
}
