package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type oauthStateRow struct {
	bun.BaseModel `bun:"table:oauth_state,alias:os"`
	gatehouse.OAuthState
}

func (r *oauthStateRow) domain() *gatehouse.OAuthState {
	st := r.OAuthState
	st.CreatedAt, st.ExpiresAt, st.UsedAt = st.CreatedAt.UTC(), st.ExpiresAt.UTC(), utc(st.UsedAt)
	return &st
}

// CreateOAuthState records a third-party sign-in in flight. Expired
// states are swept in the same statement's transaction, so the table
// holds only the flows of the last few minutes.
func (s *Store) CreateOAuthState(ctx context.Context, st *gatehouse.OAuthState) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewDelete().Model((*oauthStateRow)(nil)).Where("expires_at < ?", st.CreatedAt.Add(-time.Hour)).Exec(ctx); err != nil {
			return dbError("sweep oauth states", "oauth state", err)
		}
		if _, err := tx.db.NewInsert().Model(&oauthStateRow{OAuthState: *st}).Exec(ctx); err != nil {
			return dbError("create oauth state", "oauth state", err)
		}
		return nil
	})
}

// ClaimOAuthState marks the unused state with the hash used and returns
// it, in one statement: a replay, or the second of two racing callbacks,
// gets CodeNotFound. Expiry, actor and provider are the caller's to check.
func (s *Store) ClaimOAuthState(ctx context.Context, hash string, now time.Time) (*gatehouse.OAuthState, error) {
	var r oauthStateRow
	err := s.db.NewUpdate().Model(&r).
		Set("used_at = ?", now).
		Where("id = ?", hash).
		Where("used_at IS NULL").
		Returning("*").
		Scan(ctx)
	if err != nil {
		return nil, dbError("claim oauth state", "oauth state", err)
	}
	return r.domain(), nil
}

// CreateProviderIdentity attaches a provider identity to an existing auth
// identity; one already taken for (actor type, provider, entity id) is
// CodeDuplicate.
func (s *Store) CreateProviderIdentity(ctx context.Context, p *gatehouse.ProviderIdentity) error {
	if _, err := s.db.NewInsert().Model(newProviderIdentityRow(p)).Exec(ctx); err != nil {
		return dbError("create provider identity", "provider identity", err)
	}
	return nil
}

// SetUserMetadata replaces a provider identity's user_metadata and
// updated_at.
func (s *Store) SetUserMetadata(ctx context.Context, id string, md map[string]any, now time.Time) error {
	r := newProviderIdentityRow(&gatehouse.ProviderIdentity{ID: id, UserMetadata: md, UpdatedAt: now})
	res, err := s.db.NewUpdate().Model(r).Column("user_metadata", "updated_at").WherePK().Exec(ctx)
	if err != nil {
		return dbError("set user metadata", "provider identity", err)
	}
	return affected("set user metadata", "provider identity", res)
}
