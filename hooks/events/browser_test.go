package events_test

import (
	"context"
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
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?lang="+lang), browser.WaitVisible("main h1")); err != nil {
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
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), browser.WaitVisible("main h1")); err != nil {
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
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+href+"?lang="+lang), browser.WaitVisible("form input[name=name]")); err != nil {
			t.Fatalf("event page %s: %v", lang, err)
		}
		browser.AssertAccessible(t, ctx, href+"?lang="+lang)
	}

	rightToLeft(t, ctx, srv.URL, href)

	// A 360 px phone: nothing wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(srv.URL+href), browser.WaitVisible("form")); err != nil {
		t.Fatal(err)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("event page is %d px wide on a 360 px phone", w)
	}
}

// rightToLeft opens the home and an event page in Ukrainian, Arabic and
// Persian: Arabic and Persian are laid out right to left (dir="rtl", the
// header's start on the right), axe-core finds nothing serious, an English
// title that stands in for a missing Arabic one is marked as English, the
// language switcher names each language in that language, and the pages
// load exactly the files the Latvian page loads: no web font, nothing from
// elsewhere, so the page weight stays as it is.
func rightToLeft(t *testing.T, ctx context.Context, base, event string) {
	t.Helper()
	resources := func(page string) []string {
		t.Helper()
		// Each file once: the browser fetches the page's icon (the
		// header's logo) when it likes, so the logo is listed once or twice.
		list, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...new Set(performance.getEntriesByType("resource").map(e => e.name))].sort()`))
		if err != nil {
			t.Fatalf("%s: resources: %v", page, err)
		}
		for i, r := range list {
			if !strings.HasPrefix(r, base+"/") {
				t.Errorf("%s loads %s from elsewhere", page, r)
			}
			if strings.Contains(r, "font") || strings.HasSuffix(r, ".woff2") || strings.HasSuffix(r, ".woff") || strings.HasSuffix(r, ".ttf") {
				t.Errorf("%s loads a font: %s", page, r)
			}
			list[i] = strings.TrimPrefix(r, base)
		}
		return list
	}
	for _, path := range []string{"/", event} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path+"?lang=lv"), browser.WaitVisible("main h1")); err != nil {
			t.Fatal(err)
		}
		latvian := resources(path + "?lang=lv")
		if !strings.Contains(strings.Join(latvian, " "), "kopa.css") {
			t.Fatalf("%s?lang=lv: resources %v", path, latvian)
		}
		for _, c := range []struct{ lang, dir string }{{"uk", "ltr"}, {"ar", "rtl"}, {"fa", "rtl"}} {
			page := path + "?lang=" + c.lang
			if err := chromedp.Do(ctx, chromedp.Navigate(base+page), browser.WaitVisible("main h1")); err != nil {
				t.Fatalf("%s: %v", page, err)
			}
			type layout struct {
				Lang, Dir, Attr  string
				BrandRight, Half float64
				Switcher         []string
				TitleLang        string
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](`(() => {
				const b = document.querySelector(".brand").getBoundingClientRect();
				const title = document.querySelector("main h1 bdi, main .card h3 bdi");
				return {
					Lang: document.documentElement.lang, Dir: getComputedStyle(document.body).direction,
					Attr: document.documentElement.getAttribute("dir") || "",
					BrandRight: b.right, Half: document.documentElement.clientWidth / 2,
					Switcher: [...document.querySelectorAll("nav.langs a")].map(a => a.lang + ":" + a.textContent),
					TitleLang: title ? title.lang : "",
				};
			})()`))
			if err != nil {
				t.Fatalf("%s: %v", page, err)
			}
			if got.Lang != c.lang || got.Dir != c.dir {
				t.Errorf("%s: lang %q, direction %q; want %q, %q", page, got.Lang, got.Dir, c.lang, c.dir)
			}
			if rtl := c.dir == "rtl"; (got.Attr == "rtl") != rtl || (got.BrandRight > got.Half) != rtl {
				t.Errorf("%s: dir attribute %q, the brand ends at %.0f px of %.0f: the header does not start on the %s", page, got.Attr, got.BrandRight, 2*got.Half, map[bool]string{true: "right", false: "left"}[rtl])
			}
			want := []string{"lv:Latviešu", "en:English", "ru:Русский", "uk:Українська", "ar:العربية", "fa:فارسی"}
			if strings.Join(got.Switcher, " ") != strings.Join(want, " ") {
				t.Errorf("%s: language switcher %v", page, got.Switcher)
			}
			if c.lang != "uk" && got.TitleLang != "en" {
				t.Errorf("%s: the English title standing in for the %s one is marked lang=%q", page, c.lang, got.TitleLang)
			}
			if r := resources(page); strings.Join(r, " ") != strings.Join(latvian, " ") {
				t.Errorf("%s loads %v, the Latvian page %v", page, r, latvian)
			}
			browser.AssertAccessible(t, ctx, page)
		}
	}
	// A 360 px phone in Arabic: nothing wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(base+event+"?lang=ar"), browser.WaitVisible("form")); err != nil {
		t.Fatal(err)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("Arabic event page is %d px wide on a 360 px phone", w)
	}
	// Back to the Latvian default for the rest of the test.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/?lang=lv"), browser.WaitVisible("main h1")); err != nil {
		t.Fatal(err)
	}
}
