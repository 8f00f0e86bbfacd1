package auth

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// errRollback ends the transaction of the unknown-identifier path of
// GenerateResetPasswordToken after it did the same work as the known one.
var errRollback = errors.New("auth: roll back")

// GenerateResetPasswordToken makes a password-reset token for the identity
// with the identifier (its email) and emits auth.password_reset carrying
// it, for a subscriber to send. The answer is the same whether or not the
// identity exists, and so is the work (see issueByIdentifier).
func (s *Service) GenerateResetPasswordToken(ctx context.Context, actor gatehouse.ActorType, provider, identifier string) error {
	return s.issueByIdentifier(ctx, actor, provider, identifier, gatehouse.PurposePasswordReset, gatehouse.EventPasswordReset, s.resetTTL)
}

// SendEmailVerification makes an email-verification token for the
// identity with the identifier, without a sign-in (for someone whose
// sign-in waits for a verified email), answering the same whether or not
// the identity exists. An identity already verified gets no token.
func (s *Service) SendEmailVerification(ctx context.Context, actor gatehouse.ActorType, provider, identifier string) error {
	return s.issueByIdentifier(ctx, actor, provider, identifier, gatehouse.PurposeEmailVerification, gatehouse.EventEmailVerification, verificationTTL)
}

// issueByIdentifier makes a single-use token of purpose for the email+
// password identity with the identifier and emits event carrying it. The
// unknown path (and, for verification, the already-verified one) runs the
// same statements on a placeholder and rolls them back, so neither the
// answer nor the work tells whether the account exists.
func (s *Service) issueByIdentifier(ctx context.Context, actor gatehouse.ActorType, provider, identifier, purpose, event string, ttl time.Duration) error {
	if err := checkProvider(actor, provider); err != nil {
		return err
	}
	email := gatehouse.NormalizeEmail(identifier)
	if err := checkEmail(email, []string{"input", "identifier"}); err != nil {
		return err
	}
	p, err := s.store.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, email)
	known := err == nil && !(purpose == gatehouse.PurposeEmailVerification && emailVerified(p))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		err = nil
	case err != nil:
		return err
	}
	if !known {
		p = &gatehouse.ProviderIdentity{ID: "provid_none", AuthIdentityID: "authid_none", ActorType: actor, EntityID: email}
	}
	tok, err := secret.New(s.rand)
	if err != nil {
		return gatehouse.Internal(err)
	}
	now := s.clock()
	t := &gatehouse.ActionToken{
		ID:                 gatehouse.NewID(gatehouse.PrefixActionToken),
		Purpose:            purpose,
		AuthIdentityID:     p.AuthIdentityID,
		ProviderIdentityID: p.ID,
		ActorType:          actor,
		Email:              email,
		TokenHash:          secret.Hash(tok),
		CreatedAt:          now,
		ExpiresAt:          now.Add(ttl),
	}
	err = s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateActionToken(ctx, t); err != nil {
			return err
		}
		if err := s.emit(ctx, st, gatehouse.Event{
			Name: event, AuthIdentityID: p.AuthIdentityID, ActorType: actor,
			Payload: map[string]any{"entity_id": email, "actor_type": actor, "provider": provider, "expires_at": t.ExpiresAt},
			Secrets: map[string]string{"token": tok},
		}); err != nil {
			return err
		}
		if !known {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return err
	}
	return nil
}

var resetTokenErrors = tokenErrors{
	invalid: gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "token"}, "The reset token is unknown, used or meant for another account."),
	expired: gatehouse.FieldError(gatehouse.CodeTokenExpired, []string{"input", "token"}, "The reset token has expired; ask for a new one."),
}

// ResetPassword sets a new password with a reset token: the token is
// consumed in one statement (of two racing resets one wins), every session
// of the identity ends, a lockout is cleared, and auth.password_changed is
// emitted, all in one transaction.
func (s *Service) ResetPassword(ctx context.Context, actor gatehouse.ActorType, provider, tok, newPassword string) error {
	if err := checkProvider(actor, provider); err != nil {
		return err
	}
	t, err := s.usableToken(ctx, gatehouse.PurposePasswordReset, tok, actor, resetTokenErrors)
	if err != nil {
		return err
	}
	// The policy looks for the account's names too: they are the actor's.
	a, err := s.store.AuthIdentity(ctx, t.AuthIdentityID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return resetTokenErrors.invalid
	case err != nil:
		return err
	}
	pc, err := s.storedPasswordContext(ctx, t.Email, t.ActorType, a.ActorID())
	if err != nil {
		return err
	}
	if err := checkNewPassword(newPassword, pc, []string{"input", "password"}); err != nil {
		return err
	}
	h, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return hashError(err)
	}
	return s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		if err := claimToken(ctx, st, t, now, resetTokenErrors); err != nil {
			return err
		}
		return s.setPassword(ctx, st, t.ProviderIdentityID, t.AuthIdentityID, actor, h, "", "reset", now)
	})
}

// ChangePassword changes the password of the signed-in identity after
// checking the current one, and ends every other session. An identity
// with a second factor needs the step-up too: its password alone is not
// its highest level.
// actor names whose cookie to use when no bearer token is sent.
func (s *Service) ChangePassword(ctx context.Context, cred Credential, actor gatehouse.ActorType, current, next string) error {
	actor = s.credentialActor(cred, actor)
	claims, err := s.principal(ctx, cred, actor, registration)
	if err != nil {
		return err
	}
	if err := claims.notImpersonating("change the password"); err != nil {
		return err
	}
	if err := s.requireRecentIfMFA(ctx, claims); err != nil {
		return err
	}
	p, err := s.passwordIdentity(ctx, claims.AuthIdentityID)
	if err != nil {
		return err
	}
	if p.PasswordHash() == "" {
		return gatehouse.Errorf(gatehouse.CodeNotAllowed, "This account signs in without a password.")
	}
	if current == "" || checkSignInPassword(current) != nil {
		return gatehouse.FieldError(gatehouse.CodeInvalidCredentials, []string{"input", "currentPassword"}, "The current password is incorrect.")
	}
	pc, err := s.storedPasswordContext(ctx, p.EntityID, claims.ActorType, claims.ActorID)
	if err != nil {
		return err
	}
	if err := checkNewPassword(next, pc, []string{"input", "newPassword"}); err != nil {
		return err
	}
	if err := s.checkPassword(ctx, p, nil, current); err != nil {
		if err == errInvalidCredentials {
			return gatehouse.FieldError(gatehouse.CodeInvalidCredentials, []string{"input", "currentPassword"}, "The current password is incorrect.")
		}
		return err
	}
	h, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return hashError(err)
	}
	return s.store.Tx(ctx, func(st Store) error {
		return s.setPassword(ctx, st, p.ID, p.AuthIdentityID, p.ActorType, h, claims.SessionID, "change", s.clock())
	})
}

// setPassword stores a new password hash, ends the identity's sessions
// (but keep), clears a lockout and emits auth.password_changed, in st's
// transaction.
func (s *Service) setPassword(ctx context.Context, st Store, providerIdentityID, authIdentityID string, actor gatehouse.ActorType, hash, keep, how string, now time.Time) error {
	ps, err := st.ProviderIdentities(ctx, authIdentityID)
	if err != nil {
		return err
	}
	var p *gatehouse.ProviderIdentity
	for _, pi := range ps {
		if pi.ID == providerIdentityID {
			p = pi
		}
	}
	if p == nil {
		return resetTokenErrors.invalid
	}
	if err := st.SetProviderMetadata(ctx, p.ID, withPassword(p.ProviderMetadata, hash), now); err != nil {
		return err
	}
	var revoked int
	if keep != "" {
		revoked, err = st.RevokeOtherSessions(ctx, authIdentityID, keep, gatehouse.RevokedPasswordChanged, now)
	} else {
		revoked, err = st.RevokeSessions(ctx, authIdentityID, "", gatehouse.RevokedPasswordChanged, now)
	}
	if err != nil {
		return err
	}
	if err := st.Unlock(ctx, authIdentityID, now); err != nil {
		return err
	}
	return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventPasswordChanged, AuthIdentityID: authIdentityID, ActorType: actor,
		Payload: map[string]any{"entity_id": p.EntityID, "how": how, "revoked_sessions": revoked}})
}
