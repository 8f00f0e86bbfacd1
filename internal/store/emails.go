package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// StoredEmail is one stored email that a unique index keeps apart from the
// others of its Scope.
type StoredEmail struct {
	// Table is the table the row is in: provider_identity, customer,
	// user or invite.
	Table string
	// Scope names the set of rows the email is unique in: the actor type
	// for a provider identity (customer, user), else the table.
	Scope string
	ID    string
	Email string
}

// StoredEmails calls fn with every stored email under a uniqueness rule,
// table by table, in order of id: the entity ids of emailpass provider
// identities, the emails of registered customers, of users and of pending
// invites (none deleted). Guest customers may share an email and are left
// out. It stops at fn's first error and returns it. fn runs while a query
// is open, so it must not use the store.
func (s *Store) StoredEmails(ctx context.Context, fn func(StoredEmail) error) error {
	for _, q := range []struct {
		table string
		query *bun.SelectQuery
	}{
		{"provider_identity", s.db.NewSelect().Model((*providerIdentityRow)(nil)).
			ColumnExpr("pi.actor_type, pi.id, pi.entity_id").
			Where("pi.provider = ?", gatehouse.ProviderEmailPass).
			Order("pi.actor_type", "pi.id")},
		{"customer", s.db.NewSelect().Model((*customerRow)(nil)).
			ColumnExpr("'customer', c.id, c.email").
			Where("c.has_account").Where("c.deleted_at IS NULL").Where("c.email IS NOT NULL").
			Order("c.id")},
		{"user", s.db.NewSelect().Model((*userRow)(nil)).
			ColumnExpr("'user', u.id, u.email").
			Where("u.deleted_at IS NULL").
			Order("u.id")},
		{"invite", s.db.NewSelect().Model((*inviteRow)(nil)).
			ColumnExpr("'invite', i.id, i.email").
			Where("NOT i.accepted").Where("i.deleted_at IS NULL").
			Order("i.id")},
	} {
		if err := s.eachEmail(ctx, q.table, q.query, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) eachEmail(ctx context.Context, table string, q *bun.SelectQuery, fn func(StoredEmail) error) error {
	op := fmt.Sprintf("list %s emails", table)
	rows, err := q.Rows(ctx)
	if err != nil {
		return dbError(op, table, err)
	}
	defer rows.Close()
	for rows.Next() {
		e := StoredEmail{Table: table}
		if err := rows.Scan(&e.Scope, &e.ID, &e.Email); err != nil {
			return dbError(op, table, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return dbError(op, table, rows.Err())
}
