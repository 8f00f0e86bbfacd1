package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
)

// Credentials are what `authenticate` receives. Pointers are nil when the
// caller left a field out.
type Credentials struct {
	Email    *string
	Password *string
	// RedirectURL is where a third-party provider sends the browser back.
	RedirectURL *string
}

// Registration is what `register` receives.
type Registration struct {
	Email       string
	Password    string
	InviteToken string
}

var errInvalidCredentials = gatehouse.Errorf(gatehouse.CodeInvalidCredentials, "The email or password is incorrect.")

// Authenticate signs an actor in with a provider. For emailpass it checks
// the password; an unknown email costs the same hashing work as a wrong
// password and gets the same answer. bearer is the request's bearer token,
// if any: an anonymous shopper's is merged (see mergeAnonymous). For a
// third-party provider it answers the URL to send the browser to.
func (s *Service) Authenticate(ctx context.Context, bearer string, actor gatehouse.ActorType, provider string, in Credentials) (Authentication, error) {
	if provider != gatehouse.ProviderEmailPass {
		p, err := s.oauthProvider(actor, provider)
		if err != nil {
			return Authentication{}, err
		}
		loc, err := s.authorize(ctx, p, actor, deref(in.RedirectURL))
		return Authentication{Location: loc}, err
	}
	t, err := s.authenticatePassword(ctx, bearer, actor, in)
	return Authentication{Ticket: t}, err
}

func (s *Service) authenticatePassword(ctx context.Context, bearer string, actor gatehouse.ActorType, in Credentials) (*gatehouse.Ticket, error) {
	if err := checkProvider(actor, gatehouse.ProviderEmailPass); err != nil {
		return nil, err
	}
	email, pw := deref(in.Email), deref(in.Password)
	if gatehouse.NormalizeEmail(email) == "" {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "email"}, "An email address is required.")
	}
	if err := checkSignInPassword(pw); err != nil {
		return nil, err
	}
	p, err := s.store.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, gatehouse.NormalizeEmail(email))
	if err := s.checkAttempt(ctx, actor, p, err, pw); err != nil {
		return nil, err
	}
	if s.requireVerified && !emailVerified(p) {
		// Only after the right password: this reveals nothing to a guesser.
		return nil, gatehouse.Errorf(gatehouse.CodeNotAllowed, "Verify your email address first: follow the link sent to it, or ask for a new one.")
	}
	return s.signInMerging(ctx, bearer, gatehouse.ProviderEmailPass, p.AuthIdentityID)
}

// checkAttempt checks a sign-in password under the lockout rule. The
// attempt is counted before the password is checked, in one statement, so
// parallel attempts cannot slip past the limit; a locked identity, an
// unknown email and a wrong password all cost one hash and one count and
// answer the same INVALID_CREDENTIALS.
func (s *Service) checkAttempt(ctx context.Context, actor gatehouse.ActorType, p *gatehouse.ProviderIdentity, lookupErr error, pw string) error {
	now := s.clock()
	identity := "authid_none" // the unknown path runs the same statement
	if lookupErr == nil {
		identity = p.AuthIdentityID
	}
	attempts, locks, locked, err := s.store.TakeAttempt(ctx, identity, now)
	if err != nil {
		return err
	}
	if lookupErr == nil && (locked || attempts > s.lockout.MaxAttempts) {
		if err := s.hasher.VerifyDummy(ctx, pw); err != nil {
			return hashError(err)
		}
		s.loginFailed(ctx, actor, identity, "locked")
		return errInvalidCredentials
	}
	err = s.checkPassword(ctx, p, lookupErr, pw)
	switch {
	case err == nil:
		// The sign-in's transaction clears the count (signInMergingTx).
		return nil
	case err != errInvalidCredentials:
		return err
	case lookupErr != nil:
		s.loginFailed(ctx, actor, "", "invalid_credentials")
		return err
	}
	if attempts == s.lockout.MaxAttempts {
		until := now.Add(lockFor(s.lockout, locks))
		if lerr := s.store.Tx(ctx, func(st Store) error {
			if err := st.Lock(ctx, identity, until, now); err != nil {
				return err
			}
			return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventAccountLocked, AuthIdentityID: identity, ActorType: actor,
				Payload: map[string]any{"locked_until": until, "lock_count": locks + 1, "failed_attempts": attempts}})
		}); lerr != nil {
			return lerr
		}
	}
	s.loginFailed(ctx, actor, identity, "invalid_credentials")
	return err
}

// lockFor is the cool-down of an identity locked locks times before: the
// base, doubling with each lock, capped.
func lockFor(p LockoutPolicy, locks int) time.Duration {
	d := p.Base
	for range min(locks, 30) {
		if d *= 2; d >= p.Max {
			return p.Max
		}
	}
	return min(d, p.Max)
}

// loginFailed records auth.login_failed. Failing to record it does not
// change the answer.
func (s *Service) loginFailed(ctx context.Context, actor gatehouse.ActorType, identity, reason string) {
	err := s.emit(ctx, s.store, gatehouse.Event{Name: gatehouse.EventLoginFailed, AuthIdentityID: identity, ActorType: actor,
		Payload: map[string]any{"provider": gatehouse.ProviderEmailPass, "reason": reason}})
	if err != nil {
		s.log.WarnContext(ctx, "could not record a failed sign-in", "error", err)
	}
}

// checkSignInPassword refuses, before any hashing, a password no account
// can have.
func checkSignInPassword(pw string) error {
	switch {
	case pw == "":
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "password"}, "A password is required.")
	case password.CheckLength(pw) != nil:
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "password"}, "A password has at most %d characters.", password.MaxLength)
	}
	return nil
}

// checkPassword checks pw against the provider identity a lookup found
// (lookupErr is the lookup's error). A missing identity costs the same
// hashing work as a wrong password and gets the same answer.
func (s *Service) checkPassword(ctx context.Context, p *gatehouse.ProviderIdentity, lookupErr error, pw string) error {
	if gatehouse.ErrorCode(lookupErr) == gatehouse.CodeNotFound {
		if err := s.hasher.VerifyDummy(ctx, pw); err != nil {
			return hashError(err)
		}
		return errInvalidCredentials
	}
	if lookupErr != nil {
		return lookupErr
	}
	ok, rehash, err := s.hasher.Verify(ctx, pw, p.PasswordHash())
	switch {
	case errors.Is(err, password.ErrMalformedHash):
		// Nothing the caller can do; the operator must see it.
		s.log.ErrorContext(ctx, "stored password hash is unusable", "provider_identity_id", p.ID)
		return errInvalidCredentials
	case err != nil:
		return hashError(err)
	case !ok:
		return errInvalidCredentials
	}
	if rehash {
		s.upgradeHash(ctx, p, pw)
	}
	return nil
}

// upgradeHash replaces a legacy or weaker hash after a successful sign-in.
// Failing to do so does not fail the sign-in.
func (s *Service) upgradeHash(ctx context.Context, p *gatehouse.ProviderIdentity, pw string) {
	h, err := s.hasher.Hash(ctx, pw)
	if err == nil {
		md := withPassword(p.ProviderMetadata, h)
		err = s.store.SetProviderMetadata(ctx, p.ID, md, s.clock())
	}
	if err != nil {
		s.log.WarnContext(ctx, "could not upgrade password hash", "provider_identity_id", p.ID, "error", err)
	}
}

// Register creates an emailpass identity and returns a registration ticket.
// An anonymous shopper's bearer token is merged, as with Authenticate.
func (s *Service) Register(ctx context.Context, bearer string, actor gatehouse.ActorType, provider string, in Registration) (*gatehouse.Ticket, error) {
	if err := checkProvider(actor, provider); err != nil {
		return nil, err
	}
	email := gatehouse.NormalizeEmail(in.Email)
	if err := checkEmail(email, []string{"input", "email"}); err != nil {
		return nil, err
	}
	if err := checkNewPassword(in.Password, email, []string{"input", "password"}); err != nil {
		return nil, err
	}
	if actor == gatehouse.ActorUser {
		if err := s.checkInvite(ctx, in.InviteToken, email); err != nil {
			return nil, err
		}
	}
	// Refuse a taken email before spending a hash on it; the unique
	// constraint still decides a race.
	if _, err := s.store.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, email); err == nil {
		return nil, errDuplicateIdentity
	} else if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return nil, err
	}
	h, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, hashError(err)
	}
	now := s.clock()
	a := newAuthIdentity(actor, now)
	p := &gatehouse.ProviderIdentity{
		ID:               gatehouse.NewID(gatehouse.PrefixProviderIdentity),
		AuthIdentityID:   a.ID,
		ActorType:        actor,
		Provider:         gatehouse.ProviderEmailPass,
		EntityID:         email,
		ProviderMetadata: withPassword(nil, h),
		UserMetadata:     map[string]any{},
		CreatedAt:        now,
		UpdatedAt:        now,
	}
	var t *gatehouse.Ticket
	err = s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateIdentity(ctx, a, p); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.CodeDuplicate {
				return errDuplicateIdentity
			}
			return err
		}
		t, err = s.signIn(ctx, st, a)
		if err != nil {
			return err
		}
		return s.mergeAnonymous(ctx, st, bearer, t)
	})
	return t, err
}

// newAuthIdentity returns a new auth identity, not yet linked to an actor.
func newAuthIdentity(actor gatehouse.ActorType, now time.Time) *gatehouse.AuthIdentity {
	return &gatehouse.AuthIdentity{
		ID:          gatehouse.NewID(gatehouse.PrefixAuthIdentity),
		ActorType:   actor,
		AppMetadata: map[string]any{},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
}

var errDuplicateIdentity = gatehouse.FieldError(gatehouse.CodeDuplicate, []string{"input", "email"}, "An identity with this email already exists.")

// checkInvite checks, without consuming it, that token is a pending invite
// for email: an admin identity cannot be registered without one.
func (s *Service) checkInvite(ctx context.Context, token, email string) error {
	field := []string{"input", "inviteToken"}
	if token == "" {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "An invite token is required to register an admin user.")
	}
	inv, err := s.inviteByToken(ctx, s.store, token)
	if err != nil {
		return err
	}
	if inv.Email != email {
		return errInviteInvalid
	}
	return nil
}

// withPassword returns a copy of provider metadata with the password hash set.
func withPassword(md map[string]any, hash string) map[string]any {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]any{}
	}
	out["password"] = hash
	return out
}

// checkProvider refuses providers this actor type cannot use.
func checkProvider(actor gatehouse.ActorType, provider string) error {
	if !actor.Valid() {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"actor"}, "Unknown actor type.")
	}
	if provider != gatehouse.ProviderEmailPass {
		return &gatehouse.Error{Code: gatehouse.CodeProviderNotFound, Field: []string{"provider"},
			Message: fmt.Sprintf("No enabled provider %q for %s.", truncate(provider, 64), actor)}
	}
	return nil
}

// hashError maps a password hasher failure.
func hashError(err error) error {
	var busy *password.BusyError
	if errors.As(err, &busy) {
		return &gatehouse.Error{Code: gatehouse.CodeRateLimited, RetryAfter: busy.RetryAfter,
			Message: "Too many sign-ins are being processed; retry shortly.", Err: err}
	}
	return gatehouse.Internal(fmt.Errorf("password hashing: %w", err))
}

var errInviteInvalid = gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "inviteToken"}, "The invite token is invalid or has been used.")
