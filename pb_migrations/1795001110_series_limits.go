package migrations

import (
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
		return addLimitsBeside(app, "POST /api/events/", SeriesLimits, "series registration limits")
	}, nil)
}
