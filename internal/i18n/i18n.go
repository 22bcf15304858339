// Package i18n holds Kopā's message catalogues (Latvian, English, Russian,
// with CLDR plural forms through go-i18n), the choice of a visitor's language,
// and dates in Riga time.
package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Supported are the languages Kopā speaks, the default first.
var Supported = []string{"lv", "en", "ru"}

// Default is the language used when nothing else decides.
const Default = "lv"

// Riga is the time zone every page and e-mail shows times in.
var Riga = mustZone("Europe/Riga")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("time zone %s: %v (is time/tzdata embedded?)", name, err))
	}
	return loc
}

// IsSupported reports whether lang is one of Supported.
func IsSupported(lang string) bool {
	for _, s := range Supported {
		if s == lang {
			return true
		}
	}
	return false
}

var matcher = language.NewMatcher([]language.Tag{language.Latvian, language.English, language.Russian})

// Negotiate picks the visitor's language: an explicit choice (the ?lang=
// query), then the remembered one (cookie), then the browser's
// Accept-Language, then Latvian.
func Negotiate(query, cookie, acceptLanguage string) string {
	for _, v := range []string{query, cookie} {
		if v = strings.ToLower(strings.TrimSpace(v)); IsSupported(v) {
			return v
		}
	}
	if acceptLanguage == "" || len(acceptLanguage) > 512 {
		return Default
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Supported[idx]
}

// Catalog holds every language's messages.
type Catalog struct {
	bundle     *goi18n.Bundle
	localizers map[string]*Localizer
}

// Load reads every *.toml below dir in fsys. A file is named
// <feature>.<lang>.toml, so each feature keeps its own messages.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	b := goi18n.NewBundle(language.Latvian)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".toml" {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if _, err := b.ParseMessageFileBytes(data, p); err != nil {
			return fmt.Errorf("messages %s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := &Catalog{bundle: b, localizers: map[string]*Localizer{}}
	for _, lang := range Supported {
		c.localizers[lang] = &Localizer{Lang: lang, l: goi18n.NewLocalizer(b, lang)}
	}
	return c, nil
}

// For returns the localizer of lang, or of Default for an unknown lang.
func (c *Catalog) For(lang string) *Localizer {
	if l, ok := c.localizers[lang]; ok {
		return l
	}
	return c.localizers[Default]
}

// Localizer translates into one language. Templates call its methods:
// {{.L.T "home.title"}}, {{.L.N "seats.left" 5}}, {{.L.DateTime .When}}.
type Localizer struct {
	Lang string
	l    *goi18n.Localizer
}

// T translates id. args are key/value pairs for the message's template:
// T("hello", "Name", "Anna") fills {{.Name}}. A missing message returns id,
// which the catalogue test prevents.
func (l *Localizer) T(id string, args ...any) string {
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: pairs(args)})
	if err != nil {
		return id
	}
	return s
}

// N translates id in the plural form for count; {{.Count}} holds the count.
func (l *Localizer) N(id string, count int, args ...any) string {
	data := pairs(args)
	data["Count"] = count
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

func pairs(args []any) map[string]any {
	m := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			m[k] = args[i+1]
		}
	}
	return m
}

// Weekday is the weekday's name in this language.
func (l *Localizer) Weekday(t time.Time) string {
	return l.T(fmt.Sprintf("weekday.%d", int(t.In(Riga).Weekday())))
}

// Date is a day in Riga time: "otrdiena, 01.12.2026", "Tuesday, 1 Dec 2026".
func (l *Localizer) Date(t time.Time) string {
	t = t.In(Riga)
	return l.T("format.date", "Weekday", l.Weekday(t), "Day", t.Day(), "Month", l.T(fmt.Sprintf("month.%d", int(t.Month()))),
		"Num", t.Format("02.01.2006"), "Year", t.Year())
}

// Time is the clock time in Riga: "18:00".
func (l *Localizer) Time(t time.Time) string { return t.In(Riga).Format("15:04") }

// DateTime is Date and Time together.
func (l *Localizer) DateTime(t time.Time) string { return l.Date(t) + ", " + l.Time(t) }

// Span is a time window on one or two days.
func (l *Localizer) Span(from, to time.Time) string {
	if from.In(Riga).Format("2006-01-02") == to.In(Riga).Format("2006-01-02") {
		return l.Date(from) + ", " + l.Time(from) + "–" + l.Time(to)
	}
	return l.DateTime(from) + " – " + l.DateTime(to)
}

// Keys lists every message id defined for each language, read straight from
// the files, so tests can compare the languages.
func Keys(fsys fs.FS, dir string) (map[string]map[string]map[string]bool, error) {
	// lang -> id -> plural forms present ("other" for plain strings)
	out := map[string]map[string]map[string]bool{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".toml" {
			return err
		}
		parts := strings.Split(path.Base(p), ".")
		if len(parts) < 3 {
			return fmt.Errorf("%s: name it <feature>.<lang>.toml", p)
		}
		lang := parts[len(parts)-2]
		var raw map[string]any
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if err := toml.Unmarshal(data, &raw); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if out[lang] == nil {
			out[lang] = map[string]map[string]bool{}
		}
		for id, v := range raw {
			if _, dup := out[lang][id]; dup {
				return fmt.Errorf("%s: message %q is defined twice for %s", p, id, lang)
			}
			forms := map[string]bool{}
			switch v := v.(type) {
			case string:
				forms["other"] = true
			case map[string]any:
				for k := range v {
					if k != "description" && k != "hash" {
						forms[k] = true
					}
				}
			}
			out[lang][id] = forms
		}
		return nil
	})
	return out, err
}

// SortedKeys returns m's keys in order (for stable test output).
func SortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
