package store

import (
	"context"
	"time"
)

// The housekeeping lease: one row per name, taken with one conditional
// upsert. Nothing is held on the connection between statements, so it
// works behind pgbouncer in transaction mode and on SQLite alike; of two
// racing takers PostgreSQL makes the second wait on the row and re-check
// the condition, SQLite serializes them, and exactly one gets the row.

// AcquireLease implements housekeeping.Store.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now, until time.Time, anyTime bool) (bool, error) {
	q := `INSERT INTO housekeeping_lease (name, holder, expires_at, next_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE housekeeping_lease.expires_at <= ?`
	args := []any{name, holder, until.UTC(), now.UTC(), now.UTC()}
	if !anyTime {
		q += ` AND housekeeping_lease.next_at <= ?`
		args = append(args, now.UTC())
	}
	n, err := exec(ctx, db.bun, "acquire housekeeping lease", "housekeeping lease", q, args...)
	return n == 1, err
}

// RenewLease implements housekeeping.Store.
func (db *DB) RenewLease(ctx context.Context, name, holder string, until time.Time) (bool, error) {
	n, err := exec(ctx, db.bun, "renew housekeeping lease", "housekeeping lease",
		`UPDATE housekeeping_lease SET expires_at = ? WHERE name = ? AND holder = ?`, until.UTC(), name, holder)
	return n == 1, err
}

// ReleaseLease implements housekeeping.Store.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string, now, next time.Time) error {
	_, err := exec(ctx, db.bun, "release housekeeping lease", "housekeeping lease",
		`UPDATE housekeeping_lease SET expires_at = ?, next_at = ? WHERE name = ? AND holder = ?`, now.UTC(), next.UTC(), name, holder)
	return err
}
