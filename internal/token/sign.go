package token

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenLen is the longest token Verify reads, and so the longest Sign
// writes.
const MaxTokenLen = 8 << 10

// jtiBytes is the size of a token id: 128 random bits.
const jtiBytes = 16

// Sign returns a compact JWS for sub signed with the key source's current
// key, with header {alg: <the key's>, typ: JWT, kid: <the key's>}. The
// audience is the one configured for sub.ActorType; the subject is
// sub.AuthIdentityID; iat and nbf are now.
func (s *Signer) Sign(sub Subject) (string, error) {
	if !sub.ActorType.Valid() {
		return "", fmt.Errorf("token: sign: unknown actor type %q", sub.ActorType)
	}
	if sub.AuthIdentityID == "" {
		return "", errors.New("token: sign: auth identity id is required")
	}
	if sub.SessionID == "" {
		// Verify refuses a token without one.
		return "", errors.New("token: sign: session id is required")
	}
	now := s.now()
	if !sub.ExpiresAt.After(now) {
		return "", errors.New("token: sign: expiry must be in the future")
	}
	authTime := sub.AuthTime
	if authTime.IsZero() {
		authTime = now
	}
	if authTime.After(now) {
		return "", errors.New("token: sign: auth time is in the future")
	}
	jti, err := s.newID()
	if err != nil {
		return "", err
	}
	meta := sub.AppMetadata
	if meta == nil {
		// The storefront reads app_metadata as an object; null would
		// break it.
		meta = map[string]any{}
	}
	claims := &Claims{
		ActorID:        sub.ActorID,
		ActorType:      string(sub.ActorType),
		AuthIdentityID: sub.AuthIdentityID,
		AppMetadata:    meta,
		AuthTime:       jwt.NewNumericDate(authTime),
		SessionID:      sub.SessionID,
		AMR:            sub.AMR,
		AAL:            sub.AAL,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   sub.AuthIdentityID,
			Audience:  jwt.ClaimStrings{s.audiences[sub.ActorType]},
			ExpiresAt: jwt.NewNumericDate(sub.ExpiresAt),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        jti,
		},
	}
	if sub.ImpersonatedBy != "" {
		claims.Act = &Act{Sub: sub.ImpersonatedBy}
	}
	key, err := s.keys.SigningKey()
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	method := methods[key.Alg]
	if method == nil || !key.CanSign() {
		return "", fmt.Errorf("token: sign: key %s cannot sign", key.ID)
	}
	t := jwt.NewWithClaims(method, claims)
	t.Header["kid"] = key.ID
	raw, err := t.SignedString(key.SignKey())
	if err != nil {
		// jwt's errors name the claims that failed to encode, never the
		// key.
		return "", fmt.Errorf("token: sign: %w", err)
	}
	if len(raw) > MaxTokenLen {
		return "", fmt.Errorf("token: sign: token would be %d bytes, more than %d", len(raw), MaxTokenLen)
	}
	return raw, nil
}

func (s *Signer) newID() (string, error) {
	var b [jtiBytes]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("token: sign: read token id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
