package events_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/demo"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestPublicPagesInBrowser opens the demo site in a real Chromium in each
// language, checks the lang attribute and the discussions, and runs axe-core
// on / and /events/{id}.
func TestPublicPagesInBrowser(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	if _, err := demo.Seed(app, time.Now()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	ctx := browser.New(t)

	want := map[string][]string{
		"lv": {"Bēgļu nodarbinātība", "Kultūršoks un kultūru dialogs", "Eiropas bēgļu un patvēruma politika", "Diskusijas"},
		"en": {"Refugee employment", "Culture shock and cultural dialogue", "European refugee and asylum policy", "Discussions"},
		"ru": {"Трудоустройство беженцев", "Культурный шок и диалог культур", "Европейская политика в области беженцев и убежища", "Дискуссии"},
	}
	for _, lang := range []string{"lv", "en", "ru"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?lang="+lang), chromedp.WaitVisible("main h1")); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil || got != lang {
			t.Errorf("lang attribute: got %q (%v), want %q", got, err, lang)
		}
		body, err := chromedp.Run(ctx, chromedp.Text("body"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want[lang] {
			if !strings.Contains(body, w) {
				t.Errorf("%s: home page lacks %q", lang, w)
			}
		}
		browser.AssertAccessible(t, ctx, "/?lang="+lang)
	}

	// The language is remembered: without ?lang the page stays Russian.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("main h1")); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != "ru" {
		t.Errorf("remembered language: got %q, want ru", got)
	}

	// One event page, with its form, in each language.
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main .card a").getAttribute("href")`))
	if err != nil || !strings.HasPrefix(href, "/events/") {
		t.Fatalf("first event link: %q %v", href, err)
	}
	for _, lang := range []string{"lv", "en", "ru"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+href+"?lang="+lang), chromedp.WaitVisible("form input[name=name]")); err != nil {
			t.Fatalf("event page %s: %v", lang, err)
		}
		browser.AssertAccessible(t, ctx, href+"?lang="+lang)
	}

	// A 360 px phone: nothing wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(srv.URL+href), chromedp.WaitVisible("form")); err != nil {
		t.Fatal(err)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("event page is %d px wide on a 360 px phone", w)
	}
}
