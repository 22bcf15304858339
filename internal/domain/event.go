package domain

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Stats are an event's counts (package attendance keeps them). They hold no
// personal data.
type Stats struct {
	Capacity   int `json:"capacity"`
	Confirmed  int `json:"confirmed"`
	Waitlisted int `json:"waitlisted"`
	Cancelled  int `json:"cancelled"`
	CheckedIn  int `json:"checked_in"`
	// EventCancelled: the event itself was cancelled (not part of the
	// counts the API and the live feed show).
	EventCancelled bool `json:"-"`
}

// SeatsLeft is the number of free seats, or -1 when the event has no limit.
func (s Stats) SeatsLeft() int {
	if s.Capacity <= 0 {
		return -1
	}
	if left := s.Capacity - s.Confirmed; left > 0 {
		return left
	}
	return 0
}

// EventView is an event as a page shows it, in one language.
type EventView struct {
	ID                    string
	Kind                  string
	Status                EventStatus
	Title, Summary, Venue string
	// TitleLang and SummaryLang are the languages Title and Summary are
	// in: the page's, or the one they fell back to.
	TitleLang, SummaryLang string
	// TextLangs are the languages the event has a title in (the console
	// shows them).
	TextLangs        []string
	StartsAt, EndsAt time.Time
	Capacity         int
	Waitlist         bool
	Stats            Stats
	// SeatsLeft is -1 when the event has no seat limit.
	SeatsLeft int
	// Series is the weekly series the event is a session of, or "".
	Series string
}

// Full reports whether every seat is taken.
func (v EventView) Full() bool { return v.SeatsLeft == 0 }

// Cancelled reports whether the event was cancelled.
func (v EventView) Cancelled() bool { return v.Status == EventCancelled }

// Started reports whether the event has begun.
func (v EventView) Started() bool { return !time.Now().Before(v.StartsAt) }

// Open reports whether registration is open: published, not started, and a
// seat or a waiting-list place to be had.
func (v EventView) Open() bool {
	return RegistrationOpen(v.Status, v.StartsAt, time.Now()) && (!v.Full() || v.Waitlist)
}

// TextLangs are the languages an event's title and summary may be written
// in (fields title_<lang>, summary_<lang>): every locale. Latvian is
// required; the others are optional.
var TextLangs = Locales

// TextFallback is where a text in lang is looked for, in order: Latvian,
// English and Russian fall back to Latvian (as they always have);
// Ukrainian, Arabic and Persian to English, then Latvian, which more
// newcomers read.
func TextFallback(lang string) []string {
	switch lang {
	case "lv", "en", "ru":
		return []string{lang, "lv"}
	}
	return []string{lang, "en", "lv"}
}

// Localized returns rec's field in lang (field_lv, field_en…), falling back
// where the translation is missing (see LocalizedIn).
func Localized(rec *core.Record, field, lang string) string {
	s, _ := LocalizedIn(rec, field, lang)
	return s
}

// LocalizedIn returns rec's field in lang and the language the text is in:
// lang's own, or, where it is missing, English (for uk, ar and fa) and then
// Latvian. A page marks a text in another language than its own (lang=…),
// so that it is read out and laid out in its own language.
func LocalizedIn(rec *core.Record, field, lang string) (text, in string) {
	for _, l := range TextFallback(lang) {
		if s := rec.GetString(field + "_" + l); s != "" {
			return s, l
		}
	}
	return "", lang
}

// TextLanguages are the languages rec has a title in, in TextLangs' order
// (the console shows them).
func TextLanguages(rec *core.Record) []string {
	var out []string
	for _, l := range TextLangs {
		if rec.GetString("title_"+l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// NewEventView builds the view of an event record in lang with its counts.
func NewEventView(rec *core.Record, lang string, stats Stats) EventView {
	title, titleLang := LocalizedIn(rec, "title", lang)
	summary, summaryLang := LocalizedIn(rec, "summary", lang)
	return EventView{
		ID: rec.Id, Kind: rec.GetString("kind"), Status: EventStatusOf(rec),
		Title: title, Summary: summary, Venue: rec.GetString("venue"),
		TitleLang: titleLang, SummaryLang: summaryLang, TextLangs: TextLanguages(rec),
		StartsAt: rec.GetDateTime("starts_at").Time(), EndsAt: rec.GetDateTime("ends_at").Time(),
		Capacity: rec.GetInt("capacity"), Waitlist: rec.GetBool("waitlist"),
		Stats: stats, SeatsLeft: stats.SeatsLeft(), Series: SeriesOf(rec),
	}
}
