package auth

import (
	"context"
	"maps"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// verificationTTL is how long an email verification link works.
const verificationTTL = 24 * time.Hour

// emailVerified reports whether an email+password identity's email was
// proven by a verification link.
func emailVerified(p *gatehouse.ProviderIdentity) bool {
	v, _ := p.UserMetadata["email_verified"].(bool)
	return v
}

// withVerified is a copy of user metadata with the email marked verified
// (emailVerified reads it).
func withVerified(md map[string]any) map[string]any {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]any{}
	}
	out["email_verified"] = true
	return out
}

// RequestEmailVerification makes a verification token for the signed-in
// identity's email and emits auth.email_verification carrying it.
func (s *Service) RequestEmailVerification(ctx context.Context, cred Credential, actor gatehouse.ActorType) error {
	actor = s.credentialActor(cred, actor)
	claims, err := s.principal(ctx, cred, actor, registration)
	if err != nil {
		return err
	}
	p, err := s.passwordIdentity(ctx, claims.AuthIdentityID)
	if err != nil {
		return err
	}
	if emailVerified(p) {
		return gatehouse.Errorf(gatehouse.CodeNotAllowed, "The email address is already verified.")
	}
	tok, err := secret.New(s.rand)
	if err != nil {
		return gatehouse.Internal(err)
	}
	now := s.clock()
	t := &gatehouse.ActionToken{
		ID: gatehouse.NewID(gatehouse.PrefixActionToken), Purpose: gatehouse.PurposeEmailVerification,
		AuthIdentityID: p.AuthIdentityID, ProviderIdentityID: p.ID, ActorType: p.ActorType, Email: p.EntityID,
		TokenHash: secret.Hash(tok), CreatedAt: now, ExpiresAt: now.Add(verificationTTL),
	}
	return s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateActionToken(ctx, t); err != nil {
			return err
		}
		return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventEmailVerification, AuthIdentityID: p.AuthIdentityID, ActorType: p.ActorType,
			Payload: map[string]any{"entity_id": p.EntityID, "expires_at": t.ExpiresAt},
			Secrets: map[string]string{"token": tok}})
	})
}

var verifyTokenErrors = tokenErrors{
	invalid: gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "token"}, "The verification token is unknown or used."),
	expired: gatehouse.FieldError(gatehouse.CodeTokenExpired, []string{"input", "token"}, "The verification link has expired; ask for a new one."),
}

// VerifyEmail proves an email address with a verification token: the
// identity's email and its customer's or user's are marked verified, in
// one transaction with the token's consumption.
func (s *Service) VerifyEmail(ctx context.Context, tok string) error {
	t, err := s.usableToken(ctx, gatehouse.PurposeEmailVerification, tok, "", verifyTokenErrors)
	if err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		if err := claimToken(ctx, st, t, now, verifyTokenErrors); err != nil {
			return err
		}
		p, err := st.ProviderIdentity(ctx, t.ActorType, gatehouse.ProviderEmailPass, t.Email)
		if err != nil {
			return verifyTokenErrors.invalid
		}
		if err := st.SetUserMetadata(ctx, p.ID, withVerified(p.UserMetadata), now); err != nil {
			return err
		}
		a, err := st.AuthIdentity(ctx, p.AuthIdentityID)
		if err != nil {
			return err
		}
		if id := a.ActorID(); id != "" {
			return st.MarkEmailVerified(ctx, t.ActorType, id, t.Email, now)
		}
		return nil
	})
}

// credentialActor is the bearer token's actor type, else actor, else the
// actor of the one session cookie sent, else CUSTOMER: whose cookie a
// cookie-authenticated request means.
func (s *Service) credentialActor(cred Credential, actor gatehouse.ActorType) gatehouse.ActorType {
	if cred.Bearer != "" {
		if c, err := s.signer.Verify(cred.Bearer); err == nil {
			return gatehouse.ActorType(c.ActorType)
		}
	}
	if actor != "" {
		return actor
	}
	if cred.Cookies[gatehouse.ActorUser] != "" && cred.Cookies[gatehouse.ActorCustomer] == "" {
		return gatehouse.ActorUser
	}
	return gatehouse.ActorCustomer
}

// credentialActorOf is credentialActor for an optional actor argument.
func (s *Service) credentialActorOf(cred Credential, actor *gatehouse.ActorType) gatehouse.ActorType {
	if actor == nil {
		return s.credentialActor(cred, "")
	}
	return s.credentialActor(cred, *actor)
}

// passwordIdentity is the email+password identity of an auth identity.
func (s *Service) passwordIdentity(ctx context.Context, authIdentityID string) (*gatehouse.ProviderIdentity, error) {
	ps, err := s.store.ProviderIdentities(ctx, authIdentityID)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Provider == gatehouse.ProviderEmailPass {
			return p, nil
		}
	}
	return nil, gatehouse.Errorf(gatehouse.CodeNotAllowed, "This account has no email and password.")
}
