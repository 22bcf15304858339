package access

import (
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/domain"
)

// ShortName is as much of a name as a greeting at the door needs: the first
// word and the initial of the last ("Amina Haddad" → "Amina H.").
func ShortName(name string) string {
	words := strings.Fields(name)
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	r, _ := utf8.DecodeRuneInString(words[len(words)-1])
	return words[0] + " " + string(r) + "."
}

// DoorName is the name of a registration as the door staff signed in as
// auth may see it. Organisers see the full name: they hold the list anyway.
// A door volunteer sees the short name (ShortName), enough to greet
// someone and to tell two people apart in a hall, and never enough to
// learn who someone is from the list: the people behind the names are
// often refugees and asylum seekers, and a volunteer is someone the NGO
// met recently.
func DoorName(auth *core.Record, name string) string {
	if domain.IsStaff(auth) {
		return name
	}
	return ShortName(name)
}
