package password

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/password/argon2"
)

// What Hash produces.
const (
	saltLen = 16
	keyLen  = 32
)

// Accepted lengths in stored argon2id hashes.
const (
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
)

// b64 is the PHC string encoding. Strict refuses non-zero trailing bits, so
// each key has exactly one encoding.
var b64 = base64.RawStdEncoding.Strict()

type argon2idHash struct {
	params    Params
	salt, key []byte
}

func (h *argon2idHash) matches(pw string, w *workspace) (bool, error) {
	key := w.idKey([]byte(pw), h.salt, h.params, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

func (h *argon2idHash) current(p Params) bool {
	return h.params == p && len(h.salt) == saltLen && len(h.key) == keyLen
}

func (h *argon2idHash) encode() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.params.MemoryKiB, h.params.Iterations, h.params.Parallelism,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parseArgon2id parses "$argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<key>".
func parseArgon2id(encoded string, own *Params) (*argon2idHash, error) {
	rest, ok := strings.CutPrefix(encoded, "$argon2id$")
	if !ok {
		// argon2i and argon2d are weaker against side channels or
		// trade-off attacks; nothing gatehouse imports uses them.
		return nil, malformed("unsupported argon2 variant")
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 4 {
		return nil, malformed("argon2id hash has wrong number of fields")
	}
	if fields[0] != "v=19" {
		return nil, malformed("unsupported argon2 version")
	}
	params, err := parseArgon2Params(fields[1])
	if err != nil {
		return nil, err
	}
	if own == nil || params != *own {
		if err := checkArgon2Caps(params); err != nil {
			return nil, err
		}
	}
	salt, err := b64.DecodeString(fields[2])
	if err != nil {
		return nil, malformed("argon2id salt is not base64")
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return nil, malformed("argon2id salt length out of range")
	}
	key, err := b64.DecodeString(fields[3])
	if err != nil {
		return nil, malformed("argon2id key is not base64")
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return nil, malformed("argon2id key length out of range")
	}
	return &argon2idHash{params: params, salt: salt, key: key}, nil
}

// parseArgon2Params parses "m=<KiB>,t=<iterations>,p=<lanes>", in that order.
func parseArgon2Params(s string) (Params, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return Params{}, malformed("argon2id parameters malformed")
	}
	var values [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(parts[i], name)
		if !ok {
			return Params{}, malformed("argon2id parameters malformed")
		}
		// PHC strings write integers without leading zeros, so that a
		// hash has one encoding.
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil || (len(digits) > 1 && digits[0] == '0') {
			return Params{}, malformed("argon2id parameters malformed")
		}
		values[i] = v
	}
	if values[2] > 255 {
		return Params{}, malformed("argon2id parallelism out of range")
	}
	return Params{MemoryKiB: uint32(values[0]), Iterations: uint32(values[1]), Parallelism: uint8(values[2])}, nil
}

// checkArgon2Caps also refuses zero iterations or lanes, on which x/crypto
// panics.
func checkArgon2Caps(p Params) error {
	switch {
	case p.Parallelism < 1 || p.Parallelism > maxArgon2Parallelism:
		return malformed("argon2id parallelism out of range")
	case p.Iterations < 1 || p.Iterations > maxArgon2Iterations:
		return malformed("argon2id iterations out of range")
	case p.MemoryKiB < 8*uint32(p.Parallelism) || p.MemoryKiB > maxArgon2MemoryKiB:
		return malformed("argon2id memory out of range")
	}
	return nil
}
