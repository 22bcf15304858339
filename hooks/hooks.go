// Package hooks wires Kopā's features into a PocketBase app. Each feature
// lives in its own package below this one and exposes Register(app).
package hooks

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"kopa/hooks/attendance"
	"kopa/hooks/bulletins"
	"kopa/hooks/checkin"
	"kopa/hooks/demo"
	"kopa/hooks/events"
	"kopa/hooks/live"
	"kopa/hooks/manage"
	"kopa/hooks/missed"
	"kopa/hooks/notices"
	"kopa/hooks/outbox"
	"kopa/hooks/registration"
	"kopa/hooks/reports"
	"kopa/hooks/retention"
	"kopa/hooks/series"
	"kopa/hooks/settings"
	"kopa/hooks/volunteers"
	"kopa/hooks/web"
)

// Options are the command-line switches Kopā adds to PocketBase's own.
type Options struct {
	// Demo seeds the demo events and organiser on a database without events.
	Demo bool
}

// Flags adds Kopā's flags to the root command; the returned options are
// filled in when the command line is parsed.
func Flags(root *cobra.Command) *Options {
	o := &Options{}
	root.PersistentFlags().BoolVar(&o.Demo, "demo", false, "seed the demo events and a demo organiser on a database without events")
	return o
}

// Register wires every feature into app.
func Register(app core.App, opts *Options) {
	if opts == nil {
		opts = &Options{}
	}
	attendance.Register(app)
	settings.Register(app)
	web.Register(app)
	events.Register(app)
	registration.Register(app)
	series.Register(app)
	missed.Register(app)
	checkin.Register(app)
	reports.Register(app)
	manage.Register(app)
	notices.Register(app)
	retention.Register(app)
	volunteers.Register(app)
	live.Register(app)
	bulletins.Register(app)
	demo.Register(app, func() bool { return opts.Demo })
	outbox.Register(app)
}

// Default wires every feature with default options; tests use it with
// kopatest.NewApp.
func Default(app core.App) { Register(app, nil) }
