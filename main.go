// Command kopa is Kopā: the event and volunteer platform of an NGO that helps
// asylum seekers and refugees settle in Latvia. It is PocketBase with Kopā's
// domain wired in by package hooks; everything it serves is embedded.
package main

import (
	"log"
	_ "time/tzdata" // pages show Europe/Riga time on any host

	"github.com/pocketbase/pocketbase"

	"kopa/hooks"
	"kopa/internal/sqlite"
	_ "kopa/pb_migrations"
)

func main() {
	// Dev mode (every SQL statement on the console) only when asked for with
	// --dev, also under `go run`, so the demo's banner stays readable.
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false, DBConnect: sqlite.Connect})
	hooks.Register(app, hooks.Flags(app.RootCmd))
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}
