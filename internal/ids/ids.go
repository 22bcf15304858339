// Package ids makes record ids that sort by the time they were made.
//
// PocketBase's ids are random, so each new row lands in a random page of
// its table's primary-key index (and of every index keyed by it, such as a
// mail's "ref"). A burst of inserts then dirties, and writes to the WAL at
// commit, one page per row and index. An id that starts with the time goes
// to the end of the index, into pages just written: the same burst writes
// a fraction of the pages.
package ids

import (
	"crypto/rand"
	"strconv"
	"strings"
	"time"
)

// Alphabet is PocketBase's id alphabet.
const Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// Ordered makes a 15-character id from PocketBase's alphabet: the
// milliseconds since 1970 in base 36 (nine characters, enough until the
// year 5188), then six random characters (about 31 bits, so ids made in
// the same millisecond differ).
func Ordered() string {
	ms := strconv.FormatInt(time.Now().UnixMilli(), 36)
	var b strings.Builder
	b.Grow(15)
	b.WriteString(strings.Repeat("0", 9-len(ms)))
	b.WriteString(ms)
	b.Write(Random(6, Alphabet))
	return b.String()
}

// Random returns n characters of alphabet (at most 256 characters long)
// from crypto/rand, each equally likely: bytes that would favour the first
// characters are drawn again.
func Random(n int, alphabet string) []byte {
	out := make([]byte, n)
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for i := 0; i < n; {
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			if int(c) < limit && i < n {
				out[i] = alphabet[int(c)%len(alphabet)]
				i++
			}
		}
	}
	return out
}
