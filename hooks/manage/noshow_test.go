package manage_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

// TestConsoleReportNoShowAfterTheEvent: the reports page gives an event
// next week no no-show rate (it said 100 % before anyone could come), and
// says when there will be one.
func TestConsoleReportNoShowAfterTheEvent(t *testing.T) {
	t.Parallel()
	f := newConsoleFixture(t) // its club session is tomorrow
	now := time.Now()
	next := kopatest.Event(t, f.src, kopatest.EventOpts{Title: "Nākamnedēļ", Kind: "culture", Starts: now.Add(7 * 24 * time.Hour)})
	for _, n := range []string{"A", "B", "C"} {
		kopatest.Registration(t, f.src, next, n, strings.ToLower(n)+"@example.com", "confirmed")
	}
	day := func(t time.Time) string { return t.In(i18n.Riga).Format("2006-01-02") }
	url := "/manage/reports?from=" + day(now) + "&to=" + day(now.AddDate(0, 0, 10))
	run(t, f.src, []tests.ApiScenario{
		{Name: "in English", Method: http.MethodGet, URL: url + "&lang=en", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent:    []string{"Nākamnedēļ (en)", `<span class="muted">after the event</span>`},
			NotExpectedContent: []string{"100%"}},
		{Name: "in Russian", Method: http.MethodGet, URL: url + "&lang=ru", Headers: f.orgH, ExpectedStatus: 200,
			ExpectedContent: []string{"после мероприятия"}, NotExpectedContent: []string{"100%"}},
	})
}
