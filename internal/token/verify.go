package token

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// Errors returned by Verify. ErrExpired is returned only for a token that
// one of this service's keys signed and that would otherwise be accepted;
// every other refusal is ErrInvalid, wrapped with a reason that names no
// part of the token.
var (
	ErrInvalid = errors.New("token: invalid")
	ErrExpired = errors.New("token: expired")
)

// invalid wraps ErrInvalid with a fixed reason, for logs. Reasons are
// constants, never text taken from the token, so an attacker cannot write
// into a log line.
func invalid(reason string) error { return &invalidError{reason} }

type invalidError struct{ reason string }

func (e *invalidError) Error() string { return ErrInvalid.Error() + ": " + e.reason }
func (e *invalidError) Unwrap() error { return ErrInvalid }

// Verify parses raw, checks it and returns its claims. Cheap structural and
// header checks run before the key is looked up, the key's algorithm must
// be the token's, and the signature is checked before any claim, so a
// forged token is ErrInvalid even when it claims to have expired.
//
// A token verified once is remembered (see Config.VerifyCacheSize) under
// the SHA-256 of its text, so its signature is checked once, not on every
// request. A remembered token is accepted only while it would be accepted
// afresh: its dates are tested against the clock with the same leeway,
// and the key source must still hand out the same key under its kid,
// unexpired; otherwise it is verified again in full, so a refusal is the
// one an uncached Verify gives. Verify knows nothing of sessions:
// revoking one does not touch this cache, and takes effect at once, on
// every process, because the caller (internal/auth) loads the token's
// session on every request. The claims returned are the caller's own to
// modify.
func (s *Signer) Verify(raw string) (*Claims, error) {
	if s.cache == nil || len(raw) > MaxTokenLen {
		c, _, err := s.verify(raw)
		return c, err
	}
	sum := sha256.Sum256([]byte(raw))
	if e := s.cache.get(&sum); e != nil {
		if s.stillAccepted(e) {
			return e.claims.clone(), nil
		}
		s.cache.remove(e)
	}
	c, key, err := s.verify(raw)
	if err != nil {
		return nil, err
	}
	s.cache.add(&cacheEntry{
		sum:       sum,
		claims:    c.clone(),
		kid:       key.ID,
		alg:       key.Alg,
		verifyKey: key.VerifyKey(),
		exp:       c.ExpiresAt.Time,
		nbf:       c.NotBefore.Time,
		iat:       c.IssuedAt.Time,
		authTime:  c.AuthTime.Time,
	})
	return c, nil
}

// stillAccepted reports whether a remembered token passes now: its dates
// on the clock, and its key, which may since have expired or left the key
// source.
func (s *Signer) stillAccepted(e *cacheEntry) bool {
	now := s.now()
	if !e.fresh(now, s.leeway) {
		return false
	}
	key, err := s.keys.VerificationKey(e.kid)
	return err == nil && key.Alg == e.alg && !key.Expired(now) && sameKey(key.VerifyKey(), e.verifyKey)
}

// sameKey reports whether two keys, as keys.Key.VerifyKey returns them,
// are one. A kid names its key already (a thumbprint, or a digest of the
// secret); comparing the keys keeps that true of any key source.
func sameKey(a, b any) bool {
	switch a := a.(type) {
	case ed25519.PublicKey:
		return a.Equal(b)
	case *rsa.PublicKey:
		return a.Equal(b)
	case []byte:
		b, ok := b.([]byte)
		return ok && hmac.Equal(a, b)
	}
	return false
}

// verify is Verify without the cache. It also returns the key that
// checked the signature.
func (s *Signer) verify(raw string) (*Claims, *keys.Key, error) {
	h, err := checkShape(raw)
	if err != nil {
		return nil, nil, err
	}
	key, err := s.keys.VerificationKey(h.kid)
	if err != nil {
		return nil, nil, invalid("unknown key id")
	}
	// The algorithm is the key's: a token naming another (HS256 with an
	// Ed25519 key's kid, say, its HMAC made with the public key) never
	// reaches a verifier that would take the key for a secret.
	if key.Alg != h.alg {
		return nil, nil, invalid("algorithm not allowed")
	}
	if key.Expired(s.now()) {
		return nil, nil, invalid("key expired")
	}
	claims := &Claims{}
	s.signatureChecks.Add(1)
	_, err = s.parsers[key.Alg].ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		// The parser allows the key's algorithm only; checking again
		// costs nothing and keeps the key from ever meeting another
		// algorithm should that change.
		if t.Method.Alg() != string(key.Alg) {
			return nil, errors.New("algorithm not allowed")
		}
		return key.VerifyKey(), nil
	})
	if err != nil {
		if !onlyExpired(err) {
			return nil, nil, invalid(jwtReason(err))
		}
		// The signature is good and exp is the only registered claim at
		// fault; the token is merely expired if the rest of it is sound.
		if err := s.checkClaims(claims); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrExpired
	}
	if err := s.checkClaims(claims); err != nil {
		return nil, nil, err
	}
	if claims.AppMetadata == nil {
		claims.AppMetadata = map[string]any{}
	}
	return claims, key, nil
}

// header is what a token's header says about its key.
type header struct {
	alg keys.Alg
	kid string
}

// checkShape refuses, without any cryptography or key lookup, what no key
// of this service can have signed: an oversized token, anything but three
// non-empty segments, and a header other than {alg: EdDSA|RS256|HS256,
// typ: JWT, kid: <a string>}. An allow-list of header parameters shuts out
// jku, x5u, x5c, jwk, crit and whatever comes next.
func checkShape(raw string) (header, error) {
	var h header
	if raw == "" {
		return h, invalid("empty")
	}
	if len(raw) > MaxTokenLen {
		return h, invalid("too long")
	}
	if strings.Count(raw, ".") != 2 {
		return h, invalid("not three segments")
	}
	head, rest, _ := strings.Cut(raw, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	if head == "" || payload == "" || sig == "" {
		return h, invalid("empty segment")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(head)
	if err != nil {
		return h, invalid("header is not base64url")
	}
	var params map[string]json.RawMessage
	if err := json.Unmarshal(b, &params); err != nil {
		return h, invalid("header is not a JSON object")
	}
	for name, v := range params {
		switch name {
		case "alg":
			var alg string
			if json.Unmarshal(v, &alg) != nil || methods[keys.Alg(alg)] == nil {
				return h, invalid("algorithm not allowed")
			}
			h.alg = keys.Alg(alg)
		case "kid":
			if json.Unmarshal(v, &h.kid) != nil || h.kid == "" {
				return h, invalid("unknown key id")
			}
		case "typ":
			if !jsonStringIs(v, "JWT") {
				return h, invalid("unexpected typ")
			}
		default:
			return h, invalid("header parameter not allowed")
		}
	}
	if _, ok := params["alg"]; !ok {
		return h, invalid("missing algorithm")
	}
	if _, ok := params["kid"]; !ok {
		return h, invalid("missing key id")
	}
	return h, nil
}

func jsonStringIs(v json.RawMessage, want string) bool {
	var got string
	return json.Unmarshal(v, &got) == nil && got == want
}

// checkClaims checks what jwt's validator does not: exactly one audience,
// one of ours; an actor type matching it; the claims this service relies on.
func (s *Signer) checkClaims(c *Claims) error {
	if len(c.Audience) != 1 {
		return invalid("want exactly one audience")
	}
	var actor gatehouse.ActorType
	for a, aud := range s.audiences {
		if aud == c.Audience[0] {
			actor = a
		}
	}
	if actor == "" {
		return invalid("unknown audience")
	}
	if gatehouse.ActorType(c.ActorType) != actor {
		return invalid("actor type does not match audience")
	}
	if c.IssuedAt == nil {
		return invalid("missing iat")
	}
	if c.ID == "" {
		return invalid("missing jti")
	}
	if c.AuthIdentityID == "" {
		return invalid("missing auth_identity_id")
	}
	if c.Subject == "" {
		return invalid("missing sub")
	}
	if c.Subject != c.AuthIdentityID {
		return invalid("sub does not match auth_identity_id")
	}
	if c.AuthTime == nil {
		return invalid("missing auth_time")
	}
	if c.SessionID == "" {
		return invalid("missing sid")
	}
	if c.AuthTime.After(s.now().Add(s.leeway)) {
		return invalid("auth_time in the future")
	}
	return nil
}

// onlyExpired reports whether err, from ParseWithClaims, says the claims
// are invalid for no reason but expiry. It walks the whole error tree, so a
// token that is expired and also wrong in another way, or an error jwt may
// add in a later version, is never mistaken for a merely expired one.
func onlyExpired(err error) bool {
	expired := false
	var walk func(error) bool
	walk = func(e error) bool {
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if !walk(e) {
					return false
				}
			}
			return true
		case interface{ Unwrap() error }:
			return walk(u.Unwrap())
		}
		switch e {
		case jwt.ErrTokenExpired:
			expired = true
			return true
		case jwt.ErrTokenInvalidClaims:
			return true
		}
		return false
	}
	return walk(err) && expired
}

// jwtReason names why jwt refused a token. jwt's own messages are not
// used: some quote the token's header (the alg it named).
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unverifiable"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing required claim"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "issued in the future"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired, and invalid otherwise"
	}
	return "rejected"
}
