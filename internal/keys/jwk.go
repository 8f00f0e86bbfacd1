package keys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

// JWK is the public half of a key as a JSON Web Key (RFC 7517): kty, crv
// and x for Ed25519 (RFC 8037), kty, n and e for RSA.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// JWK returns k's public half as a JWK, or false for an HS256 key, which
// is never published.
func (k *Key) JWK() (JWK, bool) {
	m, ok := members(k.public)
	if !ok {
		return JWK{}, false
	}
	m.Use, m.Alg, m.Kid = "sig", string(k.Alg), k.ID
	return m, true
}

// members returns the members of pub's JWK that define the key.
func members(pub crypto.PublicKey) (JWK, bool) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch p := pub.(type) {
	case ed25519.PublicKey:
		return JWK{Kty: "OKP", Crv: "Ed25519", X: b64(p)}, true
	case *rsa.PublicKey:
		return JWK{Kty: "RSA", N: b64(p.N.Bytes()), E: b64(big.NewInt(int64(p.E)).Bytes())}, true
	}
	return JWK{}, false
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub, base64url
// without padding: the SHA-256 of the key's required members in
// lexicographic order, with no white space. It names the key the same way
// in every verifier that computes it.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	m, ok := members(pub)
	if !ok {
		return "", fmt.Errorf("keys: no thumbprint for key type %T", pub)
	}
	// Every value is base64url, which JSON never escapes.
	var canonical string
	switch m.Kty {
	case "OKP":
		canonical = `{"crv":"` + m.Crv + `","kty":"OKP","x":"` + m.X + `"}`
	case "RSA":
		canonical = `{"e":"` + m.E + `","kty":"RSA","n":"` + m.N + `"}`
	}
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}
