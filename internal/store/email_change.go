package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Email changes: each token is consumed by one conditional statement, so
// that of two racing confirmations (or reverts) exactly one wins.

type emailChangeRow struct {
	bun.BaseModel `bun:"table:email_change,alias:emc"`
	gatehouse.EmailChange
}

func (r *emailChangeRow) domain() *gatehouse.EmailChange {
	c := r.EmailChange
	c.CreatedAt, c.ExpiresAt, c.RevertExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), c.RevertExpiresAt.UTC()
	c.ConfirmedAt, c.RevertedAt, c.CancelledAt = utc(c.ConfirmedAt), utc(c.RevertedAt), utc(c.CancelledAt)
	return &c
}

// CreateEmailChange inserts an email change after cancelling, in the
// same transaction, the identity's pending ones: a newer request voids
// the older confirmation links (their revert links still work).
func (s *Store) CreateEmailChange(ctx context.Context, c *gatehouse.EmailChange) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.CancelEmailChanges(ctx, c.AuthIdentityID, c.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(&emailChangeRow{EmailChange: *c}).Exec(ctx); err != nil {
			return dbError("create email change", "email change", err)
		}
		return nil
	})
}

// CancelEmailChanges cancels the identity's pending (unconfirmed,
// uncancelled, unreverted) email changes, and answers how many.
func (s *Store) CancelEmailChanges(ctx context.Context, authIdentityID string, now time.Time) (int, error) {
	res, err := s.db.NewUpdate().Model((*emailChangeRow)(nil)).
		Set("cancelled_at = ?", now).
		Where("auth_identity_id = ?", authIdentityID).
		Where("confirmed_at IS NULL AND cancelled_at IS NULL AND reverted_at IS NULL").
		Exec(ctx)
	if err != nil {
		return 0, dbError("cancel email changes", "email change", err)
	}
	n, err := res.RowsAffected()
	return int(n), dbError("cancel email changes", "email change", err)
}

// EmailChangeByToken loads the email change whose confirmation token (or,
// with revert, whose revert token) has the hash, whatever its state.
func (s *Store) EmailChangeByToken(ctx context.Context, hash string, revert bool) (*gatehouse.EmailChange, error) {
	col := "token_hash"
	if revert {
		col = "revert_token_hash"
	}
	var r emailChangeRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("? = ?", bun.Ident(col), hash).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load email change", "email change", err)
	}
	return r.domain(), nil
}

// ClaimEmailChange marks the pending, unexpired email change confirmed,
// and answers whether this call did.
func (s *Store) ClaimEmailChange(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*emailChangeRow)(nil)).
		Set("confirmed_at = ?", now).
		Where("id = ?", id).
		Where("confirmed_at IS NULL AND cancelled_at IS NULL AND reverted_at IS NULL").
		Where("expires_at > ?", now).
		Exec(ctx)
	return oneRow("confirm email change", "email change", res, err)
}

// ClaimEmailRevert marks the email change reverted while its revert
// token is unused and unexpired, and answers whether this call did.
func (s *Store) ClaimEmailRevert(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*emailChangeRow)(nil)).
		Set("reverted_at = ?", now).
		Where("id = ?", id).
		Where("reverted_at IS NULL").
		Where("revert_expires_at > ?", now).
		Exec(ctx)
	return oneRow("revert email change", "email change", res, err)
}

// SetAccountEmail moves a customer or user (and, unless
// providerIdentityID is "", its email+password identity) to email,
// marked verified. A customer with an account, a user or an identity
// already holding the address makes it CodeDuplicate.
func (s *Store) SetAccountEmail(ctx context.Context, actor gatehouse.ActorType, actorID, providerIdentityID, email string, now time.Time) error {
	if providerIdentityID != "" {
		if _, err := s.db.NewRaw(`UPDATE provider_identity SET entity_id = ?, updated_at = ? WHERE id = ?`, email, now, providerIdentityID).Exec(ctx); err != nil {
			return dbError("change identity email", "account with this email", err)
		}
	}
	table := "customer"
	if actor == gatehouse.ActorUser {
		table = `"user"`
	}
	res, err := s.db.NewRaw(`UPDATE `+table+` SET email = ?, email_verified = TRUE, updated_at = ? WHERE id = ?`, email, now, actorID).Exec(ctx)
	if err != nil {
		return dbError("change account email", "account with this email", err)
	}
	return affected("change account email", "account", res)
}
