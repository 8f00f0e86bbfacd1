package auth

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// The email change: requestEmailChange sends a confirmation token to the
// new address and a revert token to the old one; confirmEmailChange makes
// the change; revertEmailChange, from the old address, undoes it and
// locks the account down (every session ends, the password must be
// reset). Nothing about the new address is looked up before the
// confirmation, so a request for an address another account holds
// answers and works exactly as one for a free address.

const (
	// emailChangeTTL is how long the confirmation link works.
	emailChangeTTL = 24 * time.Hour
	// emailRevertTTL is how long the old address can undo the change.
	emailRevertTTL = 72 * time.Hour
)

var (
	emailChangeErrors = tokenErrors{
		invalid: gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "token"}, "The email change token is unknown, used or superseded."),
		expired: gatehouse.FieldError(gatehouse.CodeTokenExpired, []string{"input", "token"}, "The email change link has expired; ask for a new one."),
	}
	emailRevertErrors = tokenErrors{
		invalid: gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "token"}, "The revert token is unknown or used."),
		expired: gatehouse.FieldError(gatehouse.CodeTokenExpired, []string{"input", "token"}, "The revert link has expired; contact support."),
	}
	errEmailTaken = gatehouse.FieldError(gatehouse.CodeDuplicate, []string{"input", "token"},
		"The email address now belongs to another account; ask to change to another address.")
)

// RequestEmailChange starts moving the signed-in customer or user to
// newEmail. It needs the step-up (a recent authentication at the
// identity's highest level), for which the current password stands in
// when the identity has no second factor. It emits
// auth.email_change_requested (to the new address, with the confirmation
// token) and auth.email_change_notice (to the old one, with the revert
// token). actor names whose cookie to use when no bearer token is sent.
func (s *Service) RequestEmailChange(ctx context.Context, cred Credential, actor gatehouse.ActorType, newEmail, currentPassword string) error {
	actor = s.credentialActor(cred, actor)
	p, err := s.principal(ctx, cred, actor, linked)
	if err != nil {
		return err
	}
	if err := p.notImpersonating("change the email"); err != nil {
		return err
	}
	email := gatehouse.NormalizeEmail(newEmail)
	if err := checkEmail(email, []string{"input", "newEmail"}); err != nil {
		return err
	}
	old, err := s.accountEmail(ctx, p.ActorType, p.ActorID)
	if err != nil {
		return err
	}
	if email == old {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "newEmail"}, "That is already the account's email address.")
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return err
	}
	if a.Anonymous() || old == "" {
		return gatehouse.Errorf(gatehouse.CodeNotAllowed, "This account has no email address to change: an anonymous shopper registers instead.")
	}
	if err := s.proveHolder(ctx, p, a, currentPassword); err != nil {
		return err
	}
	tok, err := secret.New(s.rand)
	if err != nil {
		return gatehouse.Internal(err)
	}
	revert, err := secret.New(s.rand)
	if err != nil {
		return gatehouse.Internal(err)
	}
	now := s.clock()
	c := &gatehouse.EmailChange{
		ID: gatehouse.NewID(gatehouse.PrefixEmailChange), AuthIdentityID: p.AuthIdentityID, ActorType: p.ActorType,
		OldEmail: old, NewEmail: email, TokenHash: secret.Hash(tok), RevertTokenHash: secret.Hash(revert),
		CreatedAt: now, ExpiresAt: now.Add(emailChangeTTL), RevertExpiresAt: now.Add(emailRevertTTL),
	}
	return s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateEmailChange(ctx, c); err != nil {
			return err
		}
		if err := s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventEmailChangeRequested, AuthIdentityID: p.AuthIdentityID, ActorType: p.ActorType,
			ActorID: p.ActorID, ActorKind: p.ActorType, SubjectID: p.ActorID, SessionID: p.SessionID,
			Payload: map[string]any{"entity_id": email, "previous_email": old, "email_change_id": c.ID, "expires_at": c.ExpiresAt},
			Secrets: map[string]string{"token": tok}}); err != nil {
			return err
		}
		return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventEmailChangeNotice, AuthIdentityID: p.AuthIdentityID, ActorType: p.ActorType,
			ActorID: p.ActorID, ActorKind: p.ActorType, SubjectID: p.ActorID, SessionID: p.SessionID,
			Payload: map[string]any{"entity_id": old, "new_email": email, "email_change_id": c.ID, "expires_at": c.RevertExpiresAt},
			Secrets: map[string]string{"token": revert}})
	})
}

// ConfirmEmailChange makes the change a confirmation token was sent for:
// the email+password identity and the customer or user move to the new
// address, marked verified, in one transaction with the token's
// consumption; the identity's other sessions end (the one presenting cred
// stays), and its reset and verification links for the old address stop
// working. An address another account took meanwhile is DUPLICATE.
func (s *Service) ConfirmEmailChange(ctx context.Context, cred Credential, tok string) error {
	c, err := s.usableEmailChange(ctx, tok, false)
	if err != nil {
		return err
	}
	keep := ""
	if p, err := s.principal(ctx, cred, c.ActorType, linked); err == nil && p.AuthIdentityID == c.AuthIdentityID {
		keep = p.SessionID
	}
	return s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		switch ok, err := st.ClaimEmailChange(ctx, c.ID, now); {
		case err != nil:
			return err
		case !ok:
			return emailChangeErrors.invalid
		}
		actorID, err := s.moveEmail(ctx, st, c, c.NewEmail, emailChangeErrors, now)
		if err != nil {
			return err
		}
		var revoked int
		if keep != "" {
			revoked, err = st.RevokeOtherSessions(ctx, c.AuthIdentityID, keep, gatehouse.RevokedEmailChanged, now)
		} else {
			revoked, err = st.RevokeSessions(ctx, c.AuthIdentityID, "", gatehouse.RevokedEmailChanged, now)
		}
		if err != nil {
			return err
		}
		return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventEmailChanged, AuthIdentityID: c.AuthIdentityID, ActorType: c.ActorType,
			ActorID: actorID, ActorKind: c.ActorType, SubjectID: actorID, SessionID: keep,
			Payload: map[string]any{"entity_id": c.NewEmail, "previous_email": c.OldEmail, "email_change_id": c.ID, "revoked_sessions": revoked}})
	})
}

// RevertEmailChange undoes an email change with the revert token sent to
// the old address (within 72 hours, confirmed or not): the pending
// changes are cancelled, a confirmed one is rolled back to the old
// address, every session ends, and the password is cleared, with a reset
// token for the old address in auth.password_reset: whoever changed the
// email may know the password. All in one transaction.
func (s *Service) RevertEmailChange(ctx context.Context, tok string) error {
	c, err := s.usableEmailChange(ctx, tok, true)
	if err != nil {
		return err
	}
	reset, err := secret.New(s.rand)
	if err != nil {
		return gatehouse.Internal(err)
	}
	return s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		switch ok, err := st.ClaimEmailRevert(ctx, c.ID, now); {
		case err != nil:
			return err
		case !ok:
			return emailRevertErrors.invalid
		}
		if _, err := st.CancelEmailChanges(ctx, c.AuthIdentityID, now); err != nil {
			return err
		}
		a, err := st.AuthIdentity(ctx, c.AuthIdentityID)
		if err != nil {
			return invalidIfMissing(err, emailRevertErrors)
		}
		if c.ConfirmedAt != nil {
			if _, err := s.moveEmail(ctx, st, c, c.OldEmail, emailRevertErrors, now); err != nil {
				return err
			}
		} else if err := st.RetireActionTokens(ctx, c.AuthIdentityID, now); err != nil {
			return err
		}
		revoked, err := st.RevokeSessions(ctx, c.AuthIdentityID, "", gatehouse.RevokedEmailReverted, now)
		if err != nil {
			return err
		}
		resetRequired, err := s.requireReset(ctx, st, c, reset, now)
		if err != nil {
			return err
		}
		actorID := a.ActorID()
		return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventEmailChangeReverted, AuthIdentityID: c.AuthIdentityID, ActorType: c.ActorType,
			ActorID: actorID, ActorKind: c.ActorType, SubjectID: actorID,
			Payload: map[string]any{"entity_id": c.OldEmail, "reverted_email": c.NewEmail, "email_change_id": c.ID,
				"was_confirmed": c.ConfirmedAt != nil, "revoked_sessions": revoked, "password_reset_required": resetRequired}})
	})
}

// usableEmailChange loads the email change of a confirmation (or, with
// revert, a revert) token while it can still be used; it only reads.
func (s *Service) usableEmailChange(ctx context.Context, tok string, revert bool) (*gatehouse.EmailChange, error) {
	e := emailChangeErrors
	if revert {
		e = emailRevertErrors
	}
	if !secret.WellFormed(tok) {
		return nil, e.invalid
	}
	c, err := s.store.EmailChangeByToken(ctx, secret.Hash(tok), revert)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, e.invalid
	case err != nil:
		return nil, err
	}
	now := s.clock()
	switch {
	case revert && c.RevertedAt != nil:
		return nil, e.invalid
	case revert && !now.Before(c.RevertExpiresAt):
		return nil, e.expired
	case !revert && (c.ConfirmedAt != nil || c.CancelledAt != nil || c.RevertedAt != nil):
		return nil, e.invalid
	case !revert && !now.Before(c.ExpiresAt):
		return nil, e.expired
	}
	return c, nil
}

// moveEmail moves the identity of c and its customer or user to email,
// verified, and retires the identity's reset and verification links; it
// answers the actor's id. An identity gone since is e's invalid.
func (s *Service) moveEmail(ctx context.Context, st Store, c *gatehouse.EmailChange, email string, e tokenErrors, now time.Time) (string, error) {
	a, err := st.AuthIdentity(ctx, c.AuthIdentityID)
	if err != nil {
		return "", invalidIfMissing(err, e)
	}
	if a.ActorID() == "" {
		return "", e.invalid
	}
	ps, err := st.ProviderIdentities(ctx, c.AuthIdentityID)
	if err != nil {
		return "", err
	}
	pid := ""
	for _, p := range ps {
		if p.Provider != gatehouse.ProviderEmailPass {
			continue
		}
		pid = p.ID
		if err := st.SetUserMetadata(ctx, p.ID, withVerified(p.UserMetadata), now); err != nil {
			return "", err
		}
	}
	err = st.SetAccountEmail(ctx, c.ActorType, a.ActorID(), pid, email, now)
	if gatehouse.ErrorCode(err) == gatehouse.CodeDuplicate {
		return "", errEmailTaken
	}
	if err != nil {
		return "", err
	}
	return a.ActorID(), st.RetireActionTokens(ctx, c.AuthIdentityID, now)
}

// requireReset clears the password of c's email+password identity, if it
// has one, and emits auth.password_reset with tok for the old address,
// as generateResetPasswordToken would: the holder of that address sets
// the next password. It answers whether it did.
func (s *Service) requireReset(ctx context.Context, st Store, c *gatehouse.EmailChange, tok string, now time.Time) (bool, error) {
	ps, err := st.ProviderIdentities(ctx, c.AuthIdentityID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.Provider != gatehouse.ProviderEmailPass || p.PasswordHash() == "" {
			continue
		}
		if err := st.SetProviderMetadata(ctx, p.ID, withPassword(p.ProviderMetadata, ""), now); err != nil {
			return false, err
		}
		if err := st.Unlock(ctx, c.AuthIdentityID, now); err != nil {
			return false, err
		}
		t := &gatehouse.ActionToken{
			ID: gatehouse.NewID(gatehouse.PrefixActionToken), Purpose: gatehouse.PurposePasswordReset,
			AuthIdentityID: c.AuthIdentityID, ProviderIdentityID: p.ID, ActorType: c.ActorType, Email: c.OldEmail,
			TokenHash: secret.Hash(tok), CreatedAt: now, ExpiresAt: now.Add(s.resetTTL),
		}
		if err := st.CreateActionToken(ctx, t); err != nil {
			return false, err
		}
		return true, s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventPasswordReset, AuthIdentityID: c.AuthIdentityID, ActorType: c.ActorType,
			Payload: map[string]any{"entity_id": c.OldEmail, "actor_type": c.ActorType, "provider": gatehouse.ProviderEmailPass,
				"expires_at": t.ExpiresAt, "reason": "email_change_reverted"},
			Secrets: map[string]string{"token": tok}})
	}
	return false, nil
}

// invalidIfMissing is an identity lookup's error for a token whose
// identity is gone (deleted since): the token's invalid answer.
func invalidIfMissing(err error, e tokenErrors) error {
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return e.invalid
	}
	return err
}

// accountEmail is the email of the customer or user with the id.
func (s *Service) accountEmail(ctx context.Context, actor gatehouse.ActorType, id string) (string, error) {
	if actor == gatehouse.ActorUser {
		u, err := s.store.User(ctx, id)
		if err != nil {
			return "", revokedIfMissing(err)
		}
		return u.Email, nil
	}
	c, err := s.store.Customer(ctx, id)
	if err != nil {
		return "", revokedIfMissing(err)
	}
	return deref(c.Email), nil
}

// proveHolder is the step-up of a change that takes the current password
// in its stead: a recent authentication at identity a's highest level,
// or, for an identity with no second factor, its password (checked under
// the lockout, as a sign-in is).
func (s *Service) proveHolder(ctx context.Context, p *principal, a *gatehouse.AuthIdentity, password string) error {
	err := s.requireRecent(p, a)
	if err == nil || a.MFAEnabled || password == "" {
		return err
	}
	err = s.reauthPassword(ctx, p, password)
	if gatehouse.ErrorCode(err) == gatehouse.CodeInvalidCredentials {
		return gatehouse.FieldError(gatehouse.CodeInvalidCredentials, []string{"input", "currentPassword"}, "The current password is incorrect.")
	}
	return err
}
