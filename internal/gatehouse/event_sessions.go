package gatehouse

// EventCustomerSessionsRevoked: an admin ended one or every session of a
// customer. Its payload holds customer_id, session_id (nil when every
// session ended) and revoked_sessions.
const EventCustomerSessionsRevoked = "admin.customer_sessions_revoked"

// Reasons a session is revoked from the list of an identity's sessions.
const (
	// RevokedByUser: the customer or user ended one of their own sessions.
	RevokedByUser = "revoked"
	// RevokedByAdmin: an admin user ended a customer's session.
	RevokedByAdmin = "admin_revoked"
	// RevokedImpersonationExpired: an impersonation session reached its
	// expiry, and housekeeping recorded its end.
	RevokedImpersonationExpired = "impersonation_expired"
)
