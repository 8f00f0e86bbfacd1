package keys

import "fmt"

// Alg is a JWS signing algorithm.
type Alg string

// The algorithms a key can have.
const (
	// EdDSA is Ed25519, the default: small keys, fast, deterministic.
	EdDSA Alg = "EdDSA"
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256, for verifiers that know
	// no EdDSA.
	RS256 Alg = "RS256"
	// HS256 is HMAC-SHA-256 under a shared secret, for single-service
	// set-ups: its key is never published.
	HS256 Alg = "HS256"
)

// Algs lists every algorithm, the default first.
var Algs = []Alg{EdDSA, RS256, HS256}

// ParseAlg returns the algorithm named s, exactly as JWS spells it.
func ParseAlg(s string) (Alg, error) {
	for _, a := range Algs {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown signing algorithm %q (want EdDSA, RS256 or HS256)", s)
}

// Asymmetric reports whether keys of a have a public half that can be
// published.
func (a Alg) Asymmetric() bool { return a == EdDSA || a == RS256 }
