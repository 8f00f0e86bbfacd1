package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// CreateIdentity inserts an auth identity and its provider identity in one
// transaction (the caller's, if the Store is in one), so that a refused
// provider identity leaves no auth identity behind.
func (s *Store) CreateIdentity(ctx context.Context, a *gatehouse.AuthIdentity, p *gatehouse.ProviderIdentity) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewInsert().Model(newAuthIdentityRow(a)).Exec(ctx); err != nil {
			return dbError("create auth identity", "identity", err)
		}
		if _, err := tx.db.NewInsert().Model(newProviderIdentityRow(p)).Exec(ctx); err != nil {
			return dbError("create provider identity", "provider identity", err)
		}
		return nil
	})
}

// CreateAuthIdentity inserts an auth identity without a provider identity
// (an anonymous shopper's).
func (s *Store) CreateAuthIdentity(ctx context.Context, a *gatehouse.AuthIdentity) error {
	if _, err := s.db.NewInsert().Model(newAuthIdentityRow(a)).Exec(ctx); err != nil {
		return dbError("create auth identity", "identity", err)
	}
	return nil
}

// AuthIdentity loads an auth identity by id.
func (s *Store) AuthIdentity(ctx context.Context, id string) (*gatehouse.AuthIdentity, error) {
	var r authIdentityRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx) }); err != nil {
		return nil, dbError("load auth identity", "identity", err)
	}
	return r.domain(), nil
}

// ProviderIdentity loads the provider identity with the given actor type,
// provider and entity id.
func (s *Store) ProviderIdentity(ctx context.Context, actor gatehouse.ActorType, provider, entityID string) (*gatehouse.ProviderIdentity, error) {
	var r providerIdentityRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).
			Where("actor_type = ?", actor).
			Where("provider = ?", provider).
			Where("entity_id = ?", entityID).
			Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load provider identity", "provider identity", err)
	}
	return r.domain(), nil
}

// ProviderIdentities lists the provider identities of an auth identity,
// oldest first.
func (s *Store) ProviderIdentities(ctx context.Context, authIdentityID string) ([]*gatehouse.ProviderIdentity, error) {
	var rows []providerIdentityRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&rows).
			Where("auth_identity_id = ?", authIdentityID).
			Order("created_at", "id").
			Scan(ctx)
	})
	if err != nil {
		return nil, dbError("list provider identities", "provider identity", err)
	}
	out := make([]*gatehouse.ProviderIdentity, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// SetAppMetadata replaces an auth identity's app_metadata and updated_at.
func (s *Store) SetAppMetadata(ctx context.Context, id string, md map[string]any, now time.Time) error {
	r := newAuthIdentityRow(&gatehouse.AuthIdentity{ID: id, AppMetadata: md, UpdatedAt: now})
	res, err := s.db.NewUpdate().Model(r).Column("app_metadata", "updated_at").WherePK().Exec(ctx)
	if err != nil {
		return dbError("set app metadata", "identity", err)
	}
	return affected("set app metadata", "identity", res)
}

// SetProviderMetadata replaces a provider identity's provider_metadata and
// updated_at.
func (s *Store) SetProviderMetadata(ctx context.Context, id string, md map[string]any, now time.Time) error {
	r := newProviderIdentityRow(&gatehouse.ProviderIdentity{ID: id, ProviderMetadata: md, UpdatedAt: now})
	res, err := s.db.NewUpdate().Model(r).Column("provider_metadata", "updated_at").WherePK().Exec(ctx)
	if err != nil {
		return dbError("set provider metadata", "provider identity", err)
	}
	return affected("set provider metadata", "provider identity", res)
}

// DeleteProviderIdentity deletes the provider identity with the id, if it
// is one of the auth identity's; CodeNotFound otherwise.
func (s *Store) DeleteProviderIdentity(ctx context.Context, authIdentityID, id string) error {
	res, err := s.db.NewRaw(`DELETE FROM provider_identity WHERE id = ? AND auth_identity_id = ?`, id, authIdentityID).Exec(ctx)
	if err != nil {
		return dbError("delete provider identity", "identity", err)
	}
	return affected("delete provider identity", "identity", res)
}
