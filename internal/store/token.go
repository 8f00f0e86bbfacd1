package store

import (
	"context"
	"database/sql"
	"errors"
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
	if err := s.db.NewSelect().Model(&r).Where("token_hash = ?", hash).Where("purpose = ?", purpose).Scan(ctx); err != nil {
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

// TakeAttempt counts a password attempt against an identity before the
// password is checked, in one statement, and returns the count; an
// identity locked at now is not counted and answers locked. So parallel
// attempts cannot slip past the limit: each sees its own count.
func (s *Store) TakeAttempt(ctx context.Context, authIdentityID string, now time.Time) (attempts, locks int, locked bool, err error) {
	var r authIdentityRow
	err = s.db.NewUpdate().Model(&r).
		Set("failed_attempts = failed_attempts + 1").
		Where("id = ?", authIdentityID).
		Where("(locked_until IS NULL OR locked_until <= ?)", now).
		Returning("failed_attempts, lock_count").
		Scan(ctx, &attempts, &locks)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, true, nil
	}
	if err != nil {
		return 0, 0, false, dbError("count attempt", "identity", err)
	}
	return attempts, locks, false, nil
}

// Lock locks an identity until until, counting the lock and starting the
// attempts afresh.
func (s *Store) Lock(ctx context.Context, authIdentityID string, until, now time.Time) error {
	_, err := s.db.NewUpdate().Model((*authIdentityRow)(nil)).
		Set("locked_until = ?", until).Set("lock_count = lock_count + 1").Set("failed_attempts = 0").Set("updated_at = ?", now).
		Where("id = ?", authIdentityID).Exec(ctx)
	return dbError("lock identity", "identity", err)
}

// Unlock ends a lock and forgets the attempts and earlier locks.
func (s *Store) Unlock(ctx context.Context, authIdentityID string, now time.Time) error {
	res, err := s.db.NewUpdate().Model((*authIdentityRow)(nil)).
		Set("locked_until = NULL").Set("lock_count = 0").Set("failed_attempts = 0").Set("updated_at = ?", now).
		Where("id = ?", authIdentityID).Exec(ctx)
	if err != nil {
		return dbError("unlock identity", "identity", err)
	}
	return affected("unlock identity", "identity", res)
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
