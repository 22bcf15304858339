package contact_test

import (
	"errors"
	"strings"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"kopa/internal/contact"
)

func code(err error) string {
	var ve validation.Error
	if errors.As(err, &ve) {
		return ve.Code()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestName(t *testing.T) {
	for _, c := range []struct{ in, want, code string }{
		{"  Amina Haddad ", "Amina Haddad", ""},
		{"Мария", "Мария", ""},
		{strings.Repeat("ā", contact.MaxName), strings.Repeat("ā", contact.MaxName), ""},
		{"", "", "validation_required"},
		{" \t ", "", "validation_required"},
		{strings.Repeat("ā", contact.MaxName+1), strings.Repeat("ā", contact.MaxName+1), "validation_length_too_long"},
		{"Anna\nBcc", "Anna\nBcc", "validation_invalid_value"},
		{"\u0000", "\u0000", "validation_invalid_value"},
	} {
		got, err := contact.Name(c.in)
		if got != c.want || code(err) != c.code {
			t.Errorf("Name(%q) = %q, %q; want %q, %q", c.in, got, code(err), c.want, c.code)
		}
	}
}

// TestNamesAccepted: names as people write them, in the languages of the
// people Kopā serves, with diacritics, initials, apostrophes, hyphens, the
// Persian zero-width non-joiner and the marks right-to-left text carries.
func TestNamesAccepted(t *testing.T) {
	for _, name := range []string{
		"Jānis Bērziņš", "J. Bērziņš", "Bērziņš J.", "Ķirsis Ģirts", "Līga Ozoliņa-Kalniņa", "Dr. Ahmed",
		"Мария Иванова", "Иванов И.И.", "А.С. Пушкин", "Олександр Шевченко", "Ігор Їжакевич",
		"محمد الأحمد", "فاطمة الزهراء", "عبد الله بن عمر", "زهرا\u200cسادات احمدی", "مهدی\u200cزاده", "\u200fعلی رضایی\u200f",
		"Nguyễn Văn An", "O'Brien", "Jean-Luc Picard", "Anna.Maria", "J.Bērziņš", "Amina H.", "Ahmad (Ali) Karimi",
		"Anna @ home", "Ann 2.0", "Zoë Ørsted", "Łukasz Żółć", "Ṣàlá", "Müller & Söhne", "李娜", "김민준", "🙂 Anna",
		"Ахмед аль-Хасан", "x.com", // a one-letter word before the dot is an initial
	} {
		if _, err := contact.Name(name); err != nil {
			t.Errorf("Name(%q) refused: %v", name, err)
		}
	}
}

// TestNamesRefused: web and e-mail addresses, however written, and
// characters that hide or reorder text are no name.
func TestNamesRefused(t *testing.T) {
	for _, name := range []string{
		"your residence permit is suspended, verify at https://kopa-help.lv/verify",
		"http://example.org", "HTTPS://EXAMPLE.ORG", "hxxps://evil.test", "ftp://x", "www.example", "visit WWW.Example",
		"example.com", "Example.COM/verify", "Anna, see kopa-help.lv", "evil.com?x=1", "login.microsoftonline.com",
		"migracija.gov.lv/atlauja", "пример.рф", "ПРИМЕР.РФ/вход", "مثال.السعودية", "evil.community", "evil.xn--p1ai",
		"ｅｖｉｌ．ｃｏｍ", "evil。com", "evil\u200b.com", "e\u00advil.com", "192.0.2.1/login", "Wang.Li", "t.co/Ab12", "x.com/verify",
		"anna@example.com", "write to a@b", "Anna <anna@example.org>", "mailto:x@y.lv",
		"Anna\u202emoc.live", "\u202aAnna\u202c", "\u2066Anna\u2069", "\u2067Anna", "\u2068x\u2069", "Anna\u202d",
		"Anna\u2028Bcc", "Anna\u2029B", "\ufeffAnna", "An\u200bna", "Anna\U000E0041",
		"Anna\u0085B", "Anna\u007f", "Anna\tB",
	} {
		_, err := contact.Name(name)
		if code(err) != "validation_invalid_value" {
			t.Errorf("Name(%q) = %q, want validation_invalid_value", name, code(err))
		}
	}
}

func TestEmail(t *testing.T) {
	for _, c := range []struct{ in, want, code string }{
		{" Anna@Example.org ", "anna@example.org", ""},
		{"", "", "validation_required"},
		{"nobody", "nobody", "validation_invalid_email"},
		{"a@localhost", "a@localhost", "validation_invalid_email"},
		{"a@example.com\r\nbcc: x@example.com", "a@example.com\r\nbcc: x@example.com", "validation_invalid_email"},
		{"A <a@example.com>", "a <a@example.com>", "validation_invalid_email"},
		{"a,b@example.com", "a,b@example.com", "validation_invalid_email"},
		{strings.Repeat("a", 250) + "@x.lv", strings.Repeat("a", 250) + "@x.lv", "validation_invalid_email"},
	} {
		got, err := contact.Email(c.in)
		if got != c.want || code(err) != c.code {
			t.Errorf("Email(%q) = %q, %q; want %q, %q", c.in, got, code(err), c.want, c.code)
		}
	}
}
