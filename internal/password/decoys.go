package password

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// Equal work for every account. A wrong password costs one verification of
// the account's stored hash, and that cost depends on its kind: argon2id
// with the Hasher's parameters, Medusa's scrypt (N=2^15, about four times
// as slow), bcrypt at some cost. Were the unknown-account path to run one
// derivation of one kind, the accounts of every other kind would stand out
// by timing. So every check that fails runs one derivation of each kind
// still stored: the account's own hash, and a decoy of each other kind
// (VerifyEqual); an unknown account runs the decoys of every kind
// (VerifyDecoys). That is the only set of derivations all paths can share:
// each path must run its account's own kind, so each must run them all. A
// right password runs its own hash only: its answer says it was right.

// A Kind is a hash family with its cost parameters: what one verification
// of a hash of that kind costs. It names no salt, no key, nothing secret.
type Kind struct {
	// Family is "argon2id", "scrypt" or "bcrypt".
	Family string
	// Params are the cost parameters, written as "m=19456,t=2,p=1",
	// "N=32768,r=8,p=1" or "cost=10".
	Params string
}

func (k Kind) String() string { return k.Family + " " + k.Params }

// Decoys are one hash of each kind of stored hash, the Hasher's own kind
// first, each with a random salt and key: verifying a password against one
// costs what a wrong password against a stored hash of that kind costs, and
// matches nothing. Make them with Hasher.Decoys. A nil *Decoys is the
// Hasher's own kind alone. Decoys never change; AddKind returns new ones.
type Decoys struct {
	hashes []storedHash
	kinds  []Kind
}

// Kinds lists the kinds, the Hasher's own first.
func (d *Decoys) Kinds() []Kind {
	if d == nil {
		return nil
	}
	return slices.Clone(d.kinds)
}

func (d *Decoys) has(k Kind) bool { return slices.Contains(d.kinds, k) }

// KindPrefix returns the beginning of an encoded hash as far as its kind
// and no further, so that hashes of one kind share few prefixes (Decoys
// takes them): an argon2id hash up to the "$" after its parameters, a
// bcrypt hash's first 7 characters ("$2a$10$"), anything else (Medusa's
// base64) its first 22 characters, which hold scrypt's header and
// parameters and 4 bits of the salt. A store that lists the kinds of its
// hashes cuts them the same way in SQL.
func KindPrefix(encoded string) string {
	const argon2Head = len("$argon2id$v=19$")
	switch {
	case strings.HasPrefix(encoded, "$argon2"):
		if len(encoded) <= argon2Head {
			return encoded
		}
		i := strings.IndexByte(encoded[argon2Head:], '$')
		return encoded[:argon2Head+i+1] // i = -1: the head alone
	case strings.HasPrefix(encoded, "$2"):
		return encoded[:min(len(encoded), 7)]
	}
	return encoded[:min(len(encoded), scryptKindPrefixLen)]
}

// scryptKindPrefixLen base64 characters encode the first 16.5 bytes of a
// scrypt-kdf hash: its magic, version, logN, r and p (bytes 0..15) and 4
// bits of the salt.
const scryptKindPrefixLen = 22

// Decoys returns the decoys of the Hasher's own kind and of each kind the
// prefixes (see KindPrefix) name. A prefix of no supported kind, or beyond
// the caps on stored hashes, is skipped: a hash it begins cannot be
// verified, and VerifyEqual then runs the decoys alone. Making decoys runs
// no derivation.
func (h *Hasher) Decoys(prefixes []string) (*Decoys, error) {
	d := h.own
	var more []storedHash
	seen := map[Kind]bool{}
	for _, p := range prefixes {
		decoy, err := h.decoy(p)
		if err != nil {
			if isMalformed(err) {
				continue
			}
			return nil, err
		}
		if k := decoy.kind(); !d.has(k) && !seen[k] {
			seen[k] = true
			more = append(more, decoy)
		}
	}
	// In a stable order, so that the same kinds make the same Kinds.
	slices.SortFunc(more, func(a, b storedHash) int { return cmp.Compare(a.kind().String(), b.kind().String()) })
	return d.with(more...), nil
}

// AddKind returns d with a decoy of encoded's kind added when d has none
// (d itself otherwise, or when encoded is not a hash Verify accepts): for
// a hash just imported, or one met at sign-in before the next refresh of
// the stored kinds.
func (h *Hasher) AddKind(d *Decoys, encoded string) (*Decoys, error) {
	if d == nil {
		d = h.own
	}
	stored, err := parse(encoded, &h.params)
	if err != nil || d.has(stored.kind()) {
		return d, nil
	}
	decoy, err := h.decoy(KindPrefix(encoded))
	if err != nil {
		if isMalformed(err) {
			return d, nil
		}
		return nil, err
	}
	return d.with(decoy), nil
}

func (d *Decoys) with(more ...storedHash) *Decoys {
	if len(more) == 0 {
		return d
	}
	out := &Decoys{hashes: slices.Concat(d.hashes, more), kinds: slices.Clone(d.kinds)}
	for _, m := range more {
		out.kinds = append(out.kinds, m.kind())
	}
	return out
}

// decoy makes a hash of the kind prefix names, with a random salt and key,
// and parses it as a stored hash would be: with the same caps.
func (h *Hasher) decoy(prefix string) (storedHash, error) {
	var encoded string
	switch {
	case strings.HasPrefix(prefix, "$argon2"):
		salt, err := h.random(saltLen)
		if err != nil {
			return nil, err
		}
		key, err := h.random(keyLen)
		if err != nil {
			return nil, err
		}
		if !strings.HasSuffix(prefix, "$") {
			return nil, malformed("argon2id kind prefix malformed")
		}
		encoded = prefix + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
	case strings.HasPrefix(prefix, "$2"):
		if len(prefix) != 7 {
			return nil, malformed("bcrypt kind prefix malformed")
		}
		rest, err := h.random(bcryptLen - 7)
		if err != nil {
			return nil, err
		}
		for i, b := range rest {
			rest[i] = bcryptAlphabet[int(b)%len(bcryptAlphabet)]
		}
		encoded = prefix + string(rest)
	default:
		if len(prefix) < scryptKindPrefixLen {
			return nil, malformed("scrypt kind prefix malformed")
		}
		// Two more base64 characters make whole bytes; only bytes 0..15
		// are kept.
		head, err := base64.StdEncoding.DecodeString(prefix[:scryptKindPrefixLen] + "AA")
		if err != nil || !strings.HasPrefix(string(head), scryptMagic) {
			return nil, malformed("scrypt kind prefix malformed")
		}
		raw := make([]byte, scryptLen)
		copy(raw, head[:16])
		salt, err := h.random(32 + 32) // the salt, then the MAC
		if err != nil {
			return nil, err
		}
		copy(raw[16:48], salt[:32])
		sum := sha256.Sum256(raw[:48])
		copy(raw[48:64], sum[:16])
		copy(raw[64:], salt[32:])
		encoded = base64.StdEncoding.EncodeToString(raw)
	}
	return parse(encoded, &h.params)
}

func (h *argon2idHash) kind() Kind {
	return Kind{"argon2id", fmt.Sprintf("m=%d,t=%d,p=%d", h.params.MemoryKiB, h.params.Iterations, h.params.Parallelism)}
}

func (h *scryptHash) kind() Kind {
	return Kind{"scrypt", fmt.Sprintf("N=%d,r=%d,p=%d", 1<<h.logN, h.r, h.p)}
}

// kind is the same for $2a$, $2b$ and $2y$: one algorithm.
func (h *bcryptHash) kind() Kind {
	return Kind{"bcrypt", "cost=" + strings.TrimLeft(string(h.encoded[4:6]), "0")}
}
