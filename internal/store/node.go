package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Loads by global id alone, for node(id:): the other loads of these rows
// are scoped to a parent (a customer's address, an identity's providers).

// AddressByID loads an address by its id, whoever's it is.
func (s *Store) AddressByID(ctx context.Context, id string) (*gatehouse.Address, error) {
	var r addressRow
	if err := s.selectAddresses(&r).Where("a.id = ?", id).Scan(ctx); err != nil {
		return nil, dbError("load address", "address", err)
	}
	return r.domain(), nil
}

// ProviderIdentityByID loads a provider identity by its id.
func (s *Store) ProviderIdentityByID(ctx context.Context, id string) (*gatehouse.ProviderIdentity, error) {
	var r providerIdentityRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load provider identity", "provider identity", err)
	}
	return r.domain(), nil
}

// Event loads an event of the audit trail by its id, without its secrets.
func (s *Store) Event(ctx context.Context, id string) (*gatehouse.Event, error) {
	var rows []auditRow
	err := s.read(ctx, func(q bun.IDB) error {
		rows = nil
		return q.NewSelect().Model(&rows).Where("ev.id = ?", id).Limit(1).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load event", "event", err)
	}
	if len(rows) == 0 {
		return nil, notFound("event")
	}
	return &auditEvents(rows)[0], nil
}
