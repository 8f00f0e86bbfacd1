package auth

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// tokenErrors are what a purpose's mutation answers for a token it cannot
// use.
type tokenErrors struct{ invalid, expired error }

// usableToken loads the action token tok of purpose, which must be unused,
// unexpired and (unless actor is "") for actor; else e's answer. It only
// reads: claimToken consumes it.
func (s *Service) usableToken(ctx context.Context, purpose, tok string, actor gatehouse.ActorType, e tokenErrors) (*gatehouse.ActionToken, error) {
	if !secret.WellFormed(tok) {
		return nil, e.invalid
	}
	t, err := s.store.ActionToken(ctx, purpose, secret.Hash(tok))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, e.invalid
	case err != nil:
		return nil, err
	case t.UsedAt != nil || (actor != "" && t.ActorType != actor):
		return nil, e.invalid
	case !s.clock().Before(t.ExpiresAt):
		return nil, e.expired
	}
	return t, nil
}

// claimToken consumes t in st's transaction, in one statement: of two
// racing claims the second gets e.invalid.
func claimToken(ctx context.Context, st Store, t *gatehouse.ActionToken, now time.Time, e tokenErrors) error {
	err := st.ClaimActionToken(ctx, t.ID, now)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return e.invalid
	}
	return err
}
