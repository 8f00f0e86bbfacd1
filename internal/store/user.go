package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// CreateUser inserts an admin user; an email an undeleted user has is
// CodeDuplicate.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	if _, err := s.db.NewInsert().Model(newUserRow(u)).Exec(ctx); err != nil {
		return dbError("create user", "user", err)
	}
	return nil
}

// User loads a user that is not deleted.
func (s *Store) User(ctx context.Context, id string) (*gatehouse.User, error) {
	var r userRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("id = ?", id).Where("deleted_at IS NULL").Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load user", "user", err)
	}
	return r.domain(), nil
}

// UserByEmail loads the user, not deleted, whose email is email normalized
// (stored emails are normalized before they are written).
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	var r userRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).
			Where("email = ?", gatehouse.NormalizeEmail(email)).
			Where("deleted_at IS NULL").
			Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load user by email", "user", err)
	}
	return r.domain(), nil
}
