// Package i18n holds Kopā's message catalogues (Latvian, English, Russian,
// Ukrainian, Arabic and Persian, with CLDR plural forms through go-i18n), the
// choice of a visitor's language, the writing direction, and dates in Riga
// time.
//
// The public and the volunteers are spoken to in all six languages; the
// organisers' console and the door scanner only in Console's three. Which
// messages belong to the console is decided by StaffPrefixes: the catalogue
// test demands every message in lv, en and ru, and every other (public)
// message in uk, ar and fa as well.
package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Supported are the languages Kopā speaks, the default first.
var Supported = []string{"lv", "en", "ru", "uk", "ar", "fa"}

// Console are the languages of the organisers' console and the door
// scanner: a subset of Supported.
var Console = []string{"lv", "en", "ru"}

// StaffPrefixes are the beginnings of the message ids only the console and
// the door scanner use. They exist in Console's languages only; every other
// message is public and exists in all of Supported.
var StaffPrefixes = []string{"manage.", "scan.", "live.", "shifts.", "vol.", "message.", "notice.shifts_move", "vmail.short.", "vdir.", "bulletins.console."}

// IsStaffMessage reports whether message id belongs to the console (see
// StaffPrefixes).
func IsStaffMessage(id string) bool {
	for _, p := range StaffPrefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// Names are the languages' own names, as the language switcher shows them:
// a newcomer finds "العربية" sooner than "AR".
var Names = map[string]string{
	"lv": "Latviešu", "en": "English", "ru": "Русский",
	"uk": "Українська", "ar": "العربية", "fa": "فارسی",
}

// rtl are the languages written right to left.
var rtl = map[string]bool{"ar": true, "fa": true}

// Dir is the writing direction of lang: "rtl" or "ltr".
func Dir(lang string) string {
	if rtl[lang] {
		return "rtl"
	}
	return "ltr"
}

// Fallback is the language a message missing in uk, ar or fa is shown in
// (the console's messages, where a page shares one): English, which more
// newcomers read than Latvian.
const Fallback = "en"

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
func IsSupported(lang string) bool { return in(Supported, lang) }

// IsConsole reports whether lang is one of Console.
func IsConsole(lang string) bool { return in(Console, lang) }

func in(list []string, lang string) bool {
	for _, s := range list {
		if s == lang {
			return true
		}
	}
	return false
}

func newMatcher(langs []string) language.Matcher {
	tags := make([]language.Tag, len(langs))
	for i, l := range langs {
		tags[i] = language.MustParse(l)
	}
	return language.NewMatcher(tags)
}

var (
	matcher        = newMatcher(Supported)
	consoleMatcher = newMatcher(Console)
)

// Negotiate picks the visitor's language: an explicit choice (the ?lang=
// query), then the remembered one (cookie), then the browser's
// Accept-Language, then Latvian.
func Negotiate(query, cookie, acceptLanguage string) string {
	return negotiate(Supported, matcher, query, cookie, acceptLanguage)
}

// NegotiateConsole picks the language of a console page the same way, among
// Console's languages only: a choice of another language (?lang=ar) is
// passed over as an unknown one is.
func NegotiateConsole(query, cookie, acceptLanguage string) string {
	return negotiate(Console, consoleMatcher, query, cookie, acceptLanguage)
}

func negotiate(langs []string, m language.Matcher, query, cookie, acceptLanguage string) string {
	for _, v := range []string{query, cookie} {
		if v = strings.ToLower(strings.TrimSpace(v)); in(langs, v) {
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
	_, idx, conf := m.Match(tags...)
	if conf == language.No {
		return Default
	}
	return langs[idx]
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
		langs := []string{lang}
		if !IsConsole(lang) {
			langs = append(langs, Fallback)
		}
		c.localizers[lang] = &Localizer{Lang: lang, Dir: Dir(lang), l: goi18n.NewLocalizer(b, langs...)}
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
	// Dir is the writing direction: "rtl" for Arabic and Persian, else "ltr".
	Dir string
	l   *goi18n.Localizer
}

// RTL reports whether the language is written right to left.
func (l *Localizer) RTL() bool { return l.Dir == "rtl" }

// T translates id. args are key/value pairs for the message's template:
// T("hello", "Name", "Anna") fills {{.Name}}. A missing message returns id,
// which the catalogue test prevents.
//
// In a right-to-left language every value filled in is isolated (Unicode's
// FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE): a Latin title, an e-mail
// address or a time then keeps its own direction inside the Arabic or
// Persian sentence and does not pull the punctuation around it out of place.
func (l *Localizer) T(id string, args ...any) string {
	return l.localize(id, l.pairs(args, true))
}

// plain translates id without isolating the values: for dates, whose parts
// (weekday, day, month, year, times) read in the sentence's own order.
func (l *Localizer) plain(id string, args ...any) string {
	return l.localize(id, l.pairs(args, false))
}

func (l *Localizer) localize(id string, data map[string]any) string {
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// N translates id in the plural form for count; {{.Count}} holds the count.
func (l *Localizer) N(id string, count int, args ...any) string {
	data := l.pairs(args, true)
	data["Count"] = l.isolate(count)
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

func (l *Localizer) pairs(args []any, isolate bool) map[string]any {
	m := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			if v := args[i+1]; isolate {
				m[k] = l.isolate(v)
			} else {
				m[k] = v
			}
		}
	}
	return m
}

// Isolate marks: FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE.
const (
	fsi = "\u2068"
	pdi = "\u2069"
)

// Isolate returns s isolated in a right-to-left language (as T isolates
// the values it fills in), and s as it is in a left-to-right one: for a
// title or a place a page shows beside translated words.
func (l *Localizer) Isolate(s string) string {
	v, _ := l.isolate(s).(string)
	return v
}

// isolate wraps a value filled into a right-to-left message in isolate
// marks; in a left-to-right language it returns v as it is.
func (l *Localizer) isolate(v any) any {
	if l == nil || l.Dir != "rtl" {
		return v
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return v
		}
		return fsi + v + pdi
	case int, int64, float64:
		return fmt.Sprint(fsi, v, pdi)
	}
	return v
}

// Weekday is the weekday's name in this language.
func (l *Localizer) Weekday(t time.Time) string {
	return l.plain(fmt.Sprintf("weekday.%d", int(t.In(Riga).Weekday())))
}

// Date is a day in Riga time: "otrdiena, 01.12.2026", "Tuesday, 1 Dec 2026",
// "الثلاثاء، 1 كانون الأول 2026". Numbers are written with the digits 0–9 in
// every language, as on the tickets, clocks and timetables in Riga.
func (l *Localizer) Date(t time.Time) string {
	t = t.In(Riga)
	return l.plain("format.date", "Weekday", l.Weekday(t), "Day", t.Day(), "Month", l.plain(fmt.Sprintf("month.%d", int(t.Month()))),
		"Num", t.Format("02.01.2006"), "Year", t.Year())
}

// Time is the clock time in Riga: "18:00".
func (l *Localizer) Time(t time.Time) string { return t.In(Riga).Format("15:04") }

// DateTime is Date and Time together, joined as the language joins them
// ("format.datetime").
func (l *Localizer) DateTime(t time.Time) string {
	return l.plain("format.datetime", "Date", l.Date(t), "Time", l.Time(t))
}

// Span is a time window on one or two days.
func (l *Localizer) Span(from, to time.Time) string {
	if from.In(Riga).Format("2006-01-02") == to.In(Riga).Format("2006-01-02") {
		return l.plain("format.span_day", "Date", l.Date(from), "From", l.Time(from), "To", l.Time(to))
	}
	return l.plain("format.span", "From", l.DateTime(from), "To", l.DateTime(to))
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

// placeholder is a value a message fills in: {{.Name}}.
var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// Placeholders lists, for each language and message, the values its text
// fills in (over all its plural forms), read straight from the files.
func Placeholders(fsys fs.FS, dir string) (map[string]map[string][]string, error) {
	out := map[string]map[string][]string{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".toml" {
			return err
		}
		parts := strings.Split(path.Base(p), ".")
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
			out[lang] = map[string][]string{}
		}
		for id, v := range raw {
			var texts []string
			switch v := v.(type) {
			case string:
				texts = append(texts, v)
			case map[string]any:
				for k, f := range v {
					if s, ok := f.(string); ok && k != "description" && k != "hash" {
						texts = append(texts, s)
					}
				}
			}
			seen := map[string]bool{}
			names := []string{}
			for _, t := range texts {
				for _, m := range placeholder.FindAllStringSubmatch(t, -1) {
					if !seen[m[1]] {
						seen[m[1]] = true
						names = append(names, m[1])
					}
				}
			}
			sort.Strings(names)
			out[lang][id] = names
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
