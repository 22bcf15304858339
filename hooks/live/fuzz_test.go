package live_test

import (
	"encoding/json"
	"strings"
	"testing"

	"kopa/hooks/live"
)

// TestParseAuth pins which first messages count as auth.
func TestParseAuth(t *testing.T) {
	t.Parallel()
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IngifQ.c2ln-_"
	for _, tc := range []struct {
		in   string
		want string // "" for an error
	}{
		{`{"type":"auth","token":"` + tok + `"}`, tok},
		{`{"token":"` + tok + `","type":"auth","extra":1}`, tok},
		{` {"type":"auth","token":"abc"} `, "abc"},
		{`{"type":"auth","token":""}`, ""},
		{`{"type":"auth"}`, ""},
		{`{"type":"Auth","token":"abc"}`, ""},
		{`{"type":"snapshot","token":"abc"}`, ""},
		{`{"type":"auth","token":"a b"}`, ""},
		{`{"type":"auth","token":"abc\u0000"}`, ""},
		{`{"type":"auth","token":"é"}`, ""},
		{`{"type":"auth","token":123}`, ""},
		{`{"type":"auth","token":"` + strings.Repeat("a", 4097) + `"}`, ""},
		{`["auth","abc"]`, ""},
		{`null`, ""},
		{`{"type":"auth","token":"abc"`, ""},
		{``, ""},
		{`auth abc`, ""},
	} {
		got, err := live.ParseAuth([]byte(tc.in))
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ParseAuth(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseAuth: whatever arrives as the first message, ParseAuth does not
// panic, and a token it accepts is short, plain ASCII of a JWT's alphabet,
// and comes back unchanged from a message built around it.
func FuzzParseAuth(f *testing.F) {
	f.Add([]byte(`{"type":"auth","token":"eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IngifQ.c2ln"}`))
	f.Add([]byte(`{"type":"auth","token":""}`))
	f.Add([]byte(`{"type":"auth","token":"a","type":"x"}`))
	f.Add([]byte(`{"TYPE":"auth","Token":"abc"}`))
	f.Add([]byte(`{"type":"auth","token":"\ud800"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{0xff, 0xfe, '{'})
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := live.ParseAuth(data)
		if err != nil {
			if tok != "" {
				t.Fatalf("error %v with token %q", err, tok)
			}
			return
		}
		if tok == "" || len(tok) > 4096 {
			t.Fatalf("accepted token of length %d", len(tok))
		}
		for _, c := range tok {
			if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", c) {
				t.Fatalf("accepted token %q with %q", tok, c)
			}
		}
		again, _ := json.Marshal(map[string]string{"type": "auth", "token": tok})
		if tok2, err := live.ParseAuth(again); err != nil || tok2 != tok {
			t.Fatalf("round trip of %q: %q, %v", tok, tok2, err)
		}
	})
}
