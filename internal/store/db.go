// Package store keeps gatehouse's data in PostgreSQL or SQLite through Bun:
// it opens a database, applies the embedded migrations and implements
// auth.Store.
//
// It must never hand a driver's error text to a caller as something to
// show: every failure it returns is a *gatehouse.Error whose Message is safe
// for a client, with the driver error kept only as the cause.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/migrate"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/gatehouse/gatehouse/migrations"
)

// Dialect names.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// sqliteFileParams configure every connection to an SQLite file. A writer
// that finds the database locked waits up to 10s (busy_timeout) instead of
// failing with SQLITE_BUSY; transactions take the write lock when they
// begin (_txlock=immediate), so two transactions that read then write
// cannot deadlock on upgrading their locks; WAL lets readers run beside the
// one writer. SQLite leaves foreign keys off unless asked, per connection.
const sqliteFileParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// DB is an open database, PostgreSQL or SQLite, with its dialect.
type DB struct {
	bun     *bun.DB
	dialect string
	// path is the SQLite file, or "" for PostgreSQL and in-memory SQLite;
	// Migrate locks a file beside it.
	path       string
	migrations *migrate.Migrations
	// acquireTimeout bounds Retry's wait for a connection (the pool's).
	acquireTimeout time.Duration
	// onShed is told of each Retry that found no connection in time
	// (the pool's OnShed, which the acquire hook tells of statements).
	onShed func()
	// onRetry is told of each failure Retry retries.
	onRetry func(error)
}

// Open opens and pings the database at url:
//
//	postgres://… or postgresql://…  PostgreSQL (lib/pq; any run-time
//	                                parameter, such as search_path, may be
//	                                given in the query)
//	sqlite:PATH                     an SQLite file, created if missing
//	sqlite::memory:                 an SQLite database in memory, gone on Close
//
// The URL appears in errors with its password redacted. The pool is
// DefaultPool's.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenPool(ctx, url, DefaultPool())
}

// OpenPool is Open with the connection pool bounded by pool. (An
// in-memory SQLite database always has exactly one connection.)
func OpenPool(ctx context.Context, url string, pool Pool) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(url)
	case url == "sqlite::memory:":
		db, err = openSQLiteMemory()
		pool.MaxOpen, pool.MaxIdle, pool.MaxLifetime, pool.MaxIdleTime = 1, 1, 0, 0
	case strings.HasPrefix(url, "sqlite:"):
		db, err = openSQLiteFile(strings.TrimPrefix(url, "sqlite:"))
	default:
		err = errors.New("want a postgres://…, postgresql://…, sqlite:PATH or sqlite::memory: URL")
	}
	if err == nil {
		db.setPool(pool)
		if err = db.bun.PingContext(ctx); err != nil {
			db.bun.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", redact(url), scrub(err, url))
	}
	return db, nil
}

func openPostgres(url string) (*DB, error) {
	if _, err := neturl.Parse(url); err != nil {
		// A *url.Error repeats the URL, password and all: keep only why.
		if uerr := (*neturl.Error)(nil); errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	pc, err := pq.NewConnector(url)
	if err != nil {
		return nil, err
	}
	return newDB(sql.OpenDB(connector{Connector: pc}), Postgres, "")
}

func openSQLiteFile(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: needs a file path (or :memory: for a database in memory)")
	}
	if strings.Contains(path, "?") {
		// The driver reads everything after the first '?' as parameters.
		return nil, errors.New("sqlite: the file path must not contain '?'")
	}
	return newDB(sql.OpenDB(connector{dsnConnector{path + "?" + sqliteFileParams, sqliteDriver()}, newWriterLock()}), SQLite, path)
}

// openSQLiteMemory opens an in-memory database. Every connection to
// ":memory:" is a database of its own that lives as long as the connection,
// so the pool holds exactly one connection and never retires it: every
// query sees the same data, and the data lasts until Close. (A shared-cache
// "file::memory:" would allow more connections, but brings table-level
// locking errors and a name shared by the whole process.) With one
// connection, a transaction has it to itself: code inside Store.Tx must use
// the Store it is given, never the outer one, or it waits forever.
func openSQLiteMemory() (*DB, error) {
	return newDB(sql.OpenDB(connector{Connector: dsnConnector{":memory:?_pragma=foreign_keys(1)", sqliteDriver()}}), SQLite, "")
}

// sqliteDriver is the driver modernc.org/sqlite registers (sql.Open
// connects to nothing).
func sqliteDriver() driver.Driver {
	db, _ := sql.Open("sqlite", "")
	defer db.Close()
	return db.Driver()
}

func newDB(sqldb *sql.DB, dialect, path string) (*DB, error) {
	fsys, err := migrations.FS(dialect)
	if err != nil {
		sqldb.Close()
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(fsys); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("discover migrations: %w", err)
	}
	db := &DB{dialect: dialect, path: path, migrations: ms}
	if dialect == Postgres {
		db.bun = bun.NewDB(sqldb, pgdialect.New())
	} else {
		db.bun = bun.NewDB(sqldb, sqlitedialect.New())
	}
	return db, nil
}

// setPool applies pool to the connection pool and, with an acquire
// timeout, bounds each statement's wait for a connection.
func (db *DB) setPool(p Pool) {
	sqldb := db.bun.DB
	sqldb.SetMaxOpenConns(p.MaxOpen)
	sqldb.SetMaxIdleConns(min(p.MaxIdle, p.MaxOpen))
	sqldb.SetConnMaxLifetime(p.MaxLifetime)
	sqldb.SetConnMaxIdleTime(p.MaxIdleTime)
	db.acquireTimeout, db.onShed = p.AcquireTimeout, p.OnShed
	if p.AcquireTimeout > 0 {
		db.bun = db.bun.WithQueryHook(acquireHook{timeout: p.AcquireTimeout, onShed: p.OnShed})
	}
}

// Dialect returns "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect }

// Bun returns the underlying Bun database.
func (db *DB) Bun() *bun.DB { return db.bun }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.bun.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the database; an in-memory database is gone.
func (db *DB) Close() error {
	return db.bun.Close()
}

// redact returns url fit for a message: with its password replaced, or,
// when it does not parse (so the password cannot be found), its scheme only.
func redact(url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		scheme, _, ok := strings.Cut(url, ":")
		if !ok {
			return "(unparsable)"
		}
		return scheme + ":(unparsable)"
	}
	return u.Redacted()
}

// scrub returns err, or, should its text contain the password of url (as
// decoded or as written), an error with the same text but the password
// replaced: drivers' errors are not known never to quote their DSN.
func scrub(err error, url string) error {
	u, perr := neturl.Parse(url)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		return err
	}
	_, written, _ := strings.Cut(u.User.String(), ":")
	msg := err.Error()
	clean := strings.ReplaceAll(strings.ReplaceAll(msg, pw, "xxxxx"), written, "xxxxx")
	if clean == msg {
		return err
	}
	return errors.New(clean)
}
