// Package token signs and verifies the service's access tokens: compact JWS
// tokens signed with the current key of a key source (EdDSA, RS256 or
// HS256; see internal/keys), naming one issuer, one audience per actor
// type, a session and an absolute expiry.
//
// Verification is pinned: the key is the one the token's kid names among
// this service's own keys, the algorithm is that key's and no other, the
// issuer and the audiences are this package's own, and the only header
// parameters accepted are alg, typ and kid. It must never accept a token
// signed with another algorithm or another key, never fetch or trust a key
// a token points to or carries (jku, x5u, x5c, jwk), and never put a token
// or a key into an error, a log line or a String method's output.
//
// A Signer remembers the tokens it has verified, by their SHA-256 and never
// their text, so that a token's signature is checked once; a remembered
// token must never be accepted where a fresh verification would refuse it.
// Sessions are not its business: revocation is checked by the caller, on
// every request.
package token
