package auth

import (
	"context"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// One-time email codes, provider emailcode: a first factor only. A code
// is six digits, alive EmailCodeTTL, good for EmailCodeTries tries, kept
// only as a keyed hash bound to its row, sent by a subscriber of
// auth.email_code. An account with a second factor still gets the
// challenge.

const (
	// EmailCodeTTL is how long an email code may be used.
	EmailCodeTTL = 10 * time.Minute
	// EmailCodeTries is how many tries a code allows; then it is dead.
	EmailCodeTries = 5
)

var errEmailCode = gatehouse.FieldError(gatehouse.CodeInvalidCredentials, []string{"input", "code"},
	"The code is incorrect or has expired; ask for a new one if it keeps failing.")

// RequestEmailCode sends a sign-in code to an address: it emits
// auth.email_code with the code, for a subscriber to send. A customer's
// address without an account gets one too (signing in with it registers,
// as register does). The answer is the same for every address, and so is
// the work: an admin address without an account runs the same statements
// and rolls them back.
func (s *Service) RequestEmailCode(ctx context.Context, actor gatehouse.ActorType, address string) error {
	if !actor.Valid() {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"actor"}, "Unknown actor type.")
	}
	email := gatehouse.NormalizeEmail(address)
	if err := checkEmail(email, []string{"input", "email"}); err != nil {
		return err
	}
	p, err := s.store.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, email)
	known := err == nil
	if err != nil && gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return err
	}
	// Admin identities need an invite: an unknown admin address gets
	// nothing, after the same work.
	send := known || actor == gatehouse.ActorCustomer
	code, err := sixDigits(s.rand)
	if err != nil {
		return gatehouse.Internal(err)
	}
	now := s.clock()
	c := &gatehouse.EmailCode{ID: gatehouse.NewID(gatehouse.PrefixEmailCode), ActorType: actor, Email: email,
		CreatedAt: now, ExpiresAt: now.Add(EmailCodeTTL)}
	if known {
		c.AuthIdentityID = p.AuthIdentityID
	}
	c.CodeHash = s.emailCodeHash(c.ID, code)
	err = s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateEmailCode(ctx, c); err != nil {
			return err
		}
		if err := s.emit(ctx, st, gatehouse.Event{
			Name: gatehouse.EventEmailCode, AuthIdentityID: c.AuthIdentityID, ActorType: actor,
			Payload: map[string]any{"email": email, "actor_type": actor, "expires_at": c.ExpiresAt, "registration": !known},
			Secrets: map[string]string{"code": code},
		}); err != nil {
			return err
		}
		if !send {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return err
	}
	return nil
}

// authenticateEmailCode signs in with an email code: the identity of the
// address (with the challenge, when it has a second factor), or for a
// customer's address without one a new identity, verified, with a
// registration ticket.
func (s *Service) authenticateEmailCode(ctx context.Context, bearer string, actor gatehouse.ActorType, in PasswordCredentials) (*gatehouse.Ticket, error) {
	email := gatehouse.NormalizeEmail(deref(in.Email))
	if err := checkEmail(email, []string{"input", "email"}); err != nil {
		return nil, err
	}
	code := deref(in.Code)
	if code == "" {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "code"}, "The code from the email is required.")
	}
	c, err := s.store.LiveEmailCode(ctx, actor, email)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, errEmailCode
	case err != nil:
		return nil, err
	}
	now := s.clock()
	if !now.Before(c.ExpiresAt) || c.Attempts >= EmailCodeTries {
		return nil, errEmailCode
	}
	if !hmac.Equal([]byte(s.emailCodeHash(c.ID, code)), []byte(c.CodeHash)) {
		if _, err := s.store.FailEmailCode(ctx, c.ID); err != nil && gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			return nil, err
		}
		return nil, errEmailCode
	}
	var t *gatehouse.Ticket
	err = s.store.Tx(ctx, func(st Store) error {
		ok, err := st.ClaimEmailCode(ctx, c.ID, EmailCodeTries, now)
		if err != nil {
			return err
		}
		if !ok {
			return errEmailCode // a racing request used it
		}
		p, err := st.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, email)
		switch {
		case err == nil:
			if !emailVerified(p) {
				// The code proved the address.
				if err := st.SetUserMetadata(ctx, p.ID, withVerified(p.UserMetadata), now); err != nil {
					return err
				}
			}
			if t, err = s.signInMergingTx(ctx, st, bearer, gatehouse.ProviderEmailCode, p.AuthIdentityID, p.ID, false); err != nil || t.ActorID == nil {
				return err
			}
			// The customer or user created after the identity learns it too.
			return st.MarkEmailVerified(ctx, actor, *t.ActorID, email, now)
		case gatehouse.ErrorCode(err) != gatehouse.CodeNotFound:
			return err
		case actor != gatehouse.ActorCustomer:
			return errEmailCode
		}
		t, err = s.registerByEmailCode(ctx, st, bearer, email, now)
		return err
	})
	if gatehouse.ErrorCode(err) == gatehouse.CodeUnauthenticated {
		return nil, errEmailCode // a deactivated or deleted account, as a wrong code
	}
	return t, err
}

// registerByEmailCode creates a customer identity for an address a code
// proved, without a password, and answers its registration ticket. A
// customer who has the address but signs in only with a third-party
// provider gets the email sign-in added instead, and is signed in: the
// code proved the address as a reset link would, and a new identity
// would be an orphan whose createCustomer answers DUPLICATE.
func (s *Service) registerByEmailCode(ctx context.Context, st Store, bearer, email string, now time.Time) (*gatehouse.Ticket, error) {
	a := newAuthIdentity(gatehouse.ActorCustomer, now)
	p := &gatehouse.ProviderIdentity{
		ID: gatehouse.NewID(gatehouse.PrefixProviderIdentity), AuthIdentityID: a.ID, ActorType: gatehouse.ActorCustomer,
		Provider: gatehouse.ProviderEmailPass, EntityID: email, ProviderMetadata: map[string]any{},
		UserMetadata: withVerified(nil), CreatedAt: now, UpdatedAt: now,
	}
	switch c, err := st.AccountCustomerByEmail(ctx, email); {
	case err == nil:
		owner, err := st.AuthIdentityByActor(ctx, gatehouse.ActorCustomer, c.ID)
		switch {
		case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
			// A customer with no way to sign in at all (imported so):
			// the code proved the address, so it gets one.
			a.AppMetadata = map[string]any{gatehouse.ActorCustomer.MetadataKey(): c.ID}
			if err := st.CreateIdentity(ctx, a, p); err != nil {
				return nil, conflictOnDuplicate(err)
			}
			owner = a
		case err != nil:
			return nil, err
		default:
			p.AuthIdentityID = owner.ID
			if err := st.CreateProviderIdentity(ctx, p); err != nil {
				return nil, conflictOnDuplicate(err)
			}
		}
		t, err := s.signInMergingTx(ctx, st, bearer, gatehouse.ProviderEmailCode, owner.ID, p.ID, false)
		if err != nil {
			return nil, err
		}
		return t, st.MarkEmailVerified(ctx, gatehouse.ActorCustomer, c.ID, email, now)
	case gatehouse.ErrorCode(err) != gatehouse.CodeNotFound:
		return nil, err
	}
	if err := st.CreateIdentity(ctx, a, p); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeDuplicate {
			return nil, errDuplicateIdentity
		}
		return nil, err
	}
	t, err := s.signIn(ctx, st, a, gatehouse.ProviderEmailCode)
	if err != nil {
		return nil, err
	}
	return t, s.mergeAnonymous(ctx, st, bearer, t)
}

// emailCodeHash is how an email code is stored: bound to its row, under a
// key the database does not hold (a million codes fall to a plain hash).
func (s *Service) emailCodeHash(id, code string) string {
	return secret.KeyedHash(s.factorKey, "email_code/"+id, code)
}

// sixDigits is a uniform random six-digit code read from r.
func sixDigits(r io.Reader) (string, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("read random code: %w", err)
		}
		// Rejection sampling: no digit more likely than another.
		if v := binary.BigEndian.Uint32(b[:]); v < 4294000000 {
			return fmt.Sprintf("%06d", v%1000000), nil
		}
	}
}
