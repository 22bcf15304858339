package manage_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/internal/kopatest"
)

// TestForgotPasswordIsRateLimited: asking for a password reset mails the
// address's owner, so one sender may ask only a few times a minute; the
// migration adds the rule beside Kopā's other form limits (subscribing to
// bulletins too).
func TestForgotPasswordIsRateLimited(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	have := map[string]int{}
	for _, r := range app.Settings().RateLimits.Rules {
		have[r.Label] = r.MaxRequests
	}
	for _, label := range []string{"POST /manage/forgot", "POST /manage/reset", "POST /api/bulletins/subscribe", "POST /bulletins/subscribe"} {
		if have[label] == 0 {
			t.Errorf("no rate limit for %s", label)
		}
	}
	kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.RateLimits.Enabled = true })
	srv := kopatest.Serve(t, app)
	limit := have["POST /manage/forgot"]
	for i := 1; i <= limit+1; i++ {
		res, err := http.Post(srv.URL+"/manage/forgot?lang=en", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"email": {"someone@example.com"}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if i <= limit && res.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d of %d refused as too many", i, limit)
		}
		if i > limit && res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("request %d after a limit of %d: %d, want 429", i, limit, res.StatusCode)
		}
	}
}
