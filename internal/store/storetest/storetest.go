// Package storetest gives tests a fresh, migrated database of each
// supported kind: an SQLite file in the test's temporary directory, and a
// PostgreSQL schema of its own on the server GATEHOUSE_TEST_POSTGRES_URL
// names. Tests that share a server never share tables.
//
// Without that variable the PostgreSQL tests are skipped, loudly; with CI
// set they fail instead, so CI never skips them.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver

	"github.com/gatehouse/gatehouse/internal/servicetest"
	"github.com/gatehouse/gatehouse/internal/store"
)

// PostgresEnv names the variable holding the URL of the PostgreSQL database
// the tests use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = servicetest.Postgres

// Database is one backend to run a test against.
type Database struct {
	Name string // "sqlite" or "postgres"
	URL  string
}

// SQLite returns the URL of a fresh SQLite file in tb.TempDir().
func SQLite(tb testing.TB) string {
	tb.Helper()
	return "sqlite:" + filepath.Join(tb.TempDir(), "gatehouse.db")
}

// Postgres returns a URL on the database GATEHOUSE_TEST_POSTGRES_URL names
// whose search_path is a schema of its own, created now and dropped when
// the test ends. Without the variable it skips the test, or fails it when
// CI is set; with the variable but no server answering, it fails.
func Postgres(tb testing.TB) string {
	tb.Helper()
	base := servicetest.URL(tb, PostgresEnv)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("storetest: %s does not parse as a URL", PostgresEnv)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", u.Redacted(), err)
	}
	defer admin.Close()
	schema := "test_" + randomHex(tb, 8)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("storetest: PostgreSQL at %s (%s) is not usable: %v", u.Redacted(), PostgresEnv, err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("postgres", base)
		if err != nil {
			tb.Errorf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Each runs fn as a subtest per backend, "database=sqlite" and
// "database=postgres", with an opened and migrated database that is closed
// when the subtest ends. The PostgreSQL subtest skips or fails as Postgres
// does.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{
		{"sqlite", SQLite},
		{"postgres", Postgres},
	} {
		t.Run("database="+d.name, func(t *testing.T) {
			t.Helper()
			fn(t, MustOpen(t, d.url(t)))
		})
	}
}

// MustOpen opens and migrates the database at url, and closes it when the
// test ends.
func MustOpen(tb testing.TB, url string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close database: %v", err)
		}
	})
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// PostgresDatabase is Postgres with a database of its own instead of a
// schema, created now and dropped when the test ends: for a pooler such
// as pgbouncer, which refuses search_path as a startup parameter.
func PostgresDatabase(tb testing.TB) string {
	tb.Helper()
	base := servicetest.URL(tb, PostgresEnv)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("storetest: %s does not parse as a URL", PostgresEnv)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", u.Redacted(), err)
	}
	name := "gatehouse_test_" + randomHex(tb, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		tb.Fatalf("storetest: PostgreSQL at %s (%s) is not usable: %v", u.Redacted(), PostgresEnv, err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			tb.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
