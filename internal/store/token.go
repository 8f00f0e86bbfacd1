package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type actionTokenRow struct {
	bun.BaseModel `bun:"table:action_token,alias:at"`
	gatehouse.ActionToken
}

func (r *actionTokenRow) domain() *gatehouse.ActionToken {
	t := r.ActionToken
	t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utc(t.UsedAt)
	return &t
}

// CreateActionToken inserts a token after retiring, in the same
// transaction, every unused token of the same provider identity and
// purpose: a newer request invalidates the older ones.
func (s *Store) CreateActionToken(ctx context.Context, t *gatehouse.ActionToken) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewUpdate().Model((*actionTokenRow)(nil)).
			Set("used_at = ?", t.CreatedAt).
			Where("provider_identity_id = ?", t.ProviderIdentityID).
			Where("purpose = ?", t.Purpose).
			Where("used_at IS NULL").
			Exec(ctx); err != nil {
			return dbError("retire tokens", "token", err)
		}
		if _, err := tx.db.NewInsert().Model(&actionTokenRow{ActionToken: *t}).Exec(ctx); err != nil {
			return dbError("create token", "token", err)
		}
		return nil
	})
}

// ActionToken loads a token by hash and purpose, whatever its state.
func (s *Store) ActionToken(ctx context.Context, purpose, hash string) (*gatehouse.ActionToken, error) {
	var r actionTokenRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("token_hash = ?", hash).Where("purpose = ?", purpose).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load token", "token", err)
	}
	return r.domain(), nil
}

// ClaimActionToken marks the unused, unexpired token used in one
// statement: of two racing claims, the second gets CodeNotFound.
func (s *Store) ClaimActionToken(ctx context.Context, id string, now time.Time) error {
	res, err := s.db.NewUpdate().Model((*actionTokenRow)(nil)).
		Set("used_at = ?", now).
		Where("id = ?", id).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Exec(ctx)
	if err != nil {
		return dbError("claim token", "token", err)
	}
	return affected("claim token", "token", res)
}

// MarkEmailVerified sets email_verified on the customer or user with the
// id, if its email is still email.
func (s *Store) MarkEmailVerified(ctx context.Context, actor gatehouse.ActorType, id, email string, now time.Time) error {
	table := "customer"
	if actor == gatehouse.ActorUser {
		table = `"user"`
	}
	_, err := s.db.NewRaw(`UPDATE `+table+` SET email_verified = TRUE, updated_at = ? WHERE id = ? AND email = ?`, now, id, email).Exec(ctx)
	return dbError("mark email verified", "account", err)
}

// RetireActionTokens marks every unused reset and verification token of
// the identity used: links sent to an address it no longer has.
func (s *Store) RetireActionTokens(ctx context.Context, authIdentityID string, now time.Time) error {
	_, err := s.db.NewUpdate().Model((*actionTokenRow)(nil)).
		Set("used_at = ?", now).
		Where("auth_identity_id = ?", authIdentityID).
		Where("used_at IS NULL").
		Exec(ctx)
	return dbError("retire tokens", "token", err)
}
