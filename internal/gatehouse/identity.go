package gatehouse

import "time"

// ProviderEmailPass is the email and password provider.
const ProviderEmailPass = "emailpass"

// AuthIdentity is one way into the service for one actor type. Its
// AppMetadata holds the id of the actor it is linked to ("customer_id" or
// "user_id"); until then it is a registration identity.
type AuthIdentity struct {
	ID          string         `bun:"id,pk"`
	ActorType   ActorType      `bun:"actor_type,notnull"`
	AppMetadata map[string]any `bun:"app_metadata,type:jsonb,notnull"`
	CreatedAt   time.Time      `bun:"created_at,notnull"`
	UpdatedAt   time.Time      `bun:"updated_at,notnull"`
	// Lockout state: consecutive failed password attempts, how many times
	// the identity was locked, and until when it is locked now.
	FailedAttempts int        `bun:"failed_attempts,notnull"`
	LockCount      int        `bun:"lock_count,notnull"`
	LockedUntil    *time.Time `bun:"locked_until"`
	// MFAEnabled says the identity has an active second factor: every
	// first-factor sign-in then answers a challenge, not a ticket.
	MFAEnabled bool `bun:"mfa_enabled,notnull"`
}

// Locked reports whether the identity is locked at now.
func (a *AuthIdentity) Locked(now time.Time) bool {
	return a.LockedUntil != nil && now.Before(*a.LockedUntil)
}

// Anonymous reports whether the identity is an anonymous shopper's.
func (a *AuthIdentity) Anonymous() bool {
	b, _ := a.AppMetadata[AnonymousKey].(bool)
	return b
}

// AnonymousKey marks an anonymous shopper's identity in its app_metadata
// (and so in its tokens' app_metadata claim).
const AnonymousKey = "anonymous"

// ActorID returns the id of the linked actor, or "" when there is none yet.
func (a *AuthIdentity) ActorID() string {
	s, _ := a.AppMetadata[a.ActorType.MetadataKey()].(string)
	return s
}

// ProviderIdentity is what a provider knows of an AuthIdentity: for
// emailpass, the normalized email as EntityID and the password hash in
// ProviderMetadata; for third-party providers, the provider's subject.
type ProviderIdentity struct {
	ID               string         `bun:"id,pk"`
	AuthIdentityID   string         `bun:"auth_identity_id,notnull"`
	ActorType        ActorType      `bun:"actor_type,notnull"`
	Provider         string         `bun:"provider,notnull"`
	EntityID         string         `bun:"entity_id,notnull"`
	ProviderMetadata map[string]any `bun:"provider_metadata,type:jsonb,notnull"`
	UserMetadata     map[string]any `bun:"user_metadata,type:jsonb,notnull"`
	CreatedAt        time.Time      `bun:"created_at,notnull"`
	UpdatedAt        time.Time      `bun:"updated_at,notnull"`
	// LastSignInAt is when the actor last signed in with this identity;
	// nil for never. Only RecordSignIn writes it.
	LastSignInAt *time.Time `bun:"last_sign_in_at,skipupdate"`
}

// PasswordHash returns the stored password hash, or "".
func (p *ProviderIdentity) PasswordHash() string {
	s, _ := p.ProviderMetadata["password"].(string)
	return s
}

// Email returns the identity's email: the entity id for emailpass, else the
// email the provider reported, and only if it said it verified it (an
// unverified email must not name a customer or match an invite).
func (p *ProviderIdentity) Email() string {
	if p.Provider == ProviderEmailPass {
		return p.EntityID
	}
	if v, _ := p.UserMetadata["email_verified"].(bool); !v {
		return ""
	}
	s, _ := p.UserMetadata["email"].(string)
	return s
}

// Ticket is what a sign-in or registration returns.
type Ticket struct {
	AccessToken            string
	AccessTokenExpiration  time.Time
	RefreshToken           *string
	RefreshTokenExpiration *time.Time
	// UserID is the auth identity id, as Kibo's userId; present on
	// registration tickets too.
	UserID          string
	SessionID       string
	ActorType       ActorType
	ActorID         *string
	CustomerAccount *Customer
	User            *User
	// MergedAnonymousUserID is the anonymous shopper's id (its UserID)
	// when the sign-in presented an anonymous ticket; that session ends.
	MergedAnonymousUserID *string
	// MergedAnonymousCustomerID is that shopper's customer id, whose
	// addresses, profile and metadata the signed-in customer took over
	// (or, for a registration ticket, createCustomer takes over).
	MergedAnonymousCustomerID *string
	// MFA, when set, says the first factor passed and the second is
	// awaited: the ticket then holds no token (verifyMfa answers one).
	MFA *MFAChallenge
}

// OAuthState is a third-party sign-in in flight: made by authenticate,
// consumed once by validateCallback. Only the state's hash is kept; the
// PKCE verifier and the nonce are derived from the state with the
// server's key, so nothing stored would let anyone finish the flow.
type OAuthState struct {
	// ID is the hash of the state sent to the provider.
	ID          string    `bun:"id,pk"`
	ActorType   ActorType `bun:"actor_type,notnull"`
	Provider    string    `bun:"provider,notnull"`
	RedirectURL string    `bun:"redirect_url,notnull"`
	// ClientBinding ties the state to the client that called
	// authenticate, so that nobody can hand their own code and state to
	// another browser (login CSRF): "challenge:" and the client's
	// callbackChallenge, or "cookie:" and the hash of the pre-auth
	// cookie. Neither is a secret; both are hashes of one.
	ClientBinding string `bun:"client_binding,notnull"`
	// LinkSessionID, for linkProvider, is the session whose account the
	// provider identity joins; "" for a sign-in.
	LinkSessionID string     `bun:"link_session_id,nullzero"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
	ExpiresAt     time.Time  `bun:"expires_at,notnull"`
	UsedAt        *time.Time `bun:"used_at"`
}
