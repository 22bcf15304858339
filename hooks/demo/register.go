package demo

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Register seeds the demo when the server starts and enabled() is true (the
// --demo flag, read once the command line is parsed), and prints the
// organiser's login and the site's address.
func Register(app core.App, enabled func() bool) {
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if !enabled() {
			return se.Next()
		}
		res, err := Seed(se.App, time.Now())
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		addr := "http://127.0.0.1:8090"
		if se.Server != nil && se.Server.Addr != "" {
			host, port, err := net.SplitHostPort(se.Server.Addr)
			if err == nil {
				if host == "" || host == "0.0.0.0" || host == "::" {
					host = "127.0.0.1"
				}
				addr = "http://" + net.JoinHostPort(host, port)
			}
		}
		// A copy is changed and saved: the app's own settings are read
		// by running workers, and the save reloads them.
		s, err := se.App.Settings().Clone()
		if err != nil {
			return fmt.Errorf("demo settings: %w", err)
		}
		if s.Meta.AppURL == "" || s.Meta.AppURL == "http://localhost:8090" {
			s.Meta.AppURL = addr
			s.Meta.AppName = "Kopā"
			if err := se.App.Save(s); err != nil {
				return fmt.Errorf("demo settings: %w", err)
			}
		}
		se.App.Logger().Info("demo ready", "seeded", res.Seeded, "events", res.Events, "organiser", OrganiserEmail)
		// The console is the demo's user interface: say where to go and how
		// to log in (the password is never logged).
		fmt.Fprintf(os.Stdout, "\nKopā demo\n  site:      %s\n  organiser: %s\n  password:  %s\n  console:   %s/manage\n\n",
			addr, OrganiserEmail, res.Password, addr)
		return se.Next()
	})
}
