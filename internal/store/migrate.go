package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migrationTable records the applied migrations.
const migrationTable = "bun_migrations"

// migrateLockName is hashed with the current schema into the key of the
// PostgreSQL advisory lock Migrate holds, so that databases in different
// schemas (tests run in parallel) migrate without waiting for each other.
const migrateLockName = "gatehouse.migrate"

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Name       string // the timestamp that orders it, "20261122000000"
	Comment    string // what follows the timestamp, "foundation"
	Applied    bool
	GroupID    int64     // the Migrate call that applied it; 0 when pending
	MigratedAt time.Time // when it was applied; zero when pending
}

// Migrate applies every pending migration, in order, each recorded only
// once it has succeeded, and returns their names ("20261122000000_foundation").
// Processes migrating one database at once wait for each other: Bun's own
// lock table is not used, because it fails instead of waiting and stays
// locked after a crash. On error, the names are those applied before it.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	var names []string
	err := db.locked(ctx, func(m *migrate.Migrator) error {
		group, err := m.Migrate(ctx)
		names = groupNames(group)
		if err != nil && len(names) > 0 {
			names = names[:len(names)-1] // the one that failed
		}
		return err
	})
	if err != nil {
		return names, fmt.Errorf("store: migrate: %w", err)
	}
	return names, nil
}

// ErrMigrationMoved means the migration Rollback was told to roll back is
// no longer the last one applied: another process migrated in between.
var ErrMigrationMoved = errors.New("store: the last applied migration changed")

// Rollback rolls back one migration, the one LastApplied names, and
// returns its name; "" when none is applied. When want is not empty, it is
// the name the caller showed for confirmation: should the last migration
// now be another, nothing is rolled back and the error is
// ErrMigrationMoved.
func (db *DB) Rollback(ctx context.Context, want string) (string, error) {
	var name string
	err := db.locked(ctx, func(m *migrate.Migrator) error {
		ms, err := m.MigrationsWithStatus(ctx)
		if err != nil {
			return err
		}
		last := lastApplied(ms)
		if last == nil {
			if want != "" {
				return fmt.Errorf("%w: none is applied, not %s", ErrMigrationMoved, want)
			}
			return nil
		}
		if want != "" && last.String() != want {
			return fmt.Errorf("%w: it is %s, not %s", ErrMigrationMoved, last, want)
		}
		if last.Down != nil {
			if err := last.Down(ctx, m, last); err != nil {
				return fmt.Errorf("%s: down: %w", last, err)
			}
		}
		// Recorded as rolled back only once its down migration succeeded.
		if err := m.MarkUnapplied(ctx, last); err != nil {
			return err
		}
		name = last.String()
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store: rollback: %w", err)
	}
	return name, nil
}

// LastApplied names the migration Rollback would roll back: the newest of
// those the last Migrate call applied; "" when none is applied. It writes
// nothing.
func (db *DB) LastApplied(ctx context.Context) (string, error) {
	ms, err := db.migrationsWithStatus(ctx)
	if err != nil {
		return "", fmt.Errorf("store: last applied migration: %w", err)
	}
	if last := lastApplied(ms); last != nil {
		return last.String(), nil
	}
	return "", nil
}

// lastApplied is the newest migration of the last group applied, as
// Bun's own Rollback would roll back first; nil when none is applied.
func lastApplied(ms migrate.MigrationSlice) *migrate.Migration {
	g := ms.LastGroup()
	if len(g.Migrations) == 0 {
		return nil
	}
	return &g.Migrations[len(g.Migrations)-1]
}

// MigrationStatus lists every migration, oldest first, with its status. It
// writes nothing: on a database never migrated, every migration is pending.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	ms, err := db.migrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationStatus, len(ms))
	for i, m := range ms {
		out[i] = MigrationStatus{
			Name:    m.Name,
			Comment: m.Comment,
			Applied: m.IsApplied(),
			GroupID: m.GroupID,
		}
		if m.IsApplied() {
			out[i].MigratedAt = m.MigratedAt.UTC()
		}
	}
	return out, nil
}

// Pending returns the names ("20261122000000_foundation") of the
// migrations not applied yet, oldest first.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	ms, err := db.migrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: pending migrations: %w", err)
	}
	var names []string
	for _, m := range ms.Unapplied() {
		names = append(names, m.String())
	}
	return names, nil
}

func (db *DB) migrator() *migrate.Migrator {
	return migrate.NewMigrator(db.bun, db.migrations,
		migrate.WithTableName(migrationTable),
		migrate.WithMarkAppliedOnSuccess(true))
}

func (db *DB) migrationsWithStatus(ctx context.Context) (migrate.MigrationSlice, error) {
	exists, err := db.migrationTableExists(ctx)
	if err != nil {
		return nil, err
	}
	if !exists {
		return db.migrations.Sorted(), nil
	}
	return db.migrator().MigrationsWithStatus(ctx)
}

func (db *DB) migrationTableExists(ctx context.Context) (bool, error) {
	query := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.dialect == Postgres {
		// to_regclass looks the name up on the search_path, as queries do.
		query = "SELECT CASE WHEN to_regclass(?) IS NULL THEN 0 ELSE 1 END"
	}
	var n int
	err := db.Retry(ctx, true, func(ctx context.Context, q bun.IDB) error {
		return q.NewRaw(query, migrationTable).Scan(ctx, &n)
	})
	if err != nil {
		return false, fmt.Errorf("look for %s: %w", migrationTable, err)
	}
	return n > 0, nil
}

// locked runs fn with a migrator while holding the migration lock, after
// creating the migration table if it is missing (under the lock, since two
// PostgreSQL sessions creating one table at once can fail).
func (db *DB) locked(ctx context.Context, fn func(*migrate.Migrator) error) error {
	var unlock func() error
	var err error
	switch {
	case db.dialect == Postgres:
		unlock, err = db.lockPostgres(ctx)
	case db.path != "":
		unlock, err = lockFile(ctx, db.path+".migrate.lock")
	default:
		// In memory, the database belongs to this process alone.
		unlock, err = func() error { return nil }, nil
	}
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	err = db.initMigrationTable(ctx)
	if err == nil {
		err = fn(db.migrator())
	}
	if uerr := unlock(); uerr != nil {
		err = errors.Join(err, fmt.Errorf("unlock: %w", uerr))
	}
	return err
}

// initMigrationTable creates the table that records migrations. It is
// Migrator.Init without the lock table this package does not use.
func (db *DB) initMigrationTable(ctx context.Context) error {
	_, err := db.bun.NewCreateTable().
		Model((*migrate.Migration)(nil)).
		ModelTableExpr(migrationTable).
		IfNotExists().
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("create %s: %w", migrationTable, err)
	}
	return nil
}

// lockPostgres takes a transaction-level advisory lock in a transaction
// of its own that stays open for the whole run, waiting for any other
// holder. Not a session-level lock: behind pgbouncer in transaction mode a
// session is not ours between transactions, so a session lock could be
// taken on one server connection and "released" on another, or left held
// on a connection handed to someone else. A transaction keeps its server
// connection until it ends, so the lock is held exactly as long as the
// transaction, and goes with it should the migrator crash or its
// connection drop. The migrations themselves run on other connections
// (each .tx.up.sql in its own transaction): the pool needs two.
//
// The holding transaction is idle while the migrations run: its own
// idle_in_transaction_session_timeout is lifted (SET LOCAL, which ends
// with it), so the server does not end it and free the lock mid-run.
func (db *DB) lockPostgres(ctx context.Context) (unlock func() error, err error) {
	tx, err := db.bun.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	var schema string
	err = tx.QueryRowContext(ctx, "SELECT coalesce(current_schema(), '')").Scan(&schema)
	if err == nil {
		_, err = tx.ExecContext(ctx, "SET LOCAL idle_in_transaction_session_timeout = 0")
	}
	if err == nil {
		h := fnv.New64a()
		h.Write([]byte(migrateLockName + ":" + schema))
		// The key is written into the statement: lib/pq sends a
		// statement with arguments as a parse, then a bind in a second
		// round trip, which a pooler may not keep together.
		_, err = tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+strconv.FormatInt(int64(h.Sum64()), 10)+")")
	}
	if err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	return func() error {
		// Still held? A transaction the server ended (or whose
		// connection dropped) lost the lock somewhere in the run.
		_, err := tx.ExecContext(context.WithoutCancel(ctx), "SELECT 1")
		if err != nil {
			err = fmt.Errorf("the migration lock was lost during the run (another process may have migrated at the same time): %w", err)
		}
		// Rolled back, not committed: it wrote nothing, and ending it
		// is what releases the lock.
		return errors.Join(err, tx.Rollback())
	}, nil
}

func groupNames(g *migrate.MigrationGroup) []string {
	if g == nil {
		return nil
	}
	var names []string
	for _, m := range g.Migrations {
		names = append(names, m.String())
	}
	return names
}
