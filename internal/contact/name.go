package contact

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"
)

// hidesText reports whether r is an invisible character that has no place
// in a name: the bidirectional embeddings, overrides and isolates (U+202A–
// U+202E, U+2066–U+2069), which make a name show its letters in another
// order than they are stored ("moc.live" shown as "evil.com"), Unicode's
// line and paragraph separators, and the other format characters
// (zero-width space, soft hyphen, byte order mark, tags), which can hide
// an address from the check below while a reader still sees it.
//
// Allowed are the format characters names written in Arabic script and
// others need: the zero-width non-joiner and joiner (U+200C, U+200D; the
// Persian "nim-fasele" between parts of a word), and the direction marks
// (U+200E, U+200F, U+061C), which keyboards and copied text carry in
// right-to-left names and which only set the direction of the punctuation
// beside them, never reorder letters.
func hidesText(r rune) bool {
	switch r {
	case '\u200c', '\u200d', '\u200e', '\u200f', '\u061c':
		return false
	case '\u2028', '\u2029':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// holdsAddress reports whether a name holds a web address or an e-mail
// address, as mail programs would show it as a link or a reader would
// type it in: a scheme ("https://", any "://"), "www.", an "@" between two
// words, or a bare domain such as "example.com" or "example.com/verify".
//
// A bare domain is a word of at least two characters (or any word, when a
// path follows: "t.co/x"), a dot, and a top-level domain from ICANN's list
// (golang.org/x/net/publicsuffix), with no space around the dot:
// "J. Bērziņš", "Ivanov I.I." and "Anna.Maria" stay names ("maria" is no
// top-level domain), "kopa-help.lv" is refused.
// A name whose second part happens to be a top-level domain typed without
// the space ("Wang.Li") is refused too; with the space it passes.
//
// The check reads the name folded first: compatibility forms made plain
// (NFKC: a full-width "ｅｘａｍｐｌｅ．ｃｏｍ" is "example.com"), the other
// dots that browsers take for one ("。", "｡") as ".", invisible format
// characters dropped, letters lower-cased.
func holdsAddress(name string) bool {
	s := fold(name)
	if strings.Contains(s, "://") || strings.Contains(s, "www.") {
		return true
	}
	for i, r := range s {
		if r != '@' {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+1:])
		if i > 0 && i+1 < len(s) && !unicode.IsSpace(before) && !unicode.IsSpace(after) {
			return true
		}
	}
	for len(s) > 0 {
		start := strings.IndexFunc(s, func(r rune) bool { return !notInHost(r) })
		if start < 0 {
			break
		}
		s = s[start:]
		end := strings.IndexFunc(s, notInHost)
		if end < 0 {
			end = len(s)
		}
		// A short word before the dot is an initial ("A.Li"), unless a
		// path follows: "t.co/x" is a link.
		if isDomain(strings.Trim(s[:end], ".-"), strings.HasPrefix(s[end:], "/")) {
			return true
		}
		s = s[end:]
	}
	return false
}

// notInHost reports whether r cannot be part of a host name, so splits
// the name into the words that could be one.
func notInHost(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '.' || r == '-')
}

// fold is the form of a name the address check reads (see holdsAddress).
func fold(name string) string {
	s := norm.NFKC.String(name)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u3002' || r == '\uff61':
			return '.'
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return s
}

// isDomain reports whether word (letters, digits, marks, dots and hyphens)
// is a host name under a top-level domain: two labels or more, none
// empty, the one before the top-level domain at least two characters long
// (any length when a path follows), and the last an ICANN top-level
// domain; or an IPv4 address.
func isDomain(word string, path bool) bool {
	labels := strings.Split(word, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
	}
	if len(labels) == 4 && strings.IndexFunc(word, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }) < 0 {
		return true // 192.0.2.1
	}
	tld, second := labels[len(labels)-1], labels[len(labels)-2]
	if (len([]rune(second)) < 2 && !path) || strings.IndexFunc(tld, unicode.IsLetter) < 0 {
		return false
	}
	ascii, err := idna.Lookup.ToASCII(tld)
	if err != nil {
		return false
	}
	suffix, icann := publicsuffix.PublicSuffix(ascii)
	return icann && suffix == ascii
}
