package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		secret    string // must not appear in the error
	}{
		{"empty", "", ""},
		{"unknown scheme", "mysql://x", ""},
		{"unknown scheme with password", "mysql://root:hunter2@db/app", "hunter2"},
		{"sqlite without path", "sqlite:", ""},
		{"sqlite path with query", "sqlite:/tmp/x.db?mode=ro", ""},
		{"sqlite in a missing directory", "sqlite:" + filepath.Join(t.TempDir(), "missing", "x.db"), ""},
		{"postgres unreachable", "postgres://gh:s3cr3t-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=5", "s3cr3t-pw"},
		{"postgres bad port", "postgresql://gh:s3cr3t-pw@127.0.0.1:port/db", "s3cr3t-pw"},
		{"postgres bad parameter", "postgres://gh:s3cr3t-pw@127.0.0.1/db?sslmode=bogus", "s3cr3t-pw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(context.Background(), tc.url)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.url)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error reveals the password: %v", err)
			}
			t.Log(err)
		})
	}
}

func TestOpenDialect(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(testing.TB) string
		want string
	}{
		{"sqlite file", storetest.SQLite, store.SQLite},
		{"sqlite memory", func(testing.TB) string { return "sqlite::memory:" }, store.SQLite},
		{"postgres", storetest.Postgres, store.Postgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(t.Context(), tc.url(t))
			mustNoError(t, err)
			defer db.Close()
			if got := db.Dialect(); got != tc.want {
				t.Errorf("Dialect = %q, want %q", got, tc.want)
			}
			mustNoError(t, db.Ping(t.Context()))
		})
	}
}
