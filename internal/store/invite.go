package store

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// CreateInvite inserts an invite after soft-deleting, in the same
// transaction, any pending (unaccepted, undeleted) invite for the same
// email. The superseded invite is deleted at inv.CreatedAt.
func (s *Store) CreateInvite(ctx context.Context, inv *gatehouse.Invite) error {
	return s.tx(ctx, func(tx *Store) error {
		_, err := tx.db.NewUpdate().Model((*inviteRow)(nil)).
			Set("deleted_at = ?", inv.CreatedAt).
			Set("updated_at = ?", inv.CreatedAt).
			Where("email = ?", inv.Email).
			Where("accepted = ?", false).
			Where("deleted_at IS NULL").
			Exec(ctx)
		if err != nil {
			return dbError("supersede invite", "invite", err)
		}
		if _, err := tx.db.NewInsert().Model(newInviteRow(inv)).Exec(ctx); err != nil {
			return dbError("create invite", "invite", err)
		}
		return nil
	})
}

// ClaimInvite marks the pending, unexpired invite with the token hash
// accepted and returns it, in one statement: of two racing claims, the
// second finds no pending invite and gets CodeNotFound.
func (s *Store) ClaimInvite(ctx context.Context, tokenHash string, now time.Time) (*gatehouse.Invite, error) {
	var r inviteRow
	err := s.db.NewUpdate().Model(&r).
		Set("accepted = ?", true).
		Set("accepted_at = ?", now).
		Set("updated_at = ?", now).
		Where("token_hash = ?", tokenHash).
		Where("accepted = ?", false).
		Where("deleted_at IS NULL").
		Where("expires_at > ?", now).
		Returning("*").
		Scan(ctx)
	if err != nil {
		return nil, dbError("claim invite", "invite", err)
	}
	return r.domain(), nil
}

// InviteByTokenHash loads an invite by token hash, whatever its state.
func (s *Store) InviteByTokenHash(ctx context.Context, tokenHash string) (*gatehouse.Invite, error) {
	var r inviteRow
	if err := s.db.NewSelect().Model(&r).Where("token_hash = ?", tokenHash).Scan(ctx); err != nil {
		return nil, dbError("load invite", "invite", err)
	}
	return r.domain(), nil
}
