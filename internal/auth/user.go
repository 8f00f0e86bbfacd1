package auth

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// CurrentUser returns the admin user of a linked USER token.
func (s *Service) CurrentUser(ctx context.Context, cred Credential) (*gatehouse.User, error) {
	claims, err := s.principal(ctx, cred, gatehouse.ActorUser, enrolling)
	if err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, claims.ActorID)
	if err != nil {
		return nil, revokedIfMissing(err)
	}
	return u, nil
}
