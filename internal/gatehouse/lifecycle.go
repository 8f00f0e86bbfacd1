package gatehouse

import "time"

// PrefixEmailChange is the id prefix of email changes.
const PrefixEmailChange = "emchg"

// EmailChange is a request to move an identity to a new email address
// (requestEmailChange). Its confirmation token, sent to the new address,
// makes the change; its revert token, sent to the old one, undoes it.
// Only the tokens' hashes are kept.
type EmailChange struct {
	ID              string     `bun:"id,pk"`
	AuthIdentityID  string     `bun:"auth_identity_id,notnull"`
	ActorType       ActorType  `bun:"actor_type,notnull"`
	OldEmail        string     `bun:"old_email,notnull"`
	NewEmail        string     `bun:"new_email,notnull"`
	TokenHash       string     `bun:"token_hash,notnull"`
	RevertTokenHash string     `bun:"revert_token_hash,notnull"`
	CreatedAt       time.Time  `bun:"created_at,notnull"`
	ExpiresAt       time.Time  `bun:"expires_at,notnull"`
	RevertExpiresAt time.Time  `bun:"revert_expires_at,notnull"`
	ConfirmedAt     *time.Time `bun:"confirmed_at"`
	RevertedAt      *time.Time `bun:"reverted_at"`
	CancelledAt     *time.Time `bun:"cancelled_at"`
}

// Email change events. auth.email_change_requested goes to the new
// address with the confirmation token, auth.email_change_notice to the
// old one with the revert token; auth.email_changed follows a
// confirmation, auth.email_change_reverted a revert.
const (
	EventEmailChangeRequested = "auth.email_change_requested"
	EventEmailChangeNotice    = "auth.email_change_notice"
	EventEmailChanged         = "auth.email_changed"
	EventEmailChangeReverted  = "auth.email_change_reverted"
)

// Provider links: auth.provider_linked when linkProvider's callback
// joined a provider identity to the account, auth.provider_unlinked when
// unlinkProvider removed one (provider, provider_identity_id).
const (
	EventProviderLinked   = "auth.provider_linked"
	EventProviderUnlinked = "auth.provider_unlinked"
)

// PrefixAccountDeletion is the id prefix of scheduled deletions.
const PrefixAccountDeletion = "acdel"

// AccountDeletion is a customer's deletion scheduled by deleteAccount
// under GATEHOUSE_DELETION_GRACE: housekeeping carries it out at DueAt
// (DoneAt) unless the customer signs in first (CancelledAt).
type AccountDeletion struct {
	ID             string     `bun:"id,pk"`
	AuthIdentityID string     `bun:"auth_identity_id,notnull"`
	ActorType      ActorType  `bun:"actor_type,notnull"`
	ActorID        string     `bun:"actor_id,notnull"`
	RequestedBy    string     `bun:"requested_by,notnull"`
	RequestedAt    time.Time  `bun:"requested_at,notnull"`
	DueAt          time.Time  `bun:"due_at,notnull"`
	CancelledAt    *time.Time `bun:"cancelled_at"`
	DoneAt         *time.Time `bun:"done_at"`
}

// Account deletion events. customer.deleted follows the deletion itself
// (customer_id, by, scheduled): the commerce backend anonymises the
// customer's orders. customer.deletion_scheduled and
// customer.deletion_cancelled bracket a grace period.
const (
	EventCustomerDeleted           = "customer.deleted"
	EventCustomerDeletionScheduled = "customer.deletion_scheduled"
	EventCustomerDeletionCancelled = "customer.deletion_cancelled"
)

// EventAccountDataExported records a data export (exportAccountData,
// exportCustomerData): by self or an admin. The document is not in it.
const EventAccountDataExported = "auth.account_data_exported"
