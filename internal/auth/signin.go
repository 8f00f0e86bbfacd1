package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/device"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// The sign-in path, in one file: the password check under the lockout,
// then (for every provider) the transaction that starts the session.
// Its statements, for a password: the provider identity found and the
// attempt counted in one (PasswordAttempt); the hash; then one
// transaction that forgets the attempts while loading the identity
// (ResetAttempts), starts the session with its refresh token and records
// auth.login_succeeded. The customer is loaded only when the answer
// selects it.

var errInvalidCredentials = gatehouse.Errorf(gatehouse.CodeInvalidCredentials, "The email or password is incorrect.")

func (s *Service) authenticatePassword(ctx context.Context, bearer string, actor gatehouse.ActorType, in PasswordCredentials) (*gatehouse.Ticket, error) {
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
	p, at, err := s.store.PasswordAttempt(ctx, actor, gatehouse.ProviderEmailPass, gatehouse.NormalizeEmail(email), s.clock())
	if err := s.checkAttempt(ctx, actor, p, at, err, pw); err != nil {
		return nil, err
	}
	return s.passwordSignedIn(ctx, bearer, p)
}

// passwordSignedIn finishes a sign-in whose password was right. Should it
// fail (the email is unverified, the database is gone), the attempt it
// counted is taken back: a right password never counts toward a lock.
func (s *Service) passwordSignedIn(ctx context.Context, bearer string, p *gatehouse.ProviderIdentity) (*gatehouse.Ticket, error) {
	if s.requireVerified && !emailVerified(p) {
		s.uncount(ctx, p.AuthIdentityID)
		// Only after the right password: this reveals nothing to a guesser.
		return nil, gatehouse.Errorf(gatehouse.CodeNotAllowed, "Verify your email address first: follow the link sent to it, or ask for a new one.")
	}
	t, err := s.signInMerging(ctx, bearer, gatehouse.ProviderEmailPass, p.AuthIdentityID, p.ID, true)
	if gatehouse.ErrorCode(err) == gatehouse.CodeUnauthenticated {
		// The customer or user is deactivated or deleted: answered as a
		// wrong password, and counted as one, so that nothing tells a
		// deactivated account from a mistyped password.
		return nil, errInvalidCredentials
	}
	if err != nil {
		s.uncount(ctx, p.AuthIdentityID)
		return nil, err
	}
	return t, nil
}

// signInMerging signs an identity in and merges the anonymous shopper whose
// token the request carried, in one transaction.
func (s *Service) signInMerging(ctx context.Context, bearer, provider, authIdentityID, providerIdentityID string, counted bool) (*gatehouse.Ticket, error) {
	var t *gatehouse.Ticket
	err := s.store.Tx(ctx, func(st Store) (err error) {
		t, err = s.signInMergingTx(ctx, st, bearer, provider, authIdentityID, providerIdentityID, counted)
		return err
	})
	return t, err
}

// signInMergingTx is signInMerging in the caller's transaction. It records
// auth.login_succeeded, and the sign-in's time on the provider identity and
// the customer (lastSignInAt). An identity with a second factor gets a
// challenge instead (mfa.go): none of that happens until it is answered.
// counted says the first factor's check counted an attempt against the
// lockout (a password's did; a third party's did not).
func (s *Service) signInMergingTx(ctx context.Context, st Store, bearer, provider, authIdentityID, providerIdentityID string, counted bool) (*gatehouse.Ticket, error) {
	// A successful sign-in starts the lockout count afresh, once its
	// last factor passed.
	a, err := st.FirstFactorPassed(ctx, authIdentityID, counted)
	if err != nil {
		// The identity, or the actor it is linked to, is gone: its
		// tokens are dead.
		return nil, revokedIfMissing(err)
	}
	if a.MFAEnabled {
		return s.challenge(ctx, st, a, provider, providerIdentityID)
	}
	return s.signedIn(ctx, st, bearer, a, providerIdentityID, sessionStart{method: provider, amr: firstFactorAMR(provider)})
}

// signedIn starts the session of a sign-in whose every factor passed,
// records it (the provider identity's and the customer's lastSignInAt,
// auth.login_succeeded) and merges the anonymous shopper whose token the
// request carried, in st.
func (s *Service) signedIn(ctx context.Context, st Store, bearer string, a *gatehouse.AuthIdentity, providerIdentityID string, start sessionStart) (*gatehouse.Ticket, error) {
	t, err := s.startSession(ctx, st, a, start)
	if err != nil {
		return nil, err
	}
	if err := st.RecordSignIn(ctx, providerIdentityID, a.ActorType, a.ActorID(), s.clock()); err != nil {
		return nil, err
	}
	if err := s.cancelDeletion(ctx, st, a, t.SessionID); err != nil {
		return nil, err
	}
	if err := s.mergeAnonymous(ctx, st, bearer, t); err != nil {
		return nil, err
	}
	payload := map[string]any{"provider": start.method, "session_id": t.SessionID, "registration": t.ActorID == nil}
	if start.aal == gatehouse.AAL2 {
		payload["aal"], payload["amr"] = start.aal, start.amr
	}
	return t, s.emit(ctx, st, gatehouse.Event{
		Name: gatehouse.EventLoginSucceeded, AuthIdentityID: a.ID, ActorType: a.ActorType, SessionID: t.SessionID,
		Payload: payload,
	})
}

// sessionStart is how a session begins: the sign-in method, its
// assurance and methods, and its id when a challenge chose it ("" for a
// new one).
type sessionStart struct {
	id     string
	method string
	aal    string
	amr    []string
}

// signIn starts a session for an identity and returns a full ticket: an
// access token carrying the session id and the session's first refresh
// token. The session and its token are written in one transaction (st's,
// if it is one).
func (s *Service) signIn(ctx context.Context, st Store, a *gatehouse.AuthIdentity, method string) (*gatehouse.Ticket, error) {
	return s.startSession(ctx, st, a, sessionStart{method: method, amr: firstFactorAMR(method)})
}

// startSession is signIn for a session begun as start says.
func (s *Service) startSession(ctx context.Context, st Store, a *gatehouse.AuthIdentity, start sessionStart) (*gatehouse.Ticket, error) {
	now := s.clock()
	o := gatehouse.OriginFrom(ctx)
	if start.id == "" {
		start.id = gatehouse.NewID(gatehouse.PrefixSession)
	}
	if start.aal == "" {
		start.aal = gatehouse.AAL1
	}
	sess := &gatehouse.Session{
		ID:             start.id,
		AuthIdentityID: a.ID,
		ActorType:      a.ActorType,
		CreatedAt:      now,
		LastActiveAt:   now,
		ExpiresAt:      now.Add(s.life.SessionMaxAge[a.ActorType]),
		IP:             o.IP,
		UserAgent:      o.UserAgent,
		DeviceLabel:    device.Label(o.UserAgent),
		SignInMethod:   start.method,
		AAL:            start.aal,
		AMR:            start.amr,
	}
	sess.IdleExpiresAt = s.idleExpiry(sess, now)
	tok, err := secret.New(s.rand)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	rt := &gatehouse.RefreshToken{
		ID:        gatehouse.NewID(gatehouse.PrefixRefreshToken),
		SessionID: sess.ID,
		TokenHash: secret.Hash(tok),
		CreatedAt: now,
		ExpiresAt: sess.IdleExpiresAt,
	}
	var t *gatehouse.Ticket
	err = st.Tx(ctx, func(st Store) error {
		if err := st.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := st.CreateRefreshToken(ctx, rt); err != nil {
			return err
		}
		t, err = s.ticket(ctx, st, a, sess, &issuedRefresh{tok, rt.ExpiresAt})
		return err
	})
	return t, err
}

// countAttempt counts an attempt against the provider identity a lookup
// found (lookupErr is the lookup's error), for the paths that cannot find
// and count in one statement. An unknown account runs the same statement.
func (s *Service) countAttempt(ctx context.Context, p *gatehouse.ProviderIdentity, lookupErr error) (Attempt, error) {
	identity := "authid_none"
	if lookupErr == nil {
		identity = p.AuthIdentityID
	}
	attempts, locks, locked, err := s.store.TakeAttempt(ctx, identity, s.clock())
	return Attempt{Attempts: attempts, Locks: locks, Locked: locked}, err
}

// checkAttempt checks a sign-in password under the lockout rule, the
// attempt at having been counted before the check, so that parallel
// attempts cannot slip past the limit. A locked identity, an unknown
// email and a wrong password all cost the same hashing (one derivation of
// each stored kind of hash) and answer the same INVALID_CREDENTIALS. A
// check that reaches no verdict (the hash queue is full, the request
// ended) takes its count back: being turned away under load must not lock
// an account.
func (s *Service) checkAttempt(ctx context.Context, actor gatehouse.ActorType, p *gatehouse.ProviderIdentity, at Attempt, lookupErr error, pw string) error {
	if lookupErr != nil && gatehouse.ErrorCode(lookupErr) != gatehouse.CodeNotFound {
		return lookupErr // nothing was counted
	}
	known := lookupErr == nil
	if known && (at.Locked || at.Attempts > s.lockout.MaxAttempts) {
		if err := s.hasher.VerifyDecoys(ctx, pw, s.decoys.Load()); err != nil {
			if !at.Locked {
				s.uncount(ctx, p.AuthIdentityID)
			}
			return hashError(err)
		}
		s.loginFailed(ctx, actor, p.AuthIdentityID, "locked")
		return errInvalidCredentials
	}
	err := s.checkPassword(ctx, p, lookupErr, pw)
	switch {
	case err == nil:
		// The sign-in's transaction forgets the count (ResetAttempts).
		return nil
	case err != errInvalidCredentials:
		if known {
			s.uncount(ctx, p.AuthIdentityID)
		}
		return err
	case !known:
		s.loginFailed(ctx, actor, "", "invalid_credentials")
		return err
	}
	if at.Attempts == s.lockout.MaxAttempts {
		if err := s.lockIdentity(ctx, actor, p.AuthIdentityID, at); err != nil {
			return err
		}
	}
	s.loginFailed(ctx, actor, p.AuthIdentityID, "invalid_credentials")
	return err
}

// lockIdentity locks an identity whose failed attempts (at, this one's
// count) reached the limit, and records auth.account_locked.
func (s *Service) lockIdentity(ctx context.Context, actor gatehouse.ActorType, authIdentityID string, at Attempt) error {
	now := s.clock()
	until := now.Add(lockFor(s.lockout, at.Locks))
	return s.store.Tx(ctx, func(st Store) error {
		if err := st.Lock(ctx, authIdentityID, until, now); err != nil {
			return err
		}
		return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventAccountLocked, AuthIdentityID: authIdentityID, ActorType: actor,
			Payload: map[string]any{"locked_until": until, "lock_count": at.Locks + 1, "failed_attempts": at.Attempts}})
	})
}

// uncount takes back a counted attempt, even for a request that has
// ended; failing to changes no answer.
func (s *Service) uncount(ctx context.Context, authIdentityID string) {
	if err := s.store.UncountAttempt(context.WithoutCancel(ctx), authIdentityID); err != nil {
		s.log.WarnContext(ctx, "could not take back a password attempt", "auth_identity_id", authIdentityID, "error", err)
	}
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
// (lookupErr is the lookup's error). A missing identity, an identity
// without a usable hash and a wrong password all cost the same hashing
// work, whatever the kind of the account's hash (equalwork.go), and get
// the same answer.
func (s *Service) checkPassword(ctx context.Context, p *gatehouse.ProviderIdentity, lookupErr error, pw string) error {
	if gatehouse.ErrorCode(lookupErr) == gatehouse.CodeNotFound {
		if err := s.hasher.VerifyDecoys(ctx, pw, s.decoys.Load()); err != nil {
			return hashError(err)
		}
		return errInvalidCredentials
	}
	if lookupErr != nil {
		return lookupErr
	}
	hash := p.PasswordHash()
	if hash == "" {
		// An identity with no password (made by an email code, or
		// cleared by revertEmailChange): a wrong password's work.
		if err := s.hasher.VerifyDecoys(ctx, pw, s.decoys.Load()); err != nil {
			return hashError(err)
		}
		return errInvalidCredentials
	}
	ok, rehash, err := s.hasher.VerifyEqual(ctx, pw, hash, s.decoysFor(ctx, hash))
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

// hashError maps a password hasher failure: a full queue sheds the
// request with RATE_LIMITED and a retry time; a request that ended is
// passed on as it is.
func hashError(err error) error {
	var busy *password.BusyError
	if errors.As(err, &busy) {
		return &gatehouse.Error{Code: gatehouse.CodeRateLimited, RetryAfter: busy.RetryAfter,
			Message: "Too many sign-ins are being processed; retry shortly.", Err: err}
	}
	return gatehouse.Internal(fmt.Errorf("password hashing: %w", err))
}
