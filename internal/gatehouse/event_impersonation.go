package gatehouse

// Impersonation events. Both record the admin user as the actor and the
// customer as the subject.
const (
	// EventCustomerImpersonated: an admin user began acting as a
	// customer. Its payload holds customer_id, impersonation_session_id,
	// reason and expires_at (the latest the impersonation ends).
	EventCustomerImpersonated = "admin.customer_impersonated"
	// EventImpersonationEnded: an impersonation ended: early, by logout
	// or deleteSession with its token, or at its expiry, recorded by the
	// next housekeeping pass (payload expired: true, ended_at). Its
	// payload holds customer_id and impersonation_session_id.
	EventImpersonationEnded = "admin.impersonation_ended"
)
