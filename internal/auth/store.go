package auth

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Store is the persistence the auth service needs. Implementations return
// *gatehouse.Error with CodeNotFound when a row is missing and CodeDuplicate
// when a unique constraint refuses a write; anything else is an internal
// error whose text never reaches a client.
type Store interface {
	// Tx runs fn in one transaction: its writes commit together or not at
	// all. fn's Store runs every call inside that transaction. Calling Tx
	// on a transactional Store runs fn in the same transaction.
	Tx(ctx context.Context, fn func(Store) error) error

	SessionStore
	FactorStore

	// CreateIdentity inserts an auth identity and its provider identity.
	CreateIdentity(ctx context.Context, a *gatehouse.AuthIdentity, p *gatehouse.ProviderIdentity) error
	// CreateAuthIdentity inserts an auth identity without a provider
	// identity (an anonymous shopper's).
	CreateAuthIdentity(ctx context.Context, a *gatehouse.AuthIdentity) error
	// AuthIdentity loads an auth identity by id.
	AuthIdentity(ctx context.Context, id string) (*gatehouse.AuthIdentity, error)
	// ProviderIdentity loads the provider identity with the given actor
	// type, provider and entity id (unique together).
	ProviderIdentity(ctx context.Context, actor gatehouse.ActorType, provider, entityID string) (*gatehouse.ProviderIdentity, error)
	// ProviderIdentities lists the provider identities of an auth identity,
	// oldest first.
	ProviderIdentities(ctx context.Context, authIdentityID string) ([]*gatehouse.ProviderIdentity, error)
	// SetAppMetadata replaces an auth identity's app_metadata and updated_at.
	SetAppMetadata(ctx context.Context, id string, md map[string]any, now time.Time) error
	// SetProviderMetadata replaces a provider identity's provider_metadata
	// and updated_at.
	SetProviderMetadata(ctx context.Context, id string, md map[string]any, now time.Time) error
	// CreateProviderIdentity attaches a provider identity to an existing
	// auth identity.
	CreateProviderIdentity(ctx context.Context, p *gatehouse.ProviderIdentity) error
	// SetUserMetadata replaces a provider identity's user_metadata and
	// updated_at.
	SetUserMetadata(ctx context.Context, id string, md map[string]any, now time.Time) error
	// ForgetCustomer deletes a customer's account: the identity and all
	// it holds, the addresses, the personal fields (the row stays), the
	// personal data of the events about it.
	ForgetCustomer(ctx context.Context, customerID, authIdentityID string, now time.Time) error
	// ScheduleDeletion records a deletion for later unless one is
	// pending; it answers the pending one.
	ScheduleDeletion(ctx context.Context, d *gatehouse.AccountDeletion) (*gatehouse.AccountDeletion, error)
	// CancelDeletions cancels the identity's pending deletions.
	CancelDeletions(ctx context.Context, authIdentityID string, now time.Time) (int, error)
	// DueDeletions lists pending deletions due at now.
	DueDeletions(ctx context.Context, now time.Time, limit int) ([]*gatehouse.AccountDeletion, error)
	// ClaimDeletion marks a pending deletion done, answering whether this
	// call did.
	ClaimDeletion(ctx context.Context, id string, now time.Time) (bool, error)
	// DeleteProviderIdentity deletes one of the auth identity's provider
	// identities.
	DeleteProviderIdentity(ctx context.Context, authIdentityID, id string) error

	// AppendEvent records an event (its secrets sealed in sealed) and owes
	// it to every enabled subscriber of the fleet's subscriber table;
	// subscribers are fallback names, owed it only when the table does
	// not list them.
	AppendEvent(ctx context.Context, e *gatehouse.Event, sealed string, subscribers []string) error

	// CreateActionToken inserts a reset or verification token, retiring
	// the older unused ones of the same provider identity and purpose.
	CreateActionToken(ctx context.Context, t *gatehouse.ActionToken) error
	// ActionToken loads a token by purpose and hash, whatever its state.
	ActionToken(ctx context.Context, purpose, hash string) (*gatehouse.ActionToken, error)
	// ClaimActionToken marks the unused, unexpired token used in one
	// statement; CodeNotFound when it is not.
	ClaimActionToken(ctx context.Context, id string, now time.Time) error
	// RetireActionTokens marks the identity's unused tokens used.
	RetireActionTokens(ctx context.Context, authIdentityID string, now time.Time) error
	// CreateEmailChange inserts an email change, cancelling the
	// identity's pending ones.
	CreateEmailChange(ctx context.Context, c *gatehouse.EmailChange) error
	// CancelEmailChanges cancels the identity's pending email changes.
	CancelEmailChanges(ctx context.Context, authIdentityID string, now time.Time) (int, error)
	// EmailChangeByToken loads an email change by the hash of its
	// confirmation token (or, with revert, its revert token).
	EmailChangeByToken(ctx context.Context, hash string, revert bool) (*gatehouse.EmailChange, error)
	// ClaimEmailChange confirms a pending, unexpired email change in one
	// statement, answering whether this call did.
	ClaimEmailChange(ctx context.Context, id string, now time.Time) (bool, error)
	// ClaimEmailRevert marks an email change reverted while its revert
	// token is unused and unexpired, answering whether this call did.
	ClaimEmailRevert(ctx context.Context, id string, now time.Time) (bool, error)
	// SetAccountEmail moves a customer or user (and its email+password
	// identity, unless providerIdentityID is "") to a verified email;
	// CodeDuplicate when another account holds it.
	SetAccountEmail(ctx context.Context, actor gatehouse.ActorType, actorID, providerIdentityID, email string, now time.Time) error

	// AuditEvents lists an identity's events, newest first, older than the
	// event id before, at most limit; no secrets.
	AuditEvents(ctx context.Context, authIdentityID, before string, limit int) ([]gatehouse.Event, error)
	// DeadDeliveries lists dead deliveries, newest first.
	DeadDeliveries(ctx context.Context, before string, limit int) ([]gatehouse.DeadDelivery, error)
	// Replay makes a dead delivery pending again.
	Replay(ctx context.Context, eventID, subscriber string, now time.Time) error
	// AuthIdentityByActor finds the auth identity linked to a customer or
	// user.
	AuthIdentityByActor(ctx context.Context, actor gatehouse.ActorType, actorID string) (*gatehouse.AuthIdentity, error)

	// MarkEmailVerified sets email_verified on the customer or user with
	// the id, if its email is still email.
	MarkEmailVerified(ctx context.Context, actor gatehouse.ActorType, id, email string, now time.Time) error

	// PasswordAttempt finds a provider identity and counts a password
	// attempt against its auth identity before the check, in one
	// statement (nothing is counted while it is locked); CodeNotFound
	// when there is no such provider identity.
	PasswordAttempt(ctx context.Context, actor gatehouse.ActorType, provider, entityID string, now time.Time) (*gatehouse.ProviderIdentity, Attempt, error)
	// UncountAttempt takes back a counted attempt that reached no verdict.
	UncountAttempt(ctx context.Context, authIdentityID string) error
	// ResetAttempts loads an auth identity, forgetting its failed
	// attempts, for a sign-in that succeeded; CodeNotFound when it is
	// linked to a customer or user that is gone.
	ResetAttempts(ctx context.Context, authIdentityID string) (*gatehouse.AuthIdentity, error)
	// FirstFactorPassed loads an auth identity whose first factor passed:
	// one without a second factor forgets its failed attempts, as
	// ResetAttempts; one with keeps them (its second factor is still to
	// come), less the attempt the first factor's check counted (counted).
	// CodeNotFound as ResetAttempts.
	FirstFactorPassed(ctx context.Context, authIdentityID string, counted bool) (*gatehouse.AuthIdentity, error)
	// TakeAttempt counts a password attempt before the check, atomically;
	// locked is true (and nothing counted) while the identity is locked.
	// locks is how many times it was locked before.
	TakeAttempt(ctx context.Context, authIdentityID string, now time.Time) (attempts, locks int, locked bool, err error)
	// PasswordHashPrefixes lists the distinct beginnings of the stored
	// password hashes, each cut as password.KindPrefix cuts one, so that
	// the answer is a row per kind of hash rather than per account. It
	// reads every identity: for a background refresh, never a sign-in.
	PasswordHashPrefixes(ctx context.Context) ([]string, error)
	// Lock locks an identity until until.
	Lock(ctx context.Context, authIdentityID string, until, now time.Time) error
	// Unlock ends a lock and forgets attempts and earlier locks.
	Unlock(ctx context.Context, authIdentityID string, now time.Time) error

	// CreateOAuthState records a third-party sign-in in flight.
	CreateOAuthState(ctx context.Context, st *gatehouse.OAuthState) error
	// ClaimOAuthState marks the unused state with the hash used, in one
	// statement, and returns it; CodeNotFound when there is none.
	ClaimOAuthState(ctx context.Context, hash string, now time.Time) (*gatehouse.OAuthState, error)

	// CreateCustomer inserts a customer. A registered customer whose email
	// is taken by another registered customer is CodeDuplicate, as is a
	// taken user name.
	CreateCustomer(ctx context.Context, c *gatehouse.Customer) error
	// Customer loads a customer that is not deleted.
	Customer(ctx context.Context, id string) (*gatehouse.Customer, error)
	// CustomerByUserName loads the undeleted customer with the user name,
	// compared case-insensitively.
	CustomerByUserName(ctx context.Context, userName string) (*gatehouse.Customer, error)
	// UpdateCustomer writes every column of c but id and created_at.
	UpdateCustomer(ctx context.Context, c *gatehouse.Customer) error

	// Addresses lists a customer's addresses, oldest first.
	Addresses(ctx context.Context, customerID string) ([]*gatehouse.Address, error)
	// Address loads one address of the given customer: another customer's
	// address is CodeNotFound.
	Address(ctx context.Context, customerID, id string) (*gatehouse.Address, error)
	// CreateAddress inserts an address.
	CreateAddress(ctx context.Context, a *gatehouse.Address) error
	// UpdateAddress writes every column of a but id, customer_id and
	// created_at, where both id and customer_id match.
	UpdateAddress(ctx context.Context, a *gatehouse.Address) error
	// DeleteAddress deletes the address with the given id of the given
	// customer; CodeNotFound when there is none.
	DeleteAddress(ctx context.Context, customerID, id string) error
	// AccountCustomerByEmail loads the undeleted customer with an
	// account and the email.
	AccountCustomerByEmail(ctx context.Context, email string) (*gatehouse.Customer, error)
	// MoveAddress gives an address to another customer.
	MoveAddress(ctx context.Context, id, customerID string, now time.Time) error
	// DeleteAnonymousShopper deletes an anonymous shopper's identity
	// (sessions and tokens with it) and anonymous customer.
	DeleteAnonymousShopper(ctx context.Context, authIdentityID, customerID string) error

	// CreateUser inserts an admin user; a taken email is CodeDuplicate.
	CreateUser(ctx context.Context, u *gatehouse.User) error
	// User loads a user that is not deleted.
	User(ctx context.Context, id string) (*gatehouse.User, error)
	// UserByEmail loads the user, not deleted, with the normalized email.
	UserByEmail(ctx context.Context, email string) (*gatehouse.User, error)

	// CreateInvite inserts an invite after soft-deleting any pending
	// (unaccepted, undeleted) invite for the same email.
	CreateInvite(ctx context.Context, inv *gatehouse.Invite) error
	// ClaimInvite marks the pending, unexpired invite with the token hash
	// accepted, in one statement, and returns it. When no such invite
	// exists it returns CodeNotFound, so two racing claims cannot both win.
	ClaimInvite(ctx context.Context, tokenHash string, now time.Time) (*gatehouse.Invite, error)
	// InviteByTokenHash loads an invite by token hash, whatever its state.
	InviteByTokenHash(ctx context.Context, tokenHash string) (*gatehouse.Invite, error)

	RoleStore
	AuditStore
	WebhookStore
	NodeStore

	// Setting returns the value stored under key, or CodeNotFound.
	Setting(ctx context.Context, key string) (string, error)
	// InitSetting stores value under key unless the key already has one,
	// and returns the value that is stored: of two racing callers, both
	// get the first one's value.
	InitSetting(ctx context.Context, key, value string, now time.Time) (string, error)
}

// Attempt is what counting a password attempt found.
type Attempt struct {
	// Attempts counts the failed attempts since the last success or
	// lock, this one included.
	Attempts int
	// Locks is how many times the identity was locked before.
	Locks int
	// Locked says the identity is locked now; nothing was counted.
	Locked bool
}

// SessionStore keeps sessions, refresh tokens and security events.
type SessionStore interface {
	// CreateSession inserts a session.
	CreateSession(ctx context.Context, s *gatehouse.Session) error
	// Session loads a session, whatever its state.
	Session(ctx context.Context, id string) (*gatehouse.Session, error)
	// SessionByCookieHash loads the session whose cookie has the hash.
	SessionByCookieHash(ctx context.Context, hash string) (*gatehouse.Session, error)
	// SetSessionCookie gives a session that is not revoked a new cookie
	// hash (replacing any earlier one); CodeNotFound otherwise.
	SetSessionCookie(ctx context.Context, id, hash string) error
	// TouchSession moves last_active_at and idle_expires_at of a session
	// that is not revoked; CodeNotFound otherwise.
	TouchSession(ctx context.Context, id string, now, idleExpiresAt time.Time) error
	// RevokeSessions revokes an auth identity's unrevoked sessions (only
	// sessionID's when it is not "") and returns how many.
	RevokeSessions(ctx context.Context, authIdentityID, sessionID, reason string, now time.Time) (int, error)
	// RevokeOtherSessions revokes every live session of an identity but
	// keep, and returns how many.
	RevokeOtherSessions(ctx context.Context, authIdentityID, keep, reason string, now time.Time) (int, error)

	// Reauthenticated records a new authentication of a session that is
	// not revoked (its time, level and methods) and answers the session;
	// CodeNotFound otherwise.
	Reauthenticated(ctx context.Context, id, aal string, amr []string, now time.Time) (*gatehouse.Session, error)

	// CreateRefreshToken inserts a refresh token.
	CreateRefreshToken(ctx context.Context, t *gatehouse.RefreshToken) error
	// RefreshTokenSession loads the refresh token with the hash, its
	// session and the session's auth identity, in one statement;
	// CodeNotFound when the identity is linked to a customer or user that
	// is gone.
	RefreshTokenSession(ctx context.Context, hash string) (*gatehouse.RefreshToken, *gatehouse.Session, *gatehouse.AuthIdentity, error)
	// SessionCustomer loads a session and the undeleted customer with
	// customerID (nil when there is none) in one statement; CodeNotFound
	// when the session is missing.
	SessionCustomer(ctx context.Context, sessionID, customerID string) (*gatehouse.Session, *gatehouse.Customer, error)
	// RefreshToken loads a refresh token by id.
	RefreshToken(ctx context.Context, id string) (*gatehouse.RefreshToken, error)
	// ClaimRefreshToken marks an unused refresh token used and replaced by
	// childID in one conditional statement, and reports whether this call
	// did: of racing claims exactly one wins.
	ClaimRefreshToken(ctx context.Context, id, childID string, now time.Time) (bool, error)
}

// FactorStore keeps second factors, recovery codes and the challenges of
// sign-ins waiting for a second factor.
type FactorStore interface {
	// CreateFactor inserts an unconfirmed factor.
	CreateFactor(ctx context.Context, f *gatehouse.Factor) error
	// Factor loads a factor by id, whatever its state.
	Factor(ctx context.Context, id string) (*gatehouse.Factor, error)
	// Factors lists an identity's confirmed factors, oldest first.
	Factors(ctx context.Context, authIdentityID string) ([]*gatehouse.Factor, error)
	// ConfirmFactor activates an unconfirmed factor with the TOTP step
	// that confirmed it and marks its identity as having a second factor;
	// CodeNotFound when it is not waiting for confirmation.
	ConfirmFactor(ctx context.Context, id string, step int64, now time.Time) error
	// UseFactorStep records a TOTP step accepted for a confirmed factor
	// only if no step at or after it was, and reports whether it did.
	UseFactorStep(ctx context.Context, id string, step int64, now time.Time) (bool, error)
	// DeleteFactor deletes a factor, keeps the identity's second-factor
	// mark true (deleting the recovery codes with the last factor) and
	// answers whether an active factor is left; CodeNotFound when there is
	// no such factor.
	DeleteFactor(ctx context.Context, id string, now time.Time) (bool, error)
	// ReplaceRecoveryCodes replaces an identity's recovery codes with the
	// ones whose hashes are given.
	ReplaceRecoveryCodes(ctx context.Context, authIdentityID string, hashes []string, now time.Time) error
	// UseRecoveryCode marks an unused recovery code used in one
	// conditional statement and answers how many are left; CodeNotFound
	// when there is no such unused code.
	UseRecoveryCode(ctx context.Context, authIdentityID, hash string, now time.Time) (int, error)
	// RecoveryCodesLeft counts an identity's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, authIdentityID string) (int, error)

	// CreatePasskey inserts a confirmed passkey and marks its identity as
	// having a second factor; CodeDuplicate for a registered credential.
	CreatePasskey(ctx context.Context, f *gatehouse.Factor) error
	// PasskeyByCredentialID loads the confirmed passkey with a credential
	// id.
	PasskeyByCredentialID(ctx context.Context, credentialID string) (*gatehouse.Factor, error)
	// UsePasskey records a passkey's use (credential record, counter,
	// backup state) only if its counter moved forward (or both are 0),
	// and reports whether it did.
	UsePasskey(ctx context.Context, id string, credential []byte, signCount int64, backedUp bool, now time.Time) (bool, error)
	// RenameFactor renames a confirmed factor of an identity.
	RenameFactor(ctx context.Context, authIdentityID, id, name string) error
	// CreateWebAuthnChallenge inserts a WebAuthn ceremony in flight.
	CreateWebAuthnChallenge(ctx context.Context, c *gatehouse.WebAuthnChallenge) error
	// ClaimWebAuthnChallenge marks the unused, unexpired ceremony with
	// the challenge hash used and answers it; CodeNotFound otherwise.
	ClaimWebAuthnChallenge(ctx context.Context, hash string, now time.Time) (*gatehouse.WebAuthnChallenge, error)

	// CreateEmailCode inserts an email code, retiring the unused ones of
	// the same actor type and address.
	CreateEmailCode(ctx context.Context, c *gatehouse.EmailCode) error
	// LiveEmailCode loads the newest unused code of an actor type and
	// address; CodeNotFound when there is none.
	LiveEmailCode(ctx context.Context, actor gatehouse.ActorType, email string) (*gatehouse.EmailCode, error)
	// FailEmailCode counts a wrong try of an unused code and answers the
	// count.
	FailEmailCode(ctx context.Context, id string) (int, error)
	// ClaimEmailCode marks an unused, unexpired code with fewer than
	// maxAttempts wrong tries used, and reports whether this call did.
	ClaimEmailCode(ctx context.Context, id string, maxAttempts int, now time.Time) (bool, error)

	// CreateMFAChallenge inserts a challenge.
	CreateMFAChallenge(ctx context.Context, c *gatehouse.PendingMFA) error
	// MFAChallenge loads a challenge by its token's hash, whatever its
	// state.
	MFAChallenge(ctx context.Context, hash string) (*gatehouse.PendingMFA, error)
	// FailMFAChallenge counts a wrong answer to an unused challenge and
	// answers the count.
	FailMFAChallenge(ctx context.Context, id string) (int, error)
	// ClaimMFAChallenge marks an unused, unexpired challenge with fewer
	// than maxFailures wrong answers used, and reports whether this call
	// did.
	ClaimMFAChallenge(ctx context.Context, id string, maxFailures int, now time.Time) (bool, error)
}

// RoleStore keeps roles and who holds them.
type RoleStore interface {
	// Roles lists every role, built-in ones first, then by name.
	Roles(ctx context.Context) ([]*gatehouse.Role, error)
	// RolesByID loads the roles with the ids; unknown ids are left out.
	RolesByID(ctx context.Context, ids []string) ([]*gatehouse.Role, error)
	// Role loads a role.
	Role(ctx context.Context, id string) (*gatehouse.Role, error)
	// CreateRole inserts a custom role; a taken name is CodeDuplicate.
	CreateRole(ctx context.Context, r *gatehouse.Role) error
	// UpdateRole writes a custom role's name, description and
	// permissions; CodeNotFound for a built-in role.
	UpdateRole(ctx context.Context, r *gatehouse.Role) error
	// RoleAssignments counts the users and pending invites holding a role.
	RoleAssignments(ctx context.Context, id string) (int, error)
	// DeleteRole deletes a custom role.
	DeleteRole(ctx context.Context, id string) error
	// UserRoles lists a user's roles.
	UserRoles(ctx context.Context, userID string) ([]*gatehouse.Role, error)
	// UserWithRoles loads an undeleted user and its roles.
	UserWithRoles(ctx context.Context, id string) (*gatehouse.User, []*gatehouse.Role, error)
	// SetUserRoles replaces a user's roles.
	SetUserRoles(ctx context.Context, userID string, roleIDs []string, now time.Time) error
	// InviteRoles lists the roles an invite grants.
	InviteRoles(ctx context.Context, inviteID string) ([]*gatehouse.Role, error)
	// SetInviteRoles records the roles an invite grants.
	SetInviteRoles(ctx context.Context, inviteID string, roleIDs []string) error
	// SearchCustomers lists the undeleted customers the filter admits, in
	// the order, a page at a time, with their total.
	SearchCustomers(ctx context.Context, f gatehouse.CustomerFilter, o gatehouse.CustomerOrder, p gatehouse.Page, now time.Time) (gatehouse.CustomerPage, error)
	// RecordSignIn sets last_sign_in_at on a provider identity and, for a
	// customer, on the customer.
	RecordSignIn(ctx context.Context, providerIdentityID string, actor gatehouse.ActorType, actorID string, now time.Time) error
	// ListUsers lists undeleted users, oldest first, a page at a time.
	ListUsers(ctx context.Context, f gatehouse.UserFilter, p gatehouse.Page) (gatehouse.UserPage, error)
	// UpdateUser writes a user's names, avatar URL and metadata.
	UpdateUser(ctx context.Context, u *gatehouse.User) error
	// SetUserDeactivated deactivates (at set) or reactivates a user.
	SetUserDeactivated(ctx context.Context, id string, at *time.Time, now time.Time) error
	// DeleteUser soft-deletes a user and takes its roles.
	DeleteUser(ctx context.Context, id string, now time.Time) error
	// DeleteAuthIdentity deletes an identity with its provider
	// identities, sessions and tokens.
	DeleteAuthIdentity(ctx context.Context, id string) error
	// ListInvites lists invites newest first; status "" for all.
	ListInvites(ctx context.Context, status gatehouse.InviteStatus, p gatehouse.Page, now time.Time) (gatehouse.InvitePage, error)
	// Invite loads an invite that is listed (not superseded).
	Invite(ctx context.Context, id string) (*gatehouse.Invite, error)
	// RevokeInvite revokes an invite that is not accepted.
	RevokeInvite(ctx context.Context, id string, now time.Time) error
	// RenewInvite gives a pending or expired invite a new token hash and
	// expiry.
	RenewInvite(ctx context.Context, id, tokenHash string, expiresAt, now time.Time) (*gatehouse.Invite, error)
	// ActiveOwners counts the active owners, first locking the owner
	// assignments (PostgreSQL) so that racing demotions serialize.
	ActiveOwners(ctx context.Context) (int, error)
}

// AuditStore reads the audit trail and the sessions per device.
type AuditStore interface {
	// SessionsOf lists an identity's live sessions, newest first, at most
	// 100.
	SessionsOf(ctx context.Context, authIdentityID string, now time.Time) ([]*gatehouse.Session, error)
	// AuditLog lists the events the filter chooses, newest first, older
	// than the event id before, at most limit; no secrets.
	AuditLog(ctx context.Context, f gatehouse.AuditFilter, before string, limit int) ([]gatehouse.Event, error)
	// AuditLogCount counts the events the filter chooses.
	AuditLogCount(ctx context.Context, f gatehouse.AuditFilter) (int, error)
	// EventsAbout lists the events of an identity, or about a customer or
	// user (its subject), newest first, older than before, at most limit.
	EventsAbout(ctx context.Context, ids []string, before string, limit int) ([]gatehouse.Event, error)
}

// WebhookStore keeps the managed webhook endpoints and their deliveries.
type WebhookStore interface {
	// CreateWebhookEndpoint inserts an endpoint (its secret sealed) and
	// its subscriber.
	CreateWebhookEndpoint(ctx context.Context, e *gatehouse.WebhookEndpoint, sealed string) error
	// WebhookEndpoints lists the endpoints, oldest first.
	WebhookEndpoints(ctx context.Context) ([]*gatehouse.WebhookEndpoint, error)
	// WebhookEndpoint loads an endpoint.
	WebhookEndpoint(ctx context.Context, id string) (*gatehouse.WebhookEndpoint, error)
	// UpdateWebhookEndpoint writes an endpoint's URL, description and
	// events, and its subscriber's filter.
	UpdateWebhookEndpoint(ctx context.Context, e *gatehouse.WebhookEndpoint) error
	// RotateWebhookSecret makes sealed the endpoint's secret, the old one
	// signing too until previousExpiresAt.
	RotateWebhookSecret(ctx context.Context, id, sealed string, previousExpiresAt, now time.Time) (*gatehouse.WebhookEndpoint, error)
	// DeleteWebhookEndpoint deletes an endpoint, its subscriber and what
	// it was still owed.
	DeleteWebhookEndpoint(ctx context.Context, id string) error
	// Deliveries lists a subscriber's deliveries, newest first, of a
	// status ("" for any), older than the event id before.
	Deliveries(ctx context.Context, subscriber string, status gatehouse.DeliveryStatus, before string, limit int) ([]gatehouse.Delivery, error)
	// DeliveryCount counts a subscriber's deliveries of a status ("" for
	// any).
	DeliveryCount(ctx context.Context, subscriber string, status gatehouse.DeliveryStatus) (int, error)
}

// NodeStore loads rows by their global id alone, for Service.Node.
type NodeStore interface {
	// AddressByID loads an address, whoever's it is.
	AddressByID(ctx context.Context, id string) (*gatehouse.Address, error)
	// ProviderIdentityByID loads a provider identity.
	ProviderIdentityByID(ctx context.Context, id string) (*gatehouse.ProviderIdentity, error)
	// Event loads an event without its secrets.
	Event(ctx context.Context, id string) (*gatehouse.Event, error)
	// EventsAboutCount counts the events EventsAbout lists for ids.
	EventsAboutCount(ctx context.Context, ids []string) (int, error)
	// DeadDeliveryCount counts the dead deliveries of every subscriber.
	DeadDeliveryCount(ctx context.Context) (int, error)
}
