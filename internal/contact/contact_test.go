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
