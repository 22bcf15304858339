package web

import (
	"net/http/httptest"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/kopatest"
)

// BenchmarkAPISession is what checking a request's session adds to every
// API request made with a session's token (a scanner's check-in, the
// dashboard's calls): reading the token's claims and one lookup of the
// session by its id. "stateless" is a token without a session, the
// baseline. Compare with a check-in (BenchmarkCheckin in hooks/checkin):
//
//	go test -run '^$' -bench APISession ./hooks/web/
func BenchmarkAPISession(b *testing.B) {
	app := kopatest.NewApp(b)
	org := kopatest.Organiser(b, app, "org@example.com")
	session, err := StartSession(app, org)
	if err != nil {
		b.Fatal(err)
	}
	for name, token := range map[string]string{"stateless": kopatest.Token(b, org), "session": session} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest("POST", "/api/checkin", nil)
			req.Header.Set("Authorization", token)
			for b.Loop() {
				e := &core.RequestEvent{App: app}
				e.Request, e.Auth = req, org
				if !apiSession(e) {
					b.Fatal("the session has ended")
				}
			}
		})
	}
}
