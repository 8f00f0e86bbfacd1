package gatehouse

import "time"

// IdempotencyState is where a request sent with an Idempotency-Key stands.
type IdempotencyState string

// The states of an IdempotencyRecord.
const (
	// IdempotencyInProgress: a request holds the key and is running; a
	// retry waits, and may take the key over once LockedUntil has passed
	// (its owner died).
	IdempotencyInProgress IdempotencyState = "in_progress"
	// IdempotencyDone: the first answer is kept, to be replayed to every
	// retry until ExpiresAt.
	IdempotencyDone IdempotencyState = "done"
)

// IdempotencyRecord is the first answer to a mutation sent with an
// Idempotency-Key, kept so that a retry gets the same answer instead of a
// second run. It holds nothing in clear that the request or the answer
// carried: ID and Fingerprint are keyed hashes, Body is sealed.
type IdempotencyRecord struct {
	// ID is a keyed hash of the caller's credential (none for an
	// unauthenticated mutation) and the key.
	ID string `bun:"id,pk"`
	// Fingerprint is a keyed hash of the operation and its variables: a
	// retry must match it.
	Fingerprint string           `bun:"fingerprint,notnull"`
	State       IdempotencyState `bun:"state,notnull"`
	// Owner is a random token naming the request that holds the key, so
	// that only it completes or releases the record.
	Owner string `bun:"owner,notnull"`
	// AuthIdentityID is the identity the request acted for (see
	// ActedFor), once its answer is kept; "" for none.
	AuthIdentityID string `bun:"auth_identity_id,nullzero"`
	// Status is the answer's status as the transport gave it, when Done.
	Status int `bun:"status,nullzero"`
	// Body is the sealed answer (its body and the headers to replay), when
	// Done.
	Body        string    `bun:"body,nullzero"`
	LockedUntil time.Time `bun:"locked_until,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	ExpiresAt   time.Time `bun:"expires_at,notnull"`
}
