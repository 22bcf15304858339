package registration_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"kopa/hooks/registration"
	"kopa/internal/i18n"
)

// FuzzDecodeInput feeds arbitrary bodies to the registration decoder: it
// never panics, and whatever it accepts is a clean registration (a trimmed
// name of at most 200 characters without control characters, one plain
// address without line breaks, a supported locale).
func FuzzDecodeInput(f *testing.F) {
	for _, s := range []string{
		`{"name":"Anna","email":"anna@example.com"}`,
		`{"name":"Мария","email":"MARIA@example.com","locale":"ru","photo_consent":true,"interpretation":["ar","fa"]}`,
		`{"name":42}`, `[]`, `null`, `{"email":"a@example.com\r\nBcc: x@example.com","name":"x"}`,
		`{"name":"\u0000","email":"a@b.co"}`, `{"name":" ","email":" "}`, `{"locale":"xx"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := registration.DecodeInput(data, "lv")
		if err != nil {
			var verrs validation.Errors
			if !errors.As(err, &verrs) || len(verrs) == 0 {
				t.Fatalf("error is not per-field: %v", err)
			}
			return
		}
		if in.Name == "" || in.Name != strings.TrimSpace(in.Name) || utf8.RuneCountInString(in.Name) > registration.MaxName {
			t.Fatalf("accepted name %q", in.Name)
		}
		if strings.ContainsAny(in.Email, "\r\n \t<>,") || !strings.Contains(in.Email, "@") {
			t.Fatalf("accepted e-mail %q", in.Email)
		}
		if !i18n.IsSupported(in.Locale) {
			t.Fatalf("accepted locale %q", in.Locale)
		}
	})
}
