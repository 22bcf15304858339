// Package contact holds the rules for the contact details people type into
// Kopā at more than one entry point: a person's name and an e-mail address.
// The registration API and form, the door's walk-in (API and console), the
// volunteer sign-up and the organisation's settings all apply these, so a
// name one of them accepts is a name every one of them accepts.
//
// The errors are ozzo-validation errors with PocketBase's codes, ready to go
// into a validation.Errors under the caller's field name.
package contact

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
)

// MaxName is the longest name accepted, in characters.
const MaxName = 200

// MaxEmail is the longest e-mail address accepted, in bytes (RFC 5321's
// limit for a path).
const MaxEmail = 254

// Name trims a person's name and checks it: not blank
// (validation_required), at most MaxName characters
// (validation_length_too_long), and a name, nothing else
// (validation_invalid_value): no control characters such as line breaks or
// NUL, which no name has and which would break the mails, the CSV and the
// door's screen it is shown on; no invisible characters that reorder or
// hide text (see hidesText); and no web or e-mail address (see
// holdsAddress), since Kopā greets people by the name someone typed, in
// mails under its own name: "your permit is suspended, verify at
// example.com" is not a name. It returns the trimmed name, which is what
// is stored.
func Name(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return s, validation.NewError("validation_required", "Cannot be blank.")
	case utf8.RuneCountInString(s) > MaxName:
		return s, validation.NewError("validation_length_too_long", fmt.Sprintf("Must be no more than %d characters.", MaxName))
	case strings.ContainsFunc(s, unicode.IsControl):
		return s, validation.NewError("validation_invalid_value", "Must not contain control characters.")
	case strings.ContainsFunc(s, hidesText):
		return s, validation.NewError("validation_invalid_value", "Must not contain invisible or text-direction characters.")
	case holdsAddress(s):
		return s, validation.NewError("validation_invalid_value", "Must not contain a web or e-mail address.")
	}
	return s, nil
}

// Email trims and lower-cases an address (so one person is one address
// whatever they type) and checks it: one bare address, at most MaxEmail
// bytes, with a dot in its domain and no control characters (a CR or LF
// would inject mail headers). An empty address is validation_required, any
// other bad one validation_invalid_email. It returns the address as it is
// stored.
func Email(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	return s, checkEmail(s)
}

func checkEmail(email string) error {
	if email == "" {
		return validation.NewError("validation_required", "Cannot be blank.")
	}
	bad := validation.NewError("validation_invalid_email", "Must be a valid e-mail address.")
	if len(email) > MaxEmail || strings.IndexFunc(email, unicode.IsControl) >= 0 || strings.ContainsAny(email, " ,;<>\"()[]\\") {
		return bad
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return bad
	}
	return nil
}
