package token

import (
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Claims are the access token's claims. The seeds' storefront code decodes
// actor_id, actor_type, auth_identity_id and app_metadata, so those JSON
// names are part of the contract.
type Claims struct {
	// ActorID is "" on registration tokens, whose actor does not exist yet;
	// the key is written even then, as the storefront expects it.
	ActorID        string         `json:"actor_id"`
	ActorType      string         `json:"actor_type"`
	AuthIdentityID string         `json:"auth_identity_id"`
	AppMetadata    map[string]any `json:"app_metadata"`
	// AuthTime is when the original sign-in happened; re-signing a session
	// carries it over unchanged.
	AuthTime *jwt.NumericDate `json:"auth_time"`
	// SessionID names the session the token belongs to; revoking the
	// session makes the token unusable before it expires.
	SessionID string `json:"sid,omitempty"`
	// Act names who acts as the subject (RFC 8693, section 4.1): an admin
	// user impersonating the customer. Nil on every other token.
	Act *Act `json:"act,omitempty"`
	// AMR lists how the session authenticated (RFC 8176: "pwd", "otp",
	// "fed", "hwk", "mfa"); AAL is its assurance level, "aal1" or
	// "aal2" (NIST SP 800-63B). An anonymous or impersonation session
	// has no amr.
	AMR []string `json:"amr,omitempty"`
	AAL string   `json:"aal,omitempty"`
	jwt.RegisteredClaims
}

// Act is the RFC 8693 actor claim: Sub is the acting admin user's id.
type Act struct {
	Sub string `json:"sub"`
}

// Subject is what a caller asks the Signer to sign.
type Subject struct {
	ActorType      gatehouse.ActorType
	ActorID        string
	AuthIdentityID string
	AppMetadata    map[string]any
	SessionID      string
	// AuthTime is when the original sign-in happened; zero means now.
	AuthTime time.Time
	// ExpiresAt is absolute: the Signer neither shortens nor extends it
	// (beyond truncating it to whole seconds, as JWT dates are).
	ExpiresAt time.Time
	// ImpersonatedBy is the admin user acting as the subject, written as
	// the act claim; "" for none.
	ImpersonatedBy string
	// AMR and AAL are the session's authentication methods and assurance
	// level.
	AMR []string
	AAL string
}

// clone returns a copy of c that shares nothing mutable with it: the
// verification cache hands out copies of the claims it keeps.
func (c *Claims) clone() *Claims {
	d := *c
	d.AppMetadata, _ = cloneJSON(c.AppMetadata).(map[string]any)
	d.AuthTime = cloneDate(c.AuthTime)
	if c.Act != nil {
		act := *c.Act
		d.Act = &act
	}
	d.AMR = slices.Clone(c.AMR)
	d.Audience = slices.Clone(c.Audience)
	d.ExpiresAt = cloneDate(c.ExpiresAt)
	d.NotBefore = cloneDate(c.NotBefore)
	d.IssuedAt = cloneDate(c.IssuedAt)
	return &d
}

func cloneDate(d *jwt.NumericDate) *jwt.NumericDate {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

// cloneJSON deep-copies a value as encoding/json decodes one into an any:
// objects and arrays are copied, and the rest (strings, numbers, bools,
// nil) cannot be changed in place.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneJSON(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = cloneJSON(x)
		}
		return s
	}
	return v
}
