package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// PersonKey is who an e-mail address is among the people of one series:
// a keyed hash (HMAC-SHA-256) of the address, lower-cased, under the
// series' own key (series.salt). The same address gives the same key in
// one series, another key in another series, and the key does not give
// back the address. Retention keeps it in registrations.person when it
// erases the address, so a series' report still counts who came back.
func PersonKey(salt, email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(salt))
	m.Write([]byte(email))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
