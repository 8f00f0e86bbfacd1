package token

import (
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
	jwt.RegisteredClaims
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
}
