package gatehouse

// Webhook endpoint admin actions. Their payloads hold endpoint_id, and
// never the endpoint's signing secret.
const (
	EventWebhookEndpointCreated = "admin.webhook_endpoint_created"
	EventWebhookEndpointUpdated = "admin.webhook_endpoint_updated"
	EventWebhookEndpointDeleted = "admin.webhook_endpoint_deleted"
	EventWebhookSecretRotated   = "admin.webhook_secret_rotated"
)

// Second factors. Their payloads hold factor_id and kind, and never a
// secret or a code; auth.recovery_code_used holds remaining, the unused
// codes left; auth.mfa_failed holds the challenge's failures and reason.
// admin.factor_removed is an admin's removal of someone else's factor.
const (
	EventFactorEnrolled           = "auth.factor_enrolled"
	EventFactorRemoved            = "auth.factor_removed"
	EventMFAFailed                = "auth.mfa_failed"
	EventRecoveryCodeUsed         = "auth.recovery_code_used"
	EventRecoveryCodesRegenerated = "auth.recovery_codes_regenerated"
	EventReauthenticated          = "auth.reauthenticated"
	EventAdminFactorRemoved       = "admin.factor_removed"
	// Passkeys: added and removed (factor_id, backup flags), and an
	// assertion refused because its signature counter went backwards
	// (factor_id, sign_count, stored_sign_count).
	EventPasskeyAdded          = "auth.passkey_added"
	EventPasskeyRemoved        = "auth.passkey_removed"
	EventPasskeyCloneSuspected = "auth.passkey_clone_suspected"
	// EventEmailCode carries a one-time sign-in code to send (email,
	// actor_type, expires_at, registration, and the code as a secret).
	EventEmailCode = "auth.email_code"
)

// EventNames lists every event name, in the order of their declarations:
// the names a webhook endpoint may ask for. A test fails when an Event
// constant of this package is missing from it.
func EventNames() []string {
	return []string{
		EventPasswordReset,
		EventPasswordChanged,
		EventEmailVerification,
		EventLoginSucceeded,
		EventLoginFailed,
		EventAccountLocked,
		EventRefreshTokenReused,
		EventCustomerCreated,
		EventCustomerMerged,
		EventInviteCreated,
		EventInviteAccepted,

		EventRoleCreated,
		EventRoleUpdated,
		EventRoleDeleted,
		EventUserUpdated,
		EventUserDeactivated,
		EventUserReactivated,
		EventUserDeleted,
		EventInviteRevoked,
		EventInviteResent,
		EventCustomerUnlocked,
		EventCustomerUpdated,
		EventCustomerDeactivated,
		EventCustomerReactivated,
		EventDeliveryReplayed,
		EventCustomerSessionsRevoked,
		EventCustomerImpersonated,
		EventImpersonationEnded,

		EventWebhookEndpointCreated,
		EventWebhookEndpointUpdated,
		EventWebhookEndpointDeleted,
		EventWebhookSecretRotated,

		EventEmailChangeRequested,
		EventEmailChangeNotice,
		EventEmailChanged,
		EventEmailChangeReverted,
		EventProviderLinked,
		EventProviderUnlinked,
		EventCustomerDeleted,
		EventCustomerDeletionScheduled,
		EventCustomerDeletionCancelled,
		EventAccountDataExported,

		EventFactorEnrolled,
		EventFactorRemoved,
		EventMFAFailed,
		EventRecoveryCodeUsed,
		EventRecoveryCodesRegenerated,
		EventReauthenticated,
		EventAdminFactorRemoved,
		EventPasskeyAdded,
		EventPasskeyRemoved,
		EventPasskeyCloneSuspected,
		EventEmailCode,
	}
}
