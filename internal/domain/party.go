package domain

import "github.com/pocketbase/pocketbase/core"

// MaxPartyLimit is the largest party any event may allow (events.max_party
// is 1 to it).
const MaxPartyLimit = 20

// MaxParty is the largest party one registration for ev may hold: its
// max_party, and 1 where none was set (a number field left empty holds 0).
func MaxParty(ev *core.Record) int {
	return atLeastOne(ev.GetInt("max_party"))
}

// Party is how many people reg holds, the registrant included: 1 where it
// was written without a party.
func Party(reg *core.Record) int {
	return atLeastOne(reg.GetInt("party"))
}

// Arrived is how many people of a party a check-in let in: 1 where it was
// written without a count.
func Arrived(checkin *core.Record) int {
	return atLeastOne(checkin.GetInt("arrived"))
}

// EmailOptional reports whether people may register for ev without an
// e-mail address.
func EmailOptional(ev *core.Record) bool { return ev.GetBool("email_optional") }

// OffersChildcare reports whether ev offers child minding.
func OffersChildcare(ev *core.Record) bool { return ev.GetBool("childcare") }

func atLeastOne(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
