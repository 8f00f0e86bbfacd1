package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// recoveryAlphabet is base32 in lower case without padding: no 0, 1, 8
// or 9 to mistake for o, l, b or g.
var recoveryAlphabet = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRecoveryCode returns a recovery code read from r: ten base32
// characters (50 bits) in two groups of five, "k7qzm-4rtwa". It is shown
// once and stored only as KeyedHash of NormalizeRecoveryCode.
func NewRecoveryCode(r io.Reader) (string, error) {
	b := make([]byte, 7)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random recovery code: %w", err)
	}
	s := recoveryAlphabet.EncodeToString(b)[:10]
	return s[:5] + "-" + s[5:], nil
}

// NormalizeRecoveryCode is a recovery code as typed, in the one spelling
// that is hashed: lower case, without spaces or dashes.
func NormalizeRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// KeyedHash is the HMAC-SHA256 of value bound to binding, in hex, under a
// key the database does not hold. It is how short secrets (recovery
// codes, one-time email codes) are stored: a plain hash of 50 bits or 20
// bits could be reversed from a copy of the database alone.
func KeyedHash(key []byte, binding, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(binding))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
