package volunteers_test

import (
	"fmt"
	"testing"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// The sign-up benchmarks compare a new sign-up, a sign-up with a known
// address (which must cost the same, so timing does not tell whether an
// address is known) and PocketBase's own create of a volunteer with a
// password, over HTTP with 16 concurrent clients:
//
//	go test -run '^$' -bench 'Signup|AuthRecordCreate' -benchtime 500x ./hooks/volunteers/
func BenchmarkSignupNew(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/volunteers/signup", "", func(i int64) any {
		return signupBody(fmt.Sprintf("new%d@example.com", i))
	}, 201)
}

// BenchmarkSignupKnown signs up again with addresses that are known.
func BenchmarkSignupKnown(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	for i := 0; i < 50; i++ {
		kopatest.Volunteer(b, app, fmt.Sprintf("known%d@example.com", i), []string{"ar"}, nil)
	}
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/volunteers/signup", "", func(i int64) any {
		return signupBody(fmt.Sprintf("known%d@example.com", i%50))
	}, 200)
}

// BenchmarkAuthRecordCreate is the baseline: an organiser creating a
// volunteer with a password through PocketBase's record API.
func BenchmarkAuthRecordCreate(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	org := kopatest.Organiser(b, app, "org@example.com")
	srv := kopatest.Serve(b, app)
	kopatest.BenchPost(b, srv.URL+"/api/collections/volunteers/records", kopatest.Token(b, org), func(i int64) any {
		return map[string]any{"name": "Layla", "email": fmt.Sprintf("plain%d@example.com", i), "password": "kopa-bench-password",
			"passwordConfirm": "kopa-bench-password", "languages": []string{"ar"}, "locale": "en", "contact_consent": true}
	}, 200)
}

func signupBody(email string) map[string]any {
	return map[string]any{"name": "Layla Haddad", "email": email, "languages": []string{"ar", "en"}, "skills": []string{"door"},
		"locale": "en", "contact_consent": true}
}
