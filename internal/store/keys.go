package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gatehouse/gatehouse/internal/keys"
)

var _ keys.Store = (*Store)(nil)

type signingKeyRow struct {
	bun.BaseModel `bun:"table:signing_key,alias:sk"`
	keys.Record
}

func (r *signingKeyRow) domain() *keys.Record {
	k := r.Record
	k.CreatedAt, k.ActivatesAt = k.CreatedAt.UTC(), k.ActivatesAt.UTC()
	k.RetiredAt, k.ExpiresAt = utc(k.RetiredAt), utc(k.ExpiresAt)
	return &k
}

// SigningKeys returns the signing keys not expired at now (every one for
// the zero time), in order of activation.
func (s *Store) SigningKeys(ctx context.Context, now time.Time) ([]*keys.Record, error) {
	var rows []signingKeyRow
	err := s.read(ctx, func(db bun.IDB) error {
		q := db.NewSelect().Model(&rows).Order("activates_at", "created_at", "kid")
		if !now.IsZero() {
			q = q.Where("expires_at IS NULL OR expires_at > ?", now)
		}
		return q.Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load signing keys", "signing key", err)
	}
	out := make([]*keys.Record, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// CreateFirstSigningKey inserts r, bumping the generation, unless a key of
// r.Alg is active at now. The check and the insert run in one transaction
// holding the table's write lock, so racing callers take turns and the
// later ones see the first one's key.
func (s *Store) CreateFirstSigningKey(ctx context.Context, r *keys.Record, now time.Time) (bool, error) {
	var created bool
	err := s.tx(ctx, func(tx *Store) error {
		if err := tx.lockSigningKeys(ctx); err != nil {
			return err
		}
		n, err := tx.db.NewSelect().Model((*signingKeyRow)(nil)).
			Where("alg = ?", r.Alg).
			Where("activates_at <= ?", now).
			Where("retired_at IS NULL OR retired_at > ?", now).
			Count(ctx)
		if err != nil {
			return dbError("find active signing key", "signing key", err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.db.NewInsert().Model(&signingKeyRow{Record: *r}).Exec(ctx); err != nil {
			return dbError("create signing key", "signing key", err)
		}
		created = true
		return tx.bumpSigningKeyGeneration(ctx)
	})
	return created, err
}

// RotateSigningKey retires, at r.ActivatesAt, every key that would still
// sign then, inserts r and bumps the generation, in one transaction
// holding the table's write lock.
func (s *Store) RotateSigningKey(ctx context.Context, r *keys.Record, expiresAt time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		if err := tx.lockSigningKeys(ctx); err != nil {
			return err
		}
		_, err := tx.db.NewUpdate().Model((*signingKeyRow)(nil)).
			Set("retired_at = ?", r.ActivatesAt).
			Set("expires_at = ?", expiresAt).
			Where("retired_at IS NULL OR retired_at > ?", r.ActivatesAt).
			Exec(ctx)
		if err != nil {
			return dbError("retire signing keys", "signing key", err)
		}
		if _, err := tx.db.NewInsert().Model(&signingKeyRow{Record: *r}).Exec(ctx); err != nil {
			return dbError("create signing key", "signing key", err)
		}
		return tx.bumpSigningKeyGeneration(ctx)
	})
}

// SigningKeyGeneration returns the generation of the signing keys, which
// every change to them bumps: one row read by its primary key, cheap
// enough to poll every second. A missing row is generation 0.
func (s *Store) SigningKeyGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Table("signing_key_generation").Column("generation").Where("id = 1").Scan(ctx, &g)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, dbError("read signing key generation", "signing key generation", err)
	}
	return g, nil
}

// bumpSigningKeyGeneration bumps the generation, in the transaction of the
// change to the keys, so that a poller that sees the new generation also
// sees the change. It recreates the row should it be missing.
func (s *Store) bumpSigningKeyGeneration(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO signing_key_generation (id, generation) VALUES (1, 1)
		ON CONFLICT (id) DO UPDATE SET generation = signing_key_generation.generation + 1`)
	return dbError("bump signing key generation", "signing key generation", err)
}

// lockSigningKeys makes the transaction the only writer of signing_key
// until it ends; readers go on. PostgreSQL needs a lock that conflicts
// with itself; an SQLite transaction has the database's write lock from
// its start (_txlock=immediate, or the one connection of :memory:).
func (s *Store) lockSigningKeys(ctx context.Context) error {
	if s.db.Dialect().Name() != dialect.PG {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, "LOCK TABLE signing_key IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return dbError("lock signing keys", "signing key", err)
	}
	return nil
}
