package i18n_test

import (
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
}

// TestCataloguesComplete fails when a message exists in one language and not
// in another, or a plural message lacks a form its language needs.
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
		plural := false
		for _, lang := range i18n.Supported {
			if len(keys[lang][id]) > 1 {
				plural = true
			}
		}
		for _, lang := range i18n.Supported {
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

func TestPlurals(t *testing.T) {
	c, err := i18n.Load(templates.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[int]string{
		"lv": {1: "1 brīva vieta", 2: "2 brīvas vietas", 5: "5 brīvas vietas", 21: "21 brīva vieta"},
		"en": {1: "1 seat left", 2: "2 seats left", 5: "5 seats left"},
		"ru": {1: "1 свободное место", 2: "2 свободных места", 5: "5 свободных мест", 21: "21 свободное место", 11: "11 свободных мест"},
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
		{"", "", "uk-UA,uk;q=0.9,ru;q=0.8", "ru"},
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

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "lv", "ru-RU,ru;q=0.9", "en;q=0.5,*;q=0.1", "zz-ZZ", ";;;", "q=1"} {
		f.Add("", "", s)
	}
	f.Fuzz(func(t *testing.T, query, cookie, accept string) {
		if got := i18n.Negotiate(query, cookie, accept); !i18n.IsSupported(got) {
			t.Fatalf("Negotiate returned unsupported %q", got)
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
	// Summer time: 15:00 UTC in July is 18:00 in Riga (EEST, UTC+3).
	if got := c.For("ru").Time(time.Date(2026, 7, 1, 15, 0, 0, 0, time.UTC)); got != "18:00" {
		t.Errorf("summer time: %q", got)
	}
}
