package manage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/checkin"
	"kopa/hooks/registration"
	"kopa/internal/browser"
	"kopa/internal/domain"
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
	ctx := browser.New(t)
	// A desktop's window.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)); err != nil {
		t.Fatal(err)
	}
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
		{"saved", browser.WaitVisible("p.notice")},
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
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?lang=ru"), browser.WaitVisible("main h1")); err != nil {
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
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/manage/events/"+ev.Id+"/registrations?lang=en"), browser.WaitVisible("table")); err != nil {
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
	want := "200\ntext/csv; charset=utf-8\nattachment; filename=\"registrations-" + day + "-" + ev.Id + ".csv\"\n\ufeffname,email,status,locale,registered_at,checked_in_at,party,childcare,arrived\r\n"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "\r\nĢirts Ozols,girts@example.com,confirmed,lv,") {
		t.Errorf("CSV: %q", got)
	}

	// The attendance report of the event's month, with its chart.
	month := day[:8] + "01"
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/manage/reports?lang=ru&from="+month+"&to="+day), browser.WaitVisible("figure.chart svg")); err != nil {
		t.Fatal(err)
	}
	report, _ := chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(report, "Посещение музея") || strings.Contains(report, "girts@example.com") {
		t.Errorf("report: %q", report)
	}
	browser.AssertAccessible(t, ctx, "reports")
}

// TestConsoleOnAPhone: the organisers' console on a 390 × 844 phone, with
// the long names and addresses real events have. No page scrolls
// sideways, every link and button is on the screen without scrolling a
// table sideways (a check-in button, the door's link), and axe-core finds
// nothing serious.
func TestConsoleOnAPhone(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	starts := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Latviešu valodas sarunu klubs iesācējiem un turpinātājiem", Capacity: 2, Waitlist: true, Starts: starts})
	var regs []string
	for _, p := range []struct{ name, email string }{
		{"Aleksandra Konstantinopolska-Vasiļjeva", "aleksandra.konstantinopolska.vasiljeva@example-organisation.lv"},
		{"Mohammad Abdulrahman Al-Khatib", "mohammad.abdulrahman.alkhatib.family@example.com"},
		{"Олександра Коваленко-Шевченко", "oleksandra.kovalenko.shevchenko@example.ua"},
	} {
		// The last asks for interpretation that nobody answers yet: the
		// shifts page warns, with its invitation.
		in := registration.Input{Name: p.name, Email: p.email, Locale: "lv", Interpretation: []string{}}
		if strings.HasPrefix(p.name, "Олександра") {
			in.Interpretation = []string{"uk"}
		}
		_ = in.Normalize()
		res, err := registration.Create(app, ev.Id, in, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, res.Registration.Id)
	}
	if _, err := checkin.CheckInRegistration(app, ev.Id, regs[0], domain.CheckinQR, time.Now()); err != nil {
		t.Fatal(err)
	}
	v := kopatest.Volunteer(t, app, "volunteer.with.a.long.address@example-organisation.lv", []string{"lv", "ru"}, []string{"door"})
	kopatest.Assignment(t, app, kopatest.Shift(t, app, ev, "door", starts.Add(-30*time.Minute), starts.Add(2*time.Hour)), v, "accepted")
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	// Headless Chromium keeps its window at least 500 px wide: the phone's
	// screen is emulated.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	day := starts.Format("2006-01-02")
	pages := []string{
		"/manage",
		"/manage/events/new",
		"/manage/events/" + ev.Id,
		"/manage/events/" + ev.Id + "/registrations",
		"/manage/events/" + ev.Id + "/registrations/" + regs[1] + "/erase",
		"/manage/events/" + ev.Id + "/shifts",
		"/manage/events/" + ev.Id + "/register",
		"/manage/events/" + ev.Id + "/registrations/" + regs[1] + "/ticket",
		"/manage/events/" + ev.Id + "/live",
		"/manage/reports?from=" + day[:8] + "01&to=" + day,
		"/manage/mail",
		"/manage/settings",
	}
	// offscreen lists what sticks out of the screen sideways: the page's
	// own width, and any link, button or field whose box is not within it.
	const offscreen = `(function () {
		var out = [], w = window.innerWidth;
		if (document.scrollingElement.scrollWidth > w) out.push("the page is " + document.scrollingElement.scrollWidth + " px wide");
		document.querySelectorAll("main a, main button, main input, main select, main textarea, main summary").forEach(function (el) {
			var r = el.getBoundingClientRect();
			if (!r.width || el.type === "hidden" || el.closest(".visually-hidden")) return;
			if (r.left < -1 || r.right > w + 1) out.push(el.outerHTML.slice(0, 120) + " at " + Math.round(r.left) + "–" + Math.round(r.right));
		});
		return out;
	})()`
	for _, lang := range []string{"lv", "ru"} {
		for _, p := range pages {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			url := srv.URL + p + sep + "lang=" + lang
			if err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(url), browser.WaitVisible("main h1")); err != nil {
				t.Fatalf("%s: %v", url, err)
			}
			out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](offscreen))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out {
				t.Errorf("%s (%s): %s", p, lang, o)
			}
			if lang == "lv" {
				browser.AssertAccessible(t, ctx, p)
			}
		}
	}
}
