package gatehouse

import "time"

// User is an admin user of the commerce dashboard.
type User struct {
	ID        string  `bun:"id,pk"`
	Email     string  `bun:"email,notnull"`
	FirstName *string `bun:"first_name"`
	LastName  *string `bun:"last_name"`
	AvatarURL *string `bun:"avatar_url"`
	// EmailVerified says a verification link proved the email address.
	EmailVerified bool           `bun:"email_verified,notnull"`
	Metadata      map[string]any `bun:"metadata,type:jsonb,notnull"`
	CreatedAt     time.Time      `bun:"created_at,notnull"`
	UpdatedAt     time.Time      `bun:"updated_at,notnull"`
	DeletedAt     *time.Time     `bun:"deleted_at"`
	// DeactivatedAt is set while the user may not sign in.
	DeactivatedAt *time.Time `bun:"deactivated_at"`
}

// Invite lets one email address become an admin user. Only a hash of its
// token is kept.
type Invite struct {
	ID         string         `bun:"id,pk"`
	Email      string         `bun:"email,notnull"`
	TokenHash  string         `bun:"token_hash,notnull"`
	Accepted   bool           `bun:"accepted,notnull"`
	AcceptedAt *time.Time     `bun:"accepted_at"`
	ExpiresAt  time.Time      `bun:"expires_at,notnull"`
	CreatedBy  *string        `bun:"created_by"`
	Metadata   map[string]any `bun:"metadata,type:jsonb,notnull"`
	CreatedAt  time.Time      `bun:"created_at,notnull"`
	UpdatedAt  time.Time      `bun:"updated_at,notnull"`
	DeletedAt  *time.Time     `bun:"deleted_at"`
	// RevokedAt is set when an admin revoked the invite.
	RevokedAt *time.Time `bun:"revoked_at"`
}

// InviteStatus is where an invite stands.
type InviteStatus string

// Invite statuses.
const (
	InvitePending  InviteStatus = "PENDING"
	InviteAccepted InviteStatus = "ACCEPTED"
	InviteExpired  InviteStatus = "EXPIRED"
	InviteRevoked  InviteStatus = "REVOKED"
)

// Status says where the invite stands at now.
func (inv *Invite) Status(now time.Time) InviteStatus {
	switch {
	case inv.Accepted:
		return InviteAccepted
	case inv.RevokedAt != nil || inv.DeletedAt != nil:
		return InviteRevoked
	case !now.Before(inv.ExpiresAt):
		return InviteExpired
	}
	return InvitePending
}

// UserStatus is whether a user may sign in.
type UserStatus string

// User statuses.
const (
	UserActive      UserStatus = "ACTIVE"
	UserDeactivated UserStatus = "DEACTIVATED"
)

// Status says whether the user may sign in.
func (u *User) Status() UserStatus {
	if u.DeactivatedAt != nil {
		return UserDeactivated
	}
	return UserActive
}
