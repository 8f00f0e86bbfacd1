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
}
