package i18n_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"kopa/internal/i18n"
	"kopa/templates"
)

// pluralForms are the CLDR plural categories each language needs.
var pluralForms = map[string][]string{
	"lv": {"zero", "one", "other"},
	"en": {"one", "other"},
	"ru": {"one", "few", "many", "other"},
	"uk": {"one", "few", "many", "other"},
	"ar": {"zero", "one", "two", "few", "many", "other"},
	"fa": {"one", "other"},
}

// TestCataloguesComplete fails when a message is missing in a language that
// must have it, or a plural message lacks a form its language needs.
//
// Which languages must have a message: every message exists in the
// console's languages (lv, en, ru); a public message (every one whose id
// does not begin with one of i18n.StaffPrefixes: the console's and the door
// scanner's) exists in all six, so in uk, ar and fa too, and the console's
// messages exist only in lv, en and ru.
func TestCataloguesComplete(t *testing.T) {
	keys, err := i18n.Keys(templates.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]bool{}
	for _, lang := range i18n.Supported {
		if len(keys[lang]) == 0 {
			t.Fatalf("no messages for %s", lang)
		}
		for id := range keys[lang] {
			all[id] = true
		}
	}
	for lang := range keys {
		if !i18n.IsSupported(lang) {
			t.Errorf("messages for unsupported language %q", lang)
		}
	}
	for _, id := range i18n.SortedKeys(all) {
		langs := i18n.Supported
		if i18n.IsStaffMessage(id) {
			langs = i18n.Console
			for _, lang := range i18n.Supported {
				if _, ok := keys[lang][id]; ok && !i18n.IsConsole(lang) {
					t.Errorf("console message %q is in %s: the console speaks %v only", id, lang, i18n.Console)
				}
			}
		}
		plural := false
		for _, lang := range langs {
			if len(keys[lang][id]) > 1 {
				plural = true
			}
		}
		for _, lang := range langs {
			forms, ok := keys[lang][id]
			if !ok {
				t.Errorf("message %q is missing in %s", id, lang)
				continue
			}
			if plural {
				for _, f := range pluralForms[lang] {
					if !forms[f] {
						t.Errorf("plural message %q lacks the %q form in %s", id, f, lang)
					}
				}
			}
		}
	}
	if _, err := i18n.Load(templates.FS, "locales"); err != nil {
		t.Fatalf("catalogues do not load: %v", err)
	}
}

// TestPlaceholdersAgree: a translation fills in the same values as the
// English message ({{.Title}}, {{.Count}}…), so none is lost or misspelt.
func TestPlaceholdersAgree(t *testing.T) {
	msgs, err := i18n.Placeholders(templates.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	// format.date is offered more values than any language uses
	// (Weekday, Day, Month, Year, Num): each picks its own.
	choose := map[string]bool{"format.date": true}
	for _, id := range i18n.SortedKeys(msgs["en"]) {
		if choose[id] {
			continue
		}
		want := msgs["en"][id]
		for _, lang := range i18n.Supported {
			got, ok := msgs[lang][id]
			if !ok || lang == "en" {
				continue
			}
			for _, p := range want {
				if !slices.Contains(got, p) && !(p == "Count" && lang != "en") {
					t.Errorf("%s %q lacks {{.%s}}", lang, id, p)
				}
			}
			for _, p := range got {
				if !slices.Contains(want, p) {
					t.Errorf("%s %q fills {{.%s}}, which English does not", lang, id, p)
				}
			}
		}
	}
}

func TestPlurals(t *testing.T) {
	c, err := i18n.Load(templates.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[int]string{
		"lv": {1: "1 brīva vieta", 2: "2 brīvas vietas", 5: "5 brīvas vietas", 21: "21 brīva vieta"},
		"en": {1: "1 seat left", 2: "2 seats left", 5: "5 seats left"},
		"ru": {1: "1 свободное место", 2: "2 свободных места", 5: "5 свободных мест", 21: "21 свободное место", 11: "11 свободных мест"},
		"uk": {1: "1 вільне місце", 3: "3 вільні місця", 5: "5 вільних місць", 21: "21 вільне місце", 12: "12 вільних місць"},
		// Arabic's six forms; the numbers are isolated in the sentence.
		"ar": {0: "لا توجد مقاعد شاغرة", 1: "بقي مقعد واحد", 2: "بقي مقعدان", 3: "بقيت \u20683\u2069 مقاعد", 11: "بقي \u206811\u2069 مقعدًا", 100: "بقي \u2068100\u2069 مقعد"},
		"fa": {1: "\u20681\u2069 جای خالی باقی مانده", 7: "\u20687\u2069 جای خالی باقی مانده"},
	}
	for lang, byCount := range cases {
		for n, want := range byCount {
			if got := c.For(lang).N("seats.left", n); got != want {
				t.Errorf("%s %d: got %q, want %q", lang, n, got, want)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct{ query, cookie, accept, want string }{
		{"", "", "", "lv"},
		{"ru", "en", "lv", "ru"},
		{"xx", "en", "ru", "en"},
		{"", "", "ru-RU,ru;q=0.9,en;q=0.8", "ru"},
		{"", "", "en-GB,en;q=0.9", "en"},
		{"", "", "de-DE,de;q=0.9", "lv"},
		{"", "", "uk-UA,uk;q=0.9,ru;q=0.8", "uk"},
		{"", "", "ar-SY,ar;q=0.9,en;q=0.5", "ar"},
		{"", "", "fa-AF,fa;q=0.9", "fa"},
		{"", "", "prs-AF,fa;q=0.8,en;q=0.5", "fa"},
		{"ar", "", "", "ar"},
		{"AR", "", "", "ar"},
		{"he", "fa", "", "fa"},
		{"", "", "garbage;;;q=x", "lv"},
		{"", "", strings.Repeat("en,", 400), "lv"},
		{" EN ", "", "", "en"},
	}
	for _, c := range cases {
		if got := i18n.Negotiate(c.query, c.cookie, c.accept); got != c.want {
			t.Errorf("Negotiate(%q,%q,%q) = %q, want %q", c.query, c.cookie, c.accept, got, c.want)
		}
	}
}

// TestNegotiateConsole: the console speaks lv, en and ru only; a choice of
// another language is passed over as an unknown one is.
func TestNegotiateConsole(t *testing.T) {
	cases := []struct{ query, cookie, accept, want string }{
		{"ar", "", "", "lv"},
		{"ar", "ru", "", "ru"},
		{"fa", "uk", "en-GB,en;q=0.9", "en"},
		{"", "", "uk-UA,uk;q=0.9,ru;q=0.8", "ru"},
		{"", "", "ar-SY,ar;q=0.9", "lv"},
		{"en", "", "", "en"},
	}
	for _, c := range cases {
		if got := i18n.NegotiateConsole(c.query, c.cookie, c.accept); got != c.want {
			t.Errorf("NegotiateConsole(%q,%q,%q) = %q, want %q", c.query, c.cookie, c.accept, got, c.want)
		}
	}
}

func TestDir(t *testing.T) {
	for lang, want := range map[string]string{"lv": "ltr", "en": "ltr", "ru": "ltr", "uk": "ltr", "ar": "rtl", "fa": "rtl", "xx": "ltr"} {
		if got := i18n.Dir(lang); got != want {
			t.Errorf("Dir(%s) = %s", lang, got)
		}
	}
	for _, lang := range i18n.Supported {
		if i18n.Names[lang] == "" {
			t.Errorf("no name for %s", lang)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "lv", "ru-RU,ru;q=0.9", "en;q=0.5,*;q=0.1", "zz-ZZ", ";;;", "q=1"} {
		f.Add("", "", s)
	}
	f.Fuzz(func(t *testing.T, query, cookie, accept string) {
		if got := i18n.Negotiate(query, cookie, accept); !i18n.IsSupported(got) {
			t.Fatalf("Negotiate returned unsupported %q", got)
		}
		if got := i18n.NegotiateConsole(query, cookie, accept); !i18n.IsConsole(got) {
			t.Fatalf("NegotiateConsole returned %q", got)
		}
	})
}

func TestRigaDates(t *testing.T) {
	c, err := i18n.Load(templates.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	// 16:00 UTC on 1 December 2026 is 18:00 in Riga (EET, UTC+2).
	at := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	if got := c.For("lv").DateTime(at); got != "otrdiena, 01.12.2026, 18:00" {
		t.Errorf("lv: %q", got)
	}
	if got := c.For("en").DateTime(at); got != "Tuesday, 1 Dec 2026, 18:00" {
		t.Errorf("en: %q", got)
	}
	if got := c.For("uk").DateTime(at); got != "вівторок, 1 грудня 2026, 18:00" {
		t.Errorf("uk: %q", got)
	}
	// Right to left: the Arabic date in its own words and order; its
	// numbers read left to right by themselves.
	iso := func(s string) string { return "\u2068" + s + "\u2069" }
	if got, want := c.For("ar").Date(at), "الثلاثاء، 1 كانون الأول 2026"; got != want {
		t.Errorf("ar date: %q, want %q", got, want)
	}
	if got, want := c.For("fa").Span(at, at.Add(2*time.Hour)), "سه‌شنبه، 1 دسمبر 2026، 18:00–20:00"; got != want {
		t.Errorf("fa span: %q, want %q", got, want)
	}
	// A date filled into a sentence is isolated as a whole.
	if got, want := c.For("ar").T("format.datetime", "Date", "x", "Time", "18:00"), iso("x")+"، "+iso("18:00"); got != want {
		t.Errorf("ar isolation: %q, want %q", got, want)
	}
	// Summer time: 15:00 UTC in July is 18:00 in Riga (EEST, UTC+3).
	if got := c.For("ru").Time(time.Date(2026, 7, 1, 15, 0, 0, 0, time.UTC)); got != "18:00" {
		t.Errorf("summer time: %q", got)
	}
}
