package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/auth"
)

// Store implements auth.Store on a database or, inside Tx, a transaction.
type Store struct {
	db bun.IDB
	// sql holds the statements built from the schema's column lists,
	// built once per database.
	sql *joinedSQL
	// retry is the database whose Retry the Store's statements of their
	// own go through (read, write); nil on a Store bound to a
	// transaction, whose statements a lost connection rolled back with
	// the rest of it: none of them can be run again alone.
	retry *DB
}

var _ auth.Store = (*Store)(nil)

// New returns a Store on db.
func New(db *DB) *Store {
	return &Store{db: db.bun, sql: newJoinedSQL(db.bun), retry: db}
}

// read runs fn, a read, on q: the Store's database, where a statement
// that met a failover (a dropped connection, a server gone read-only) is
// run once more on a new connection (DB.Retry); or, on a Store bound to
// a transaction, the transaction, once.
func (s *Store) read(ctx context.Context, fn func(q bun.IDB) error) error {
	return s.run(ctx, true, fn)
}

// write is read for one statement that must not run twice (a claim, a
// count): it is run again only when it surely never ran the first time.
func (s *Store) write(ctx context.Context, fn func(q bun.IDB) error) error {
	return s.run(ctx, false, fn)
}

func (s *Store) run(ctx context.Context, idempotent bool, fn func(q bun.IDB) error) error {
	if s.retry == nil {
		return fn(s.db)
	}
	return s.retry.Retry(ctx, idempotent, func(_ context.Context, q bun.IDB) error { return fn(q) })
}

// Tx runs fn in one transaction, giving it a Store bound to it; on a Store
// already bound to a transaction, fn runs in that same one. fn's error is
// returned as it is, after the rollback.
func (s *Store) Tx(ctx context.Context, fn func(auth.Store) error) error {
	return s.tx(ctx, func(tx *Store) error { return fn(tx) })
}

func (s *Store) tx(ctx context.Context, fn func(*Store) error) error {
	if _, ok := s.db.(bun.Tx); ok {
		return fn(s)
	}
	var fnErr error
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		fnErr = fn(&Store{db: tx, sql: s.sql})
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	return dbError("transaction", "transaction", err)
}

// affected returns CodeNotFound for entity when res changed no row.
func affected(op, entity string, res interface{ RowsAffected() (int64, error) }) error {
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(op, entity, err)
	}
	if n == 0 {
		return notFound(entity)
	}
	return nil
}
