package auth

import (
	"context"
	"maps"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// registerActor creates the actor of a registration token and links the
// token's identity to it, in one transaction: create makes the actor from
// the identity's email and returns its id. Racing calls with one token
// cannot both link (the unique email, or the linked identity, stops the
// second).
func (s *Service) registerActor(ctx context.Context, cred Credential, actor gatehouse.ActorType, create func(st Store, authIdentityID, email string, verified bool, now time.Time) (string, error)) error {
	claims, err := s.principal(ctx, cred, actor, registration)
	if err != nil {
		return err
	}
	if claims.ActorID != "" {
		return errAlreadyLinked
	}
	return s.store.Tx(ctx, func(st Store) error {
		a, err := s.identityOf(ctx, st, claims)
		if err != nil {
			return err
		}
		if a.ActorID() != "" {
			return errAlreadyLinked
		}
		email, verified, err := identityEmail(ctx, st, a)
		if err != nil {
			return err
		}
		now := s.clock()
		id, err := create(st, a.ID, email, verified, now)
		if err != nil {
			return err
		}
		return link(ctx, st, a, id, now)
	})
}

var errAlreadyLinked = gatehouse.Errorf(gatehouse.CodeNotAllowed, "This identity is already linked to an account; refresh the token to use it.")

// identityEmail returns the email of an auth identity's first provider
// identity that has one, and whether it is verified: by the third-party
// provider that vouched for it, or for email+password by a verification
// link or an email code.
func identityEmail(ctx context.Context, st Store, a *gatehouse.AuthIdentity) (string, bool, error) {
	ps, err := st.ProviderIdentities(ctx, a.ID)
	if err != nil {
		return "", false, err
	}
	for _, p := range ps {
		if e := p.Email(); e != "" {
			return gatehouse.NormalizeEmail(e), emailVerified(p), nil
		}
	}
	return "", false, nil
}

// link records the actor an identity acts for.
func link(ctx context.Context, st Store, a *gatehouse.AuthIdentity, actorID string, now time.Time) error {
	md := maps.Clone(a.AppMetadata)
	if md == nil {
		md = map[string]any{}
	}
	md[a.ActorType.MetadataKey()] = actorID
	delete(md, pendingMergeKey) // createCustomer has taken the shopper over
	if err := st.SetAppMetadata(ctx, a.ID, md, now); err != nil {
		return err
	}
	a.AppMetadata = md
	return nil
}
