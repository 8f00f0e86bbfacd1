package auth

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/oauth"
)

// Linking and unlinking providers. linkProvider starts a third-party
// sign-in whose state names the signed-in session; its callback
// (validateCallback, with the same client binding as a sign-in) joins
// the provider identity to that session's account instead of signing in.

var (
	errLinkSessionEnded = gatehouse.Errorf(gatehouse.CodeNotAllowed,
		"The session that started linking has ended; sign in and link the provider again.")
	errOnlySignIn = gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"providerIdentityId"},
		"This is the account's only way to sign in; link another provider first.")
	errIdentityNotFound = gatehouse.FieldError(gatehouse.CodeNotFound, []string{"providerIdentityId"},
		"The account has no sign-in with this id.")
)

// LinkProvider starts linking a third-party provider to the signed-in
// customer or user: it answers the provider's authorization URL, as
// authenticate does, for a state that remembers the session. It needs
// the step-up: a new way to sign in is as sensitive as a new password.
func (s *Service) LinkProvider(ctx context.Context, cred Credential, actor gatehouse.ActorType, provider, redirectURL string, challenge *string) (Authentication, error) {
	actor = s.credentialActor(cred, actor)
	p, err := s.principal(ctx, cred, actor, linked)
	if err != nil {
		return Authentication{}, err
	}
	if err := p.notImpersonating("link a provider"); err != nil {
		return Authentication{}, err
	}
	op, err := s.oauthProvider(actor, provider)
	if err != nil {
		return Authentication{}, err
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return Authentication{}, err
	}
	if a.Anonymous() {
		return Authentication{}, gatehouse.Errorf(gatehouse.CodeNotAllowed, "An anonymous shopper cannot link a provider; sign in or register first.")
	}
	if err := s.requireRecent(p, a); err != nil {
		return Authentication{}, err
	}
	return s.authorize(ctx, op, actor, redirectURL, challenge, p.SessionID)
}

// linkExternal joins the verified profile's provider identity to the
// account of the session that started linking, if that session is still
// live, and emits auth.provider_linked. A provider identity already
// linked to that account answers itself; one that signs in to another
// account is IDENTITY_EXISTS, and nothing changes.
func (s *Service) linkExternal(ctx context.Context, actor gatehouse.ActorType, p *oauth.Provider, sessionID string, prof *oauth.Profile) (*gatehouse.ProviderIdentity, error) {
	var linked *gatehouse.ProviderIdentity
	err := s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		sess, err := st.Session(ctx, sessionID)
		switch {
		case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
			return errLinkSessionEnded
		case err != nil:
			return err
		case sess.State(now) != gatehouse.SessionLive || sess.ActorType != actor:
			return errLinkSessionEnded
		}
		a, err := st.AuthIdentity(ctx, sess.AuthIdentityID)
		switch {
		case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
			return errLinkSessionEnded
		case err != nil:
			return err
		}
		md := prof.Metadata()
		pi, err := st.ProviderIdentity(ctx, actor, p.ID(), prof.Subject)
		switch {
		case err == nil && pi.AuthIdentityID == a.ID:
			linked = pi
			return st.SetUserMetadata(ctx, pi.ID, md, now)
		case err == nil:
			return gatehouse.Errorf(gatehouse.CodeIdentityExists,
				"This %s account already signs in to another account; unlink it there first.", p.DisplayName())
		case gatehouse.ErrorCode(err) != gatehouse.CodeNotFound:
			return err
		}
		linked = &gatehouse.ProviderIdentity{
			ID: gatehouse.NewID(gatehouse.PrefixProviderIdentity), AuthIdentityID: a.ID, ActorType: actor,
			Provider: p.ID(), EntityID: prof.Subject, ProviderMetadata: map[string]any{}, UserMetadata: md,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := st.CreateProviderIdentity(ctx, linked); err != nil {
			return conflictOnDuplicate(err)
		}
		actorID := a.ActorID()
		if prof.EmailVerified && prof.Email != "" && actorID != "" {
			if err := st.MarkEmailVerified(ctx, actor, actorID, gatehouse.NormalizeEmail(prof.Email), now); err != nil {
				return err
			}
		}
		return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventProviderLinked, AuthIdentityID: a.ID, ActorType: actor,
			ActorID: actorID, ActorKind: actor, SubjectID: actorID, SessionID: sess.ID,
			Payload: map[string]any{"provider": p.ID(), "provider_identity_id": linked.ID}})
	})
	return linked, err
}

// UnlinkProvider removes one of the signed-in account's provider
// identities, unless it is the last: an account must keep a way to sign
// in. It needs the step-up, and emits auth.provider_unlinked.
func (s *Service) UnlinkProvider(ctx context.Context, cred Credential, actor gatehouse.ActorType, id string) error {
	actor = s.credentialActor(cred, actor)
	p, err := s.principal(ctx, cred, actor, linked)
	if err != nil {
		return err
	}
	if err := p.notImpersonating("unlink a provider"); err != nil {
		return err
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return err
	}
	if err := s.requireRecent(p, a); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		ps, err := st.ProviderIdentities(ctx, a.ID)
		if err != nil {
			return err
		}
		var gone *gatehouse.ProviderIdentity
		for _, pi := range ps {
			if pi.ID == id {
				gone = pi
			}
		}
		switch {
		case gone == nil:
			return errIdentityNotFound
		case len(ps) == 1:
			return errOnlySignIn
		}
		if err := st.DeleteProviderIdentity(ctx, a.ID, id); err != nil {
			return err
		}
		return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventProviderUnlinked,
			map[string]any{"provider": gone.Provider, "provider_identity_id": gone.ID}))
	})
}

// Identities lists the provider identities of the customer or user with
// the id, for the account itself or an admin who may read it.
func (s *Service) Identities(ctx context.Context, actor gatehouse.ActorType, actorID string) ([]*gatehouse.ProviderIdentity, error) {
	a, err := s.store.AuthIdentityByActor(ctx, actor, actorID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return []*gatehouse.ProviderIdentity{}, nil
	case err != nil:
		return nil, err
	}
	return s.store.ProviderIdentities(ctx, a.ID)
}
