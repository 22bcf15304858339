package manage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/registration"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestOrganiserCreatesAnEventAndExportsTheRegistrations: an organiser logs
// in, creates a published event in three languages, it appears on the
// public page, someone registers, and the CSV has them.
func TestOrganiserCreatesAnEventAndExportsTheRegistrations(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t, chromedp.WindowSize(1200, 900))
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	day := time.Now().AddDate(0, 0, 9).Format("2006-01-02")
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"console", chromedp.Navigate(srv.URL + "/manage?lang=en")},
		{"new", chromedp.Click(`a[href="/manage/events/new"]`)},
		{"title lv", chromedp.SendKeys("#title_lv", "Muzeja apmeklējums")},
		{"title en", chromedp.SendKeys("#title_en", "A museum visit")},
		{"title ru", chromedp.SendKeys("#title_ru", "Посещение музея")},
		{"summary", chromedp.SendKeys("#summary_en", "A guided tour.")},
		{"venue", chromedp.SendKeys("#venue", "Rīga")},
		{"kind", chromedp.SetValue("#kind", "culture")},
		{"status", chromedp.SetValue("#status", "published")},
		{"starts", chromedp.SetValue("#starts_at", day+"T12:00")},
		{"ends", chromedp.SetValue("#ends_at", day+"T14:00")},
		{"capacity", chromedp.SetValue("#capacity", "20")},
		{"save", chromedp.Click(`form.event-form button[type=submit]`)},
		{"saved", chromedp.WaitVisible("p.notice")},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	browser.AssertAccessible(t, ctx, "event form")
	ev, err := app.FindFirstRecordByData("events", "title_lv", "Muzeja apmeklējums")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?lang=ru"), chromedp.WaitVisible("main h1")); err != nil {
		t.Fatal(err)
	}
	body, _ := chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(body, "Посещение музея") {
		t.Fatalf("the new event is not on the public page: %q", body)
	}
	in := registration.Input{Name: "Ģirts Ozols", Email: "girts@example.com", Locale: "lv"}
	_ = in.Normalize()
	if _, err := registration.Create(app, ev.Id, in, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The organiser follows the page's own CSV link with the session
	// cookie, as a click on it would.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/registrations?lang=en"), chromedp.WaitVisible("table")); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "registrations")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`
		(async () => {
			const a = document.querySelector('a[download][href$="/registrations.csv"]');
			const r = await fetch(a.href);
			const bytes = new Uint8Array(await r.arrayBuffer());
			return r.status + "\n" + r.headers.get("Content-Type") + "\n" + r.headers.get("Content-Disposition") + "\n" +
				new TextDecoder("utf-8", {ignoreBOM: true}).decode(bytes);
		})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	want := "200\ntext/csv; charset=utf-8\nattachment; filename=\"registrations-" + day + "-" + ev.Id + ".csv\"\n\ufeffname,email,status,locale,registered_at,checked_in_at\r\n"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "\r\nĢirts Ozols,girts@example.com,confirmed,lv,") {
		t.Errorf("CSV: %q", got)
	}

	// The attendance report of the event's month, with its chart.
	month := day[:8] + "01"
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/manage/reports?lang=ru&from="+month+"&to="+day), chromedp.WaitVisible("figure.chart svg")); err != nil {
		t.Fatal(err)
	}
	report, _ := chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(report, "Посещение музея") || strings.Contains(report, "girts@example.com") {
		t.Errorf("report: %q", report)
	}
	browser.AssertAccessible(t, ctx, "reports")
}
