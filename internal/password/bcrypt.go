package password

import (
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptLen is the length of every bcrypt hash: "$2a$", two cost digits,
// "$", then 22 characters of salt and 31 of hash.
const bcryptLen = 60

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// bcryptHash is a legacy hash. bcrypt only reads the first 72 bytes of a
// password; that is bcrypt's nature and acceptable for verifying old hashes,
// which are rehashed with argon2id on the next successful sign-in.
type bcryptHash struct {
	encoded []byte
}

func (h *bcryptHash) matches(pw string, _ *workspace) (bool, error) {
	err := bcrypt.CompareHashAndPassword(h.encoded, []byte(pw))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	// The hash was checked in parseBcrypt, so this is not expected; the
	// library's error is dropped because it may quote the hash.
	return false, malformed("bcrypt hash refused")
}

func (h *bcryptHash) current(Params) bool { return false }

func parseBcrypt(encoded string) (*bcryptHash, error) {
	if len(encoded) != bcryptLen {
		return nil, malformed("bcrypt hash has wrong length")
	}
	switch encoded[:4] {
	case "$2a$", "$2b$":
	case "$2y$":
		// PHP's $2y$ is the same algorithm as $2a$ without the old
		// crypt_blowfish sign-extension bug, which x/crypto never had.
		encoded = "$2a$" + encoded[4:]
	default:
		return nil, malformed("unsupported bcrypt version")
	}
	d1, d0 := encoded[4], encoded[5]
	if d1 < '0' || d1 > '9' || d0 < '0' || d0 > '9' || encoded[6] != '$' {
		return nil, malformed("bcrypt cost malformed")
	}
	cost := int(d1-'0')*10 + int(d0-'0')
	if cost < minBcryptCost || cost > maxBcryptCost {
		return nil, malformed("bcrypt cost out of range")
	}
	for i := 7; i < len(encoded); i++ {
		if strings.IndexByte(bcryptAlphabet, encoded[i]) < 0 {
			return nil, malformed("bcrypt salt or hash is not bcrypt base64")
		}
	}
	return &bcryptHash{encoded: []byte(encoded)}, nil
}
