package web

import (
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"golang.org/x/crypto/bcrypt"
)

// passwordMatches checks password against the account rec of collection,
// and against a stand-in hash of the same cost when there is no such
// account (rec nil), as PocketBase's own password login does: the answer
// then takes as long for an unknown address as for a known one, so the
// time of a failed sign-in does not tell who has an account.
func passwordMatches(app core.App, collection string, rec *core.Record, password string) bool {
	if rec != nil {
		return rec.ValidatePassword(password)
	}
	cost := bcrypt.DefaultCost
	if c, err := app.FindCachedCollectionByNameOrId(collection); err == nil {
		if f, ok := c.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField); ok && f.Cost > 0 {
			cost = f.Cost
		}
	}
	_ = bcrypt.CompareHashAndPassword(dummyHash(cost), []byte(password))
	return false
}

// dummyHashes are the stand-in hashes by bcrypt cost, made once each: a
// hash of a random password nobody knows.
var dummyHashes sync.Map

func dummyHash(cost int) []byte {
	if h, ok := dummyHashes.Load(cost); ok {
		return h.([]byte)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(security.RandomString(30)), cost)
	if err != nil {
		// Only a cost out of bcrypt's range fails; the comparison with an
		// invalid hash returns at once, as no check would.
		return nil
	}
	h2, _ := dummyHashes.LoadOrStore(cost, h)
	return h2.([]byte)
}
