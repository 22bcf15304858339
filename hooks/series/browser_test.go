package series_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/series"
	"kopa/internal/browser"
	"kopa/internal/domain"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

// TestOrganiserCreatesASeries: an organiser fills the console's series form
// in Chromium (a holiday skipped), the sessions appear on the series' page,
// and the page passes axe.
func TestOrganiserCreatesASeries(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)); err != nil {
		t.Fatal(err)
	}
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	// Thursdays from a week ahead; the second Thursday is a holiday.
	first := time.Now().In(i18n.Riga).AddDate(0, 0, 7)
	for first.Weekday() != time.Thursday {
		first = first.AddDate(0, 0, 1)
	}
	holiday := first.AddDate(0, 0, 7).Format(domain.DateLayout)
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"console", chromedp.Navigate(srv.URL + "/manage?lang=en")},
		{"series", chromedp.Click(`a[href="/manage/series"]`)},
		{"new", chromedp.Click(`a[href="/manage/series/new"]`)},
		{"title lv", chromedp.SendKeys("#title_lv", "Sarunu klubs")},
		{"title en", chromedp.SendKeys("#title_en", "Conversation club")},
		{"venue", chromedp.SendKeys("#venue", "Kopā, Rīga")},
		{"weekday", chromedp.SetValue("#weekday", "4")},
		{"time", chromedp.SetValue("#start_time", "18:30")},
		{"length", chromedp.SetValue("#length_minutes", "90")},
		{"first", chromedp.SetValue("#first_date", first.Format(domain.DateLayout))},
		{"weeks", chromedp.SetValue("#weeks", "4")},
		{"skip", chromedp.SendKeys("#skip_dates", holiday)},
		{"capacity", chromedp.SetValue("#capacity", "15")},
		{"families", chromedp.SetValue("#max_party", "3")},
		{"childcare", chromedp.Click("#childcare")},
		{"publish", chromedp.Click("#publish")},
		{"create", chromedp.Click(`form.series-form button[type=submit]`)},
		{"created", browser.WaitVisible("p.notice")},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	browser.AssertAccessible(t, ctx, "series page")
	notice, _ := chromedp.Run(ctx, chromedp.Text("p.notice"))
	if !strings.Contains(notice, "3 sessions") {
		t.Errorf("notice %q", notice)
	}
	s, err := app.FindFirstRecordByData(domain.Series, "title_lv", "Sarunu klubs")
	if err != nil {
		t.Fatal(err)
	}
	sessions, _ := series.Sessions(app, s.Id)
	if len(sessions) != 3 {
		t.Fatalf("%d sessions, want 3 (4 weeks, one skipped)", len(sessions))
	}
	for i, ev := range sessions {
		st := ev.GetDateTime("starts_at").Time().In(i18n.Riga)
		if st.Weekday() != time.Thursday || st.Format("15:04") != "18:30" || st.Format(domain.DateLayout) == holiday ||
			domain.EventStatusOf(ev) != domain.EventPublished || ev.GetInt("capacity") != 15 {
			t.Errorf("session %d: %v, %s, %d seats", i, st, ev.GetString("status"), ev.GetInt("capacity"))
		}
		if domain.MaxParty(ev) != 3 || !domain.OffersChildcare(ev) {
			t.Errorf("session %d: parties of %d, childcare %v", i, domain.MaxParty(ev), domain.OffersChildcare(ev))
		}
	}

	// The public page asks a family's questions; in Arabic a family comes
	// every week, without JavaScript.
	page := srv.URL + "/series/" + s.Id + "?lang=ar"
	if err := browser.Within(ctx, 30*time.Second, chromedp.Navigate(page), browser.WaitVisible("#childcare")); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "series page with a family's questions, in Arabic")
	for _, s := range []struct {
		name string
		do   chromedp.Action[chromedp.Void]
	}{
		{"no scripts", browser.Scripts(false)},
		{"public page", chromedp.Navigate(page)},
		{"form", browser.WaitVisible("#party")},
		{"name", chromedp.SendKeys("#name", "Amina")},
		{"email", chromedp.SendKeys("#email", "amina@example.com")},
		{"party", chromedp.SetValue("#party", "3")},
		{"children", chromedp.SetValue("#childcare", "1")},
	} {
		if err := browser.Within(ctx, 30*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if err := browser.Within(ctx, 30*time.Second, chromedp.Click(`form[action$="/register"] button[type=submit]`), browser.WaitVisible("img.qr")); err != nil {
		t.Fatalf("register: %v", err)
	}
	place, err := app.FindFirstRecordByData(domain.Standing, "email", "amina@example.com")
	if err != nil || domain.Party(place) != 3 || place.GetInt("childcare") != 1 {
		t.Fatalf("the family's place: %v %v", place, err)
	}
}

// TestSkipButton: on the standing ticket's page a regular presses "skip
// this one" (JavaScript off, as on any phone); the seat goes to the first
// waiting, and the page says so.
func TestSkipButton(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	s, sessions := newSeries(t, app, seriesOpts{Weeks: 2, Capacity: 1, Waitlist: true})
	res := join(t, app, s.Id, "amina@example.com")
	waiting := kopatest.Registration(t, app, sessions[0], "Olek", "olek@example.com", domain.RegistrationWaitlisted)
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)
	code := res.Standing.GetString("ticket")
	err := chromedp.Do(ctx,
		browser.Scripts(false),
		chromedp.Navigate(srv.URL+"/t/"+code+"?lang=en"),
		browser.WaitVisible(`li[data-event="`+sessions[0].Id+`"] button.skip-week`),
		chromedp.Click(`li[data-event="`+sessions[0].Id+`"] button.skip-week`),
		browser.WaitVisible("p.notice"),
	)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(text, "You skipped that session") {
		t.Errorf("page after the skip: %q", text)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("button.skip-week").length`)); n != 1 {
		t.Errorf("%d skip buttons left, want 1", n)
	}
	if r := seatOf(t, app, res.Standing.Id, sessions[0].Id); !domain.Skipped(r) || domain.RegistrationStatusOf(r) != domain.RegistrationCancelled {
		t.Errorf("the seat %v", r.FieldsData())
	}
	if w, _ := app.FindRecordById(domain.Registrations, waiting.Id); domain.RegistrationStatusOf(w) != domain.RegistrationConfirmed {
		t.Errorf("the first waiting is %s", w.GetString("status"))
	}
	if err := chromedp.Do(ctx, browser.Scripts(true), chromedp.Navigate(srv.URL+"/t/"+code+"?lang=ar"), browser.WaitVisible("img.qr")); err != nil {
		t.Fatal(err)
	}
	browser.AssertAccessible(t, ctx, "standing ticket in Arabic")
}
