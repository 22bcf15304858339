package live

import (
	"encoding/json"
	"errors"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/internal/domain"
)

// Message types the hub sends. Snapshot, Checkin, Registration and
// Cancellation are the contract's; Event is an addition (a change of the
// event's capacity or status) that older clients may ignore.
const (
	TypeSnapshot     = "snapshot"
	TypeCheckin      = "checkin"
	TypeRegistration = "registration"
	TypeCancellation = "cancellation"
	TypeEvent        = "event"
)

// Message is one server-to-client message. It carries counts, the change
// time and, for a check-in, the registration's name: nothing else personal,
// no e-mail addresses and no ticket codes.
type Message struct {
	Type  string       `json:"type"`
	Event string       `json:"event"`
	Stats domain.Stats `json:"stats"`
	// At is the time of the change (UTC, PocketBase's datetime form); empty
	// in a snapshot.
	At string `json:"at,omitempty"`
	// Name is set on check-ins only (a pointer, so the key is present even
	// when retention has already erased the name).
	Name *string `json:"name,omitempty"`
	// Removed marks a deleted check-in or registration: the counts went down.
	Removed bool `json:"removed,omitempty"`
	// Arrivals are the times of the event's check-ins so far, oldest first,
	// one per person they let in (a party of three is three times),
	// in a snapshot only: a dashboard redraws its chart from them after a
	// reconnect. Times alone say nothing about who arrived.
	Arrivals []string `json:"arrivals,omitempty"`
}

// maxAuthMessage bounds the first message; a PocketBase token is a few
// hundred bytes.
const maxAuthMessage = 8 << 10

// maxTokenLen bounds the token inside it.
const maxTokenLen = 4096

// errNotAuth is what ParseAuth returns for anything but an auth message.
var errNotAuth = errors.New("not an auth message")

// ParseAuth reads the client's first message, {"type":"auth","token":"…"},
// and returns the token. Anything else — not JSON, another type, a missing,
// over-long or oddly shaped token — is an error, which the hub answers with
// close code 4401. It has no side effects, so it can be fuzzed.
func ParseAuth(data []byte) (string, error) {
	if len(data) == 0 || len(data) > maxAuthMessage {
		return "", errNotAuth
	}
	var m struct {
		Type  string `json:"type"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", errNotAuth
	}
	if m.Type != "auth" || m.Token == "" || len(m.Token) > maxTokenLen {
		return "", errNotAuth
	}
	// PocketBase tokens are JWTs: base64url segments joined by dots.
	for i := 0; i < len(m.Token); i++ {
		c := m.Token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", errNotAuth
		}
	}
	return m.Token, nil
}

// changeTime is when a record last changed: the given date field, else its
// "updated" autodate, else now.
func changeTime(rec *core.Record, field string) string {
	for _, f := range []string{field, "updated", "created"} {
		if f == "" {
			continue
		}
		if d := rec.GetDateTime(f); !d.IsZero() {
			return d.String()
		}
	}
	return now()
}

// now is the current time in PocketBase's datetime form.
func now() string { return types.NowDateTime().String() }
