package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

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
	if err := db.bun.NewRaw(query, migrationTable).Scan(ctx, &n); err != nil {
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

// lockPostgres takes a session-level advisory lock on a connection of its
// own, waiting for any other holder; the lock goes with the session, so a
// crashed migrator never leaves it behind.
func (db *DB) lockPostgres(ctx context.Context) (unlock func() error, err error) {
	conn, err := db.bun.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(current_schema(), '')").Scan(&schema); err != nil {
		conn.Close()
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(migrateLockName + ":" + schema))
	key := int64(h.Sum64())
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		conn.Close()
		return nil, err
	}
	return func() error {
		// Unlock even when ctx is done, or the pooled session keeps the lock.
		_, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
		if err != nil {
			// Discard the connection: ending the session releases the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		return errors.Join(err, conn.Close())
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
