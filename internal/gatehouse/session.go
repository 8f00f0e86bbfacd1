package gatehouse

import "time"

// More id prefixes.
const (
	PrefixSession      = "sess"
	PrefixRefreshToken = "rtok"
)

// Session is what a sign-in creates: access tokens carry its id (sid), and
// its refresh tokens (and, later, its cookie) hang from it. Revoking it
// ends them all.
type Session struct {
	ID             string    `bun:"id,pk"`
	AuthIdentityID string    `bun:"auth_identity_id,notnull"`
	ActorType      ActorType `bun:"actor_type,notnull"`
	// CreatedAt is the sign-in time (the tokens' auth_time).
	CreatedAt    time.Time `bun:"created_at,notnull"`
	LastActiveAt time.Time `bun:"last_active_at,notnull"`
	// IdleExpiresAt moves forward with each refresh, never past ExpiresAt.
	IdleExpiresAt time.Time  `bun:"idle_expires_at,notnull"`
	ExpiresAt     time.Time  `bun:"expires_at,notnull"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	RevokedReason *string    `bun:"revoked_reason"`
	// CookieHash is the hash of the session's cookie, once createSession
	// gave it one.
	CookieHash *string `bun:"cookie_hash"`
	// Where and how the session began, for the list of an identity's
	// sessions (LastActiveAt is its last use); "" when unknown, as for
	// sessions older than these fields. UserAgent is kept to 512
	// characters. DeviceLabel is what device.Label made of it.
	IP          string `bun:"ip,nullzero"`
	UserAgent   string `bun:"user_agent,nullzero"`
	DeviceLabel string `bun:"device_label,nullzero"`
	// SignInMethod is how the session began: "emailpass", "google",
	// "github", an OIDC provider id, "anonymous" or "impersonation".
	SignInMethod string `bun:"sign_in_method,nullzero"`
	// ImpersonatedBy is the id of the admin user acting as the session's
	// customer, for an impersonation session.
	ImpersonatedBy string `bun:"impersonated_by,nullzero"`
	// AAL is the session's assurance level (AAL1 or AAL2) and AMR its
	// authentication methods (RFC 8176), as its last authentication
	// left them. AuthTime is that authentication's time: the sign-in,
	// or a later reauthenticate; zero means CreatedAt.
	AAL      string     `bun:"aal,notnull"`
	AMR      []string   `bun:"amr,type:jsonb,notnull"`
	AuthTime *time.Time `bun:"auth_time"`
}

// AuthenticatedAt is when the session last authenticated.
func (s *Session) AuthenticatedAt() time.Time {
	if s.AuthTime != nil {
		return *s.AuthTime
	}
	return s.CreatedAt
}

// Assurance is the session's assurance level, AAL1 for sessions older
// than the field.
func (s *Session) Assurance() string {
	if s.AAL == "" {
		return AAL1
	}
	return s.AAL
}

// State says whether a session can still be used at now.
func (s *Session) State(now time.Time) SessionState {
	switch {
	case s.RevokedAt != nil:
		return SessionRevoked
	case !now.Before(s.IdleExpiresAt) || !now.Before(s.ExpiresAt):
		return SessionExpired
	}
	return SessionLive
}

// SessionState is a session's state at a moment.
type SessionState int

// Session states.
const (
	SessionLive SessionState = iota
	SessionExpired
	SessionRevoked
)

// Sign-in methods a session records beside the providers' ids.
const (
	SignInAnonymous     = "anonymous"
	SignInImpersonation = "impersonation"
	SignInPasskey       = "passkey"
)

// Reasons a session is revoked.
const (
	RevokedLogout    = "logout"
	RevokedLogoutAll = "logout_all"
	RevokedReuse     = "refresh_token_reuse"
	RevokedMerged    = "anonymous_merged"
	// RevokedAccountLinked: a third-party identity with the verified email
	// took over an email+password identity.
	RevokedAccountLinked = "account_linked"
	// RevokedPasswordChanged: the password was reset or changed.
	RevokedPasswordChanged = "password_changed"
	// RevokedDeactivated: an admin deactivated the customer or user.
	RevokedDeactivated = "deactivated"
	// RevokedFactorEnrolled: a second factor was enrolled; the sessions
	// that did not pass it end.
	RevokedFactorEnrolled = "factor_enrolled"
	// RevokedEmailChanged: the email was changed; RevokedEmailReverted:
	// a change was undone from the old address.
	RevokedEmailChanged  = "email_changed"
	RevokedEmailReverted = "email_change_reverted"
	// RevokedDeletionScheduled: the customer asked for their account to
	// be deleted after the grace period.
	RevokedDeletionScheduled = "deletion_scheduled"
)

// RefreshToken is one link of a session's refresh-token family. Only a
// hash of the token is kept. UsedAt and ReplacedBy record its rotation.
type RefreshToken struct {
	ID         string     `bun:"id,pk"`
	SessionID  string     `bun:"session_id,notnull"`
	TokenHash  string     `bun:"token_hash,notnull"`
	ParentID   *string    `bun:"parent_id"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	ExpiresAt  time.Time  `bun:"expires_at,notnull"`
	UsedAt     *time.Time `bun:"used_at"`
	ReplacedBy *string    `bun:"replaced_by"`
}
