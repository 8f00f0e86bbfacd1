// Package secret makes opaque single-use tokens (invite tokens, and later
// refresh and reset tokens) and the hashes that are stored in their place.
//
// A token is 256 random bits; it is shown to its owner once and never
// stored, logged or put in an error.
package secret

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// Size is the number of random bytes in a token.
const Size = 32

// New returns a new token read from r (crypto/rand.Reader in production).
func New(r io.Reader) (string, error) {
	b := make([]byte, Size)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash returns the hash under which a token is stored. A plain SHA-256 is
// enough: the token has 256 bits of entropy, so there is nothing to
// brute-force, and lookups by hash stay one indexed equality.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s could be a token made by New, so lookups of
// garbage can be refused before touching the database: 43 characters of
// the base64url alphabet, in the one spelling New writes. (Go's decoder,
// even strict, skips line breaks, and by default ignores the last
// character's spare bits, so decoding alone would take other text.)
func WellFormed(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(Size) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == Size && base64.RawURLEncoding.EncodeToString(b) == s
}
