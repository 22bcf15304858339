package domain

import (
	"strings"
	"time"
)

// VolunteerCodePrefix starts every volunteer's personal code. A ticket code
// is letters and digits only, so the door tells the two apart by the first
// characters, without a lookup, and a ticket's fast path stays as it was.
const VolunteerCodePrefix = "V-"

// volunteerCodeLen is the length of a volunteer's code after its prefix.
const volunteerCodeLen = 28

// VolunteerCodeAutogenerate is the pattern PocketBase makes a new
// volunteer's code from (with crypto/rand, like an invitation's token):
// the prefix and 28 letters and digits, about 166 bits that nobody can
// guess, unrelated to the volunteer's id or address. The code is a secret
// like a ticket code: whoever holds it is let in as that volunteer.
const VolunteerCodeAutogenerate = "V-[A-Za-z0-9]{28}"

// IsVolunteerCode reports whether s has the shape of a volunteer's code.
func IsVolunteerCode(s string) bool {
	rest, ok := strings.CutPrefix(s, VolunteerCodePrefix)
	if !ok || len(rest) != volunteerCodeLen {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ShiftHours is what a shift from starts to ends counts for a volunteer who
// checked in on it at arrived: the shift's length, or from arrival to the
// shift's end when they came late; nothing before they checked in (arrived
// zero) or when they came after it ended.
func ShiftHours(starts, ends, arrived time.Time) float64 {
	if arrived.IsZero() {
		return 0
	}
	from := starts
	if arrived.After(starts) {
		from = arrived
	}
	if !ends.After(from) {
		return 0
	}
	return ends.Sub(from).Hours()
}
