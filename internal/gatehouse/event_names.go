package gatehouse

// Webhook endpoint admin actions. Their payloads hold endpoint_id, and
// never the endpoint's signing secret.
const (
	EventWebhookEndpointCreated = "admin.webhook_endpoint_created"
	EventWebhookEndpointUpdated = "admin.webhook_endpoint_updated"
	EventWebhookEndpointDeleted = "admin.webhook_endpoint_deleted"
	EventWebhookSecretRotated   = "admin.webhook_secret_rotated"
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
	}
}
