package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// selectAddresses selects addresses with their customer's default address
// ids, from which addressRow.domain sets the default flags.
func (s *Store) selectAddresses(model any) *bun.SelectQuery {
	return s.db.NewSelect().Model(model).
		ColumnExpr("a.*").
		ColumnExpr("c.default_billing_address_id, c.default_shipping_address_id").
		Join("JOIN customer AS c ON c.id = a.customer_id")
}

// Addresses lists a customer's addresses, oldest first, their default flags
// set.
func (s *Store) Addresses(ctx context.Context, customerID string) ([]*gatehouse.Address, error) {
	var rows []addressRow
	err := s.selectAddresses(&rows).
		Where("a.customer_id = ?", customerID).
		Order("a.created_at", "a.id").
		Scan(ctx)
	if err != nil {
		return nil, dbError("list addresses", "address", err)
	}
	out := make([]*gatehouse.Address, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// Address loads one address of the given customer, its default flags set;
// another customer's address is CodeNotFound.
func (s *Store) Address(ctx context.Context, customerID, id string) (*gatehouse.Address, error) {
	var r addressRow
	err := s.selectAddresses(&r).
		Where("a.id = ?", id).
		Where("a.customer_id = ?", customerID).
		Scan(ctx)
	if err != nil {
		return nil, dbError("load address", "address", err)
	}
	return r.domain(), nil
}

// CreateAddress inserts an address.
func (s *Store) CreateAddress(ctx context.Context, a *gatehouse.Address) error {
	if _, err := s.db.NewInsert().Model(newAddressRow(a)).Exec(ctx); err != nil {
		return dbError("create address", "address", err)
	}
	return nil
}

// UpdateAddress writes every column of a but id, customer_id and
// created_at, where both id and customer_id match.
func (s *Store) UpdateAddress(ctx context.Context, a *gatehouse.Address) error {
	res, err := s.db.NewUpdate().Model(newAddressRow(a)).
		ExcludeColumn("id", "customer_id", "created_at").
		Where("id = ?", a.ID).
		Where("customer_id = ?", a.CustomerID).
		Exec(ctx)
	if err != nil {
		return dbError("update address", "address", err)
	}
	return affected("update address", "address", res)
}

// DeleteAddress deletes the address with the given id of the given
// customer. A customer defaulting to it keeps no default (ON DELETE SET
// NULL).
func (s *Store) DeleteAddress(ctx context.Context, customerID, id string) error {
	res, err := s.db.NewDelete().Model((*addressRow)(nil)).
		Where("id = ?", id).
		Where("customer_id = ?", customerID).
		Exec(ctx)
	if err != nil {
		return dbError("delete address", "address", err)
	}
	return affected("delete address", "address", res)
}

// MoveAddress gives the address with the id to another customer.
func (s *Store) MoveAddress(ctx context.Context, id, customerID string, now time.Time) error {
	res, err := s.db.NewUpdate().Model((*addressRow)(nil)).
		Set("customer_id = ?", customerID).
		Set("updated_at = ?", now).
		Where("id = ?", id).
		Exec(ctx)
	if err != nil {
		return dbError("move address", "address", err)
	}
	return affected("move address", "address", res)
}
