package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// CreateCustomer inserts a customer. A registered customer whose email
// another registered, undeleted customer has, or a user name another
// undeleted customer has in any case, is CodeDuplicate.
func (s *Store) CreateCustomer(ctx context.Context, c *gatehouse.Customer) error {
	if _, err := s.db.NewInsert().Model(newCustomerRow(c)).Exec(ctx); err != nil {
		return dbError("create customer", "customer", err)
	}
	return nil
}

// Customer loads a customer that is not deleted.
func (s *Store) Customer(ctx context.Context, id string) (*gatehouse.Customer, error) {
	var r customerRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("id = ?", id).Where("deleted_at IS NULL").Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load customer", "customer", err)
	}
	return r.domain(), nil
}

// UpdateCustomer writes every column of c but id and created_at, deleted_at
// included: it is how a customer is soft-deleted.
func (s *Store) UpdateCustomer(ctx context.Context, c *gatehouse.Customer) error {
	res, err := s.db.NewUpdate().Model(newCustomerRow(c)).
		ExcludeColumn("id", "created_at").
		WherePK().
		Exec(ctx)
	if err != nil {
		return dbError("update customer", "customer", err)
	}
	return affected("update customer", "customer", res)
}

// CustomerByUserName loads the undeleted customer with the user name,
// compared case-insensitively.
func (s *Store) CustomerByUserName(ctx context.Context, userName string) (*gatehouse.Customer, error) {
	var r customerRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).
			Where("lower(user_name) = lower(?)", userName).
			Where("deleted_at IS NULL").
			Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load customer by user name", "customer", err)
	}
	return r.domain(), nil
}

// DeleteAnonymousShopper deletes an anonymous shopper's identity (its
// sessions and refresh tokens with it) and its customer (and the
// addresses still its own), if that customer is still anonymous and
// without an account.
func (s *Store) DeleteAnonymousShopper(ctx context.Context, authIdentityID, customerID string) error {
	if _, err := s.db.NewRaw(`DELETE FROM auth_identity WHERE id = ?`, authIdentityID).Exec(ctx); err != nil {
		return dbError("delete anonymous identity", "identity", err)
	}
	if _, err := s.db.NewRaw(`DELETE FROM customer WHERE id = ? AND is_anonymous AND NOT has_account`, customerID).Exec(ctx); err != nil {
		return dbError("delete anonymous customer", "customer", err)
	}
	return nil
}

// AccountCustomerByEmail loads the undeleted customer with an account
// and the email (there is at most one).
func (s *Store) AccountCustomerByEmail(ctx context.Context, email string) (*gatehouse.Customer, error) {
	var r customerRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("email = ?", email).Where("has_account").Where("deleted_at IS NULL").Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load customer by email", "customer", err)
	}
	return r.domain(), nil
}
