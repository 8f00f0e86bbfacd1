// Package auth holds gatehouse's use cases: sign-in, registration, token
// refresh, customers and their addresses, admin users and invites.
//
// It never sees HTTP requests, GraphQL types or SQL: callers hand it plain
// values and the raw bearer token, and it answers with domain types and
// *gatehouse.Error.
package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/token"
)

// Lifetimes are the token and invite lifetimes.
type Lifetimes struct {
	// AccessToken is how long an access token lives, per actor type.
	AccessToken map[gatehouse.ActorType]time.Duration
	// SessionMaxAge is a session's absolute lifetime from sign-in, per
	// actor type: no token outlives it.
	SessionMaxAge map[gatehouse.ActorType]time.Duration
	// SessionIdle ends a session not refreshed for this long, per actor
	// type.
	SessionIdle map[gatehouse.ActorType]time.Duration
	// RefreshReuseGrace is how long a just-rotated refresh token may be
	// re-sent and get the same child.
	RefreshReuseGrace time.Duration
	// Invite is how long an admin invite stays valid.
	Invite time.Duration
}

// Options are a Service's dependencies.
type Options struct {
	Store     Store
	Hasher    *password.Hasher
	Signer    *token.Signer
	Lifetimes Lifetimes
	// RefreshKey derives each refresh token's successor (at least 32
	// bytes; the same on every instance and across restarts).
	RefreshKey []byte
	Logger     *slog.Logger
	Now        func() time.Time // default time.Now
	Rand       io.Reader        // default crypto/rand.Reader
	// OAuth are the enabled third-party providers, each for one actor
	// type.
	OAuth []*oauth.Provider

	// EventKey seals the secrets in event payloads (32 bytes; derived from
	// the key-encryption key). Who is owed each event is the fleet's
	// subscriber table, whichever instance writes it; Subscribers are the
	// fallback names owed an event when the table does not list them
	// (this instance's own, before it declared them). OnEvent, when set,
	// is told each event's name (metrics).
	EventKey    []byte
	Subscribers []string
	OnEvent     func(name string)

	// Lockout: after Lockout.MaxAttempts consecutive failed passwords an
	// identity is locked for Lockout.Base, doubling with each lock up to
	// Lockout.Max. ResetTokenTTL is a reset token's lifetime.
	Lockout       LockoutPolicy
	ResetTokenTTL time.Duration
	// RequireVerifiedEmail refuses password sign-in until the email is
	// verified.
	RequireVerifiedEmail bool

	// WebhookKey seals the signing secrets of the webhook endpoints (32
	// bytes; derived from the key-encryption key, and given to the outbox
	// that opens them). WebhookSecretGrace is how long the secret a
	// rotation replaces still signs (default 24 hours).
	WebhookKey         []byte
	WebhookSecretGrace time.Duration
	// WebhookPrivateNetworks accepts webhook endpoint URLs whose host is
	// localhost or a literal address that is not public (development);
	// the outbox refuses to dial such addresses without it anyway.
	WebhookPrivateNetworks bool

	// FactorKey seals TOTP secrets and keys the hashes of recovery codes
	// (32 bytes; derived from the key-encryption key). TOTPIssuer names
	// the service in authenticator apps (default "gatehouse").
	FactorKey  []byte
	TOTPIssuer string
	// ReauthMaxAge is how recent an authentication a sensitive change
	// needs (default 10 minutes).
	ReauthMaxAge time.Duration
	// DeletionGrace, when positive, makes deleteAccount schedule a
	// customer's deletion this far ahead instead of deleting at once; a
	// sign-in before then cancels it (GATEHOUSE_DELETION_GRACE).
	DeletionGrace time.Duration
	// RequireMFA names the actor types whose sessions need aal2 for
	// anything but enrolling a factor (GATEHOUSE_USER_MFA,
	// GATEHOUSE_CUSTOMER_MFA).
	RequireMFA map[gatehouse.ActorType]bool
	// WebAuthn is the relying party passkeys are registered with and
	// checked against (GATEHOUSE_WEBAUTHN_RP_ID, _ORIGINS); nil turns
	// passkeys off.
	WebAuthn *webauthn.WebAuthn
}

// LockoutPolicy configures account lockout.
type LockoutPolicy struct {
	MaxAttempts int           // default 5
	Base        time.Duration // default 15 minutes
	Max         time.Duration // default 24 hours
}

// Service implements the use cases.
type Service struct {
	store      Store
	hasher     *password.Hasher
	signer     *token.Signer
	life       Lifetimes
	refreshKey []byte
	log        *slog.Logger
	now        func() time.Time
	rand       io.Reader
	oauth      []*oauth.Provider

	eventKey        []byte
	subscribers     []string
	onEvent         func(string)
	lockout         LockoutPolicy
	resetTTL        time.Duration
	requireVerified bool
	webhookKey      []byte
	webhookGrace    time.Duration
	webhookPrivate  bool
	factorKey       []byte
	deletionGrace   time.Duration
	totpIssuer      string
	reauthMaxAge    time.Duration
	requireMFA      map[gatehouse.ActorType]bool
	webauthn        *webauthn.WebAuthn

	// decoys are a hash of each kind still stored, which every failed
	// password check runs (see equalwork.go).
	decoys atomic.Pointer[password.Decoys]
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Hasher == nil || o.Signer == nil {
		return nil, errors.New("auth: store, hasher and signer are required")
	}
	for _, a := range []gatehouse.ActorType{gatehouse.ActorCustomer, gatehouse.ActorUser} {
		if o.Lifetimes.AccessToken[a] <= 0 || o.Lifetimes.SessionMaxAge[a] <= 0 || o.Lifetimes.SessionIdle[a] <= 0 {
			return nil, errors.New("auth: access token lifetime, session idle timeout and max age are required for every actor type")
		}
	}
	if len(o.RefreshKey) < 32 {
		return nil, errors.New("auth: a refresh key of at least 32 bytes is required")
	}
	if o.Lifetimes.Invite <= 0 {
		return nil, errors.New("auth: invite lifetime is required")
	}
	s := &Service{
		store:      o.Store,
		hasher:     o.Hasher,
		signer:     o.Signer,
		life:       o.Lifetimes,
		refreshKey: o.RefreshKey,
		log:        o.Logger,
		now:        o.Now,
		rand:       o.Rand,
		oauth:      o.OAuth,

		eventKey:        o.EventKey,
		subscribers:     o.Subscribers,
		onEvent:         o.OnEvent,
		lockout:         o.Lockout,
		resetTTL:        o.ResetTokenTTL,
		requireVerified: o.RequireVerifiedEmail,
		webhookKey:      o.WebhookKey,
		webhookGrace:    o.WebhookSecretGrace,
		webhookPrivate:  o.WebhookPrivateNetworks,
		factorKey:       o.FactorKey,
		totpIssuer:      o.TOTPIssuer,
		reauthMaxAge:    o.ReauthMaxAge,
		deletionGrace:   o.DeletionGrace,
		requireMFA:      o.RequireMFA,
		webauthn:        o.WebAuthn,
	}
	if s.lockout.MaxAttempts <= 0 {
		s.lockout.MaxAttempts = 5
	}
	if s.lockout.Base <= 0 {
		s.lockout.Base = 15 * time.Minute
	}
	if s.lockout.Max <= 0 {
		s.lockout.Max = 24 * time.Hour
	}
	if s.resetTTL <= 0 {
		s.resetTTL = 15 * time.Minute
	}
	if len(s.eventKey) == 0 {
		// Derived from the refresh key: distinct, and the same on every
		// instance.
		s.eventKey = deriveKey(o.RefreshKey, "gatehouse event secrets v1")
	}
	if len(s.webhookKey) == 0 {
		s.webhookKey = deriveKey(o.RefreshKey, "gatehouse webhook secrets v1")
	}
	if len(s.factorKey) == 0 {
		s.factorKey = deriveKey(o.RefreshKey, "gatehouse factor secrets v1")
	}
	if s.totpIssuer == "" {
		s.totpIssuer = "gatehouse"
	}
	if s.reauthMaxAge <= 0 {
		s.reauthMaxAge = 10 * time.Minute
	}
	if s.webhookGrace <= 0 {
		s.webhookGrace = 24 * time.Hour
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	// The Hasher's own kind until the first RefreshPasswordHashKinds.
	d, err := s.hasher.Decoys(nil)
	if err != nil {
		return nil, fmt.Errorf("auth: password decoys: %w", err)
	}
	s.decoys.Store(d)
	return s, nil
}

// clock returns the current time in UTC, truncated to what both databases
// store (microseconds), so values read back compare equal.
func (s *Service) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}
