package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformedHash is returned, usually wrapped with a fixed reason, for an
// encoded hash that cannot be parsed, is in an unsupported format, or has
// parameters beyond the caps below. The error never contains the hash.
var ErrMalformedHash = errors.New("password: malformed or unsupported hash")

// Caps on the parameters of stored and imported hashes. A hash beyond them is
// refused before any derivation: whoever can write a hash into the database
// (an import file, say) must not be able to make a sign-in cost gigabytes of
// memory or minutes of CPU.
const (
	// maxEncodedLen is far above any supported encoding (argon2id with
	// 64-byte salt and key is about 220 bytes) and keeps parsing cheap.
	maxEncodedLen = 512

	maxArgon2MemoryKiB   = 1 << 20 // 1 GiB
	maxArgon2Iterations  = 16
	maxArgon2Parallelism = 16

	minBcryptCost = 4
	maxBcryptCost = 16

	maxScryptLogN = 20
	maxScryptR    = 32
	maxScryptP    = 16
	// maxScryptMemory bounds 128*r*N, the memory one scrypt run holds. The
	// separate caps on logN and r would allow 4 GiB; this keeps scrypt in
	// line with argon2's 1 GiB cap.
	maxScryptMemory = 1 << 30
)

// storedHash is a parsed hash whose parameters are within the caps.
type storedHash interface {
	// matches runs the key derivation once and compares in constant time.
	// w is the worker's argon2 memory; only argon2id uses it.
	matches(pw string, w *workspace) (bool, error)
	// current reports whether the hash is argon2id exactly as a Hasher with
	// params p would produce it today.
	current(p Params) bool
	// kind is the hash's family and cost parameters.
	kind() Kind
}

// CheckEncoded reports whether encoded is a supported, well-formed hash with
// acceptable parameters, without running the key derivation. It is meant for
// importing users.
func CheckEncoded(encoded string) error {
	_, err := parse(encoded, nil)
	return err
}

// parse recognises the format of encoded and checks it against the caps.
// An argon2id hash with exactly *own's parameters, when own is not nil, is
// accepted even beyond the caps: the operator chose them (and they passed
// Validate), and a Hasher must verify its own hashes.
func parse(encoded string, own *Params) (storedHash, error) {
	if len(encoded) > maxEncodedLen {
		return nil, malformed("encoding too long")
	}
	// Go's base64 decoders skip line breaks even when strict, which would
	// give a hash more than one encoding.
	if strings.ContainsAny(encoded, "\r\n") {
		return nil, malformed("line break in encoding")
	}
	switch {
	case strings.HasPrefix(encoded, "$argon2"):
		return parseArgon2id(encoded, own)
	case strings.HasPrefix(encoded, "$2"):
		return parseBcrypt(encoded)
	case encoded == "":
		return nil, malformed("empty")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil || !strings.HasPrefix(string(raw), scryptMagic) {
		return nil, malformed("unrecognised format")
	}
	return parseScrypt(raw)
}

func isMalformed(err error) bool { return errors.Is(err, ErrMalformedHash) }

// malformed wraps ErrMalformedHash with a fixed reason. Reasons are
// constants, never text or numbers taken from the hash.
func malformed(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, reason)
}
