package gatehouse

import "time"

// Event names: the catalogue is docs/events.md.
const (
	EventPasswordReset      = "auth.password_reset"
	EventPasswordChanged    = "auth.password_changed"
	EventEmailVerification  = "auth.email_verification"
	EventLoginSucceeded     = "auth.login_succeeded"
	EventLoginFailed        = "auth.login_failed"
	EventAccountLocked      = "auth.account_locked"
	EventRefreshTokenReused = "auth.refresh_token_reused"
	EventCustomerCreated    = "customer.created"
	EventCustomerMerged     = "customer.anonymous_merged"
	EventInviteCreated      = "user.invite_created"
	EventInviteAccepted     = "user.invite_accepted"

	// Admin actions.
	EventRoleCreated = "admin.role_created"
	EventRoleUpdated = "admin.role_updated"
	EventRoleDeleted = "admin.role_deleted"

	EventUserUpdated     = "admin.user_updated"
	EventUserDeactivated = "admin.user_deactivated"
	EventUserReactivated = "admin.user_reactivated"
	EventUserDeleted     = "admin.user_deleted"
	EventInviteRevoked   = "admin.invite_revoked"
	// EventInviteResent carries the new token as user.invite_created does.
	EventInviteResent = "user.invite_resent"

	EventCustomerUnlocked    = "admin.customer_unlocked"
	EventCustomerUpdated     = "admin.customer_updated"
	EventCustomerDeactivated = "admin.customer_deactivated"
	EventCustomerReactivated = "admin.customer_reactivated"
	EventDeliveryReplayed    = "admin.delivery_replayed"
)

// Event is an auth event: recorded in the transaction of the change that
// caused it, then delivered to every subscriber. Payload never holds a
// secret; Secrets (a reset, verification or invite token) are stored only
// sealed, and erased once every subscriber has the event.
type Event struct {
	// ID is stable across deliveries: subscribers de-duplicate by it.
	ID             string
	Name           string
	AuthIdentityID string
	ActorType      ActorType
	Payload        map[string]any
	Secrets        map[string]string
	CreatedAt      time.Time
	// The audit trail: who did it, on whom, in which session, from where.
	// ActorID is the customer or user who acted (ActorKind says which;
	// both "" for the system); SubjectID the customer, user or identity
	// acted on. Events recorded before the audit trail have none of it.
	ActorID   string
	ActorKind ActorType
	SubjectID string
	SessionID string
	Origin    Origin
}

// ActionToken is a single-use token sent by email: a password reset or an
// email verification. Only its hash is kept.
type ActionToken struct {
	ID                 string     `bun:"id,pk"`
	Purpose            string     `bun:"purpose,notnull"`
	AuthIdentityID     string     `bun:"auth_identity_id,notnull"`
	ProviderIdentityID string     `bun:"provider_identity_id,notnull"`
	ActorType          ActorType  `bun:"actor_type,notnull"`
	Email              string     `bun:"email,notnull"`
	TokenHash          string     `bun:"token_hash,notnull"`
	CreatedAt          time.Time  `bun:"created_at,notnull"`
	ExpiresAt          time.Time  `bun:"expires_at,notnull"`
	UsedAt             *time.Time `bun:"used_at"`
}

// Action token purposes.
const (
	PurposePasswordReset     = "password_reset"
	PurposeEmailVerification = "email_verification"
)

// Lockout is an identity's failed-password state.
type Lockout struct {
	FailedAttempts int
	LockCount      int
	LockedUntil    *time.Time
}

// ID prefixes of events and action tokens.
const (
	PrefixEvent       = "evt"
	PrefixActionToken = "atok"
)

// DeadDelivery is an event a subscriber was not given after too many
// failures: set aside so later events flow, until an admin replays it.
type DeadDelivery struct {
	Event      Event
	Subscriber string
	Attempts   int
	LastError  string
	UpdatedAt  time.Time
}
