package manage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/internal/browser"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// TestSeriesOnTheReportsPage: the reports page has a section for each series
// with a session in the period: its figures, a chart of the people per held
// session with the same numbers as a table, in the console's language;
// axe-core finds nothing serious.
func TestSeriesOnTheReportsPage(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	s, ss := kopatest.Series(t, app, kopatest.SeriesOpts{Title: "Sarunu klubs", First: time.Now().Add(-3*7*24*time.Hour + time.Hour), Weeks: 5})
	amina := kopatest.Standing(t, app, s, "Amina", "amina@example.com")
	for i, ev := range ss {
		seat := kopatest.Seat(t, app, ev, amina, domain.RegistrationConfirmed)
		if i < 3 {
			if res, err := checkin.CheckInRegistration(app, ev.Id, seat.Id, domain.CheckinManual, time.Now()); err != nil || res.Result != checkin.OK {
				t.Fatalf("check in: %v %+v", err, res)
			}
		}
	}
	kopatest.Series(t, app, kopatest.SeriesOpts{Title: "Nākamgad", First: time.Now().AddDate(1, 0, 0), Weeks: 2})
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	from, to := time.Now().AddDate(0, -1, 0).Format("2006-01-02"), time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	err := browser.Within(ctx, 30*time.Second,
		chromedp.Navigate(srv.URL+"/manage/reports?lang=en&from="+from+"&to="+to),
		browser.WaitVisible("section.series-report figure.chart svg"),
		chromedp.Click("section.series-report details summary"),
		browser.WaitVisible("section.series-report details table"))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text("section.series-report"))
	for _, want := range []string{"Sarunu klubs (en)", "Sessions held\t3", "People per session, on average\t1.00",
		"Came to at least 2 sessions\t1", "Came to at least 8 sessions\t0", "The sessions as a table"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in %q", want, text)
		}
	}
	if strings.Contains(text, "Nākamgad") || strings.Contains(text, "Amina") {
		t.Errorf("another period's series or a name: %q", text)
	}
	if bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.series-report svg rect.in").length`)); err != nil || bars != 3 {
		t.Errorf("%d bars (%v)", bars, err)
	}
	browser.AssertAccessible(t, ctx, "series report")
	// In Russian, with its plural forms.
	if err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(srv.URL+"/manage/reports?lang=ru&from="+from+"&to="+to),
		browser.WaitVisible("section.series-report")); err != nil {
		t.Fatal(err)
	}
	text, _ = chromedp.Run(ctx, chromedp.Text("section.series-report"))
	if !strings.Contains(text, "Пришли хотя бы на 2 встречи") || !strings.Contains(text, "Пришли хотя бы на 8 встреч") {
		t.Errorf("ru: %q", text)
	}
}
