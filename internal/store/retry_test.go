package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"

	_ "github.com/lib/pq" // registers the "postgres" driver
	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/servicetest"
	"github.com/gatehouse/gatehouse/internal/store"
)

// scratchDatabase creates a database of the test's own on the shared
// server, dropped when the test ends, and returns its URL and an admin
// connection to the server, and its name. Its settings may be changed (the shared
// test database's never are).
func scratchDatabase(t *testing.T) (dbURL string, admin *sql.DB, name string) {
	t.Helper()
	base := servicetest.URL(t, servicetest.Postgres)
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name = "gatehouse_h4_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String(), admin, name
}

// TestRetrySwitchover: a statement refused by a server gone read-only
// (25006, as a demoted primary answers) is retried once on a new
// connection, idempotent or not; the connection that met the read-only
// server is not reused.
func TestRetrySwitchover(t *testing.T) {
	dbURL, admin, name := scratchDatabase(t)
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	mustNoError(t, db.Retry(ctx, true, func(ctx context.Context, q bun.IDB) error {
		_, err := q.ExecContext(ctx, "CREATE TABLE note (n int)")
		return err
	}))
	setReadOnly := func(on string) {
		t.Helper()
		if _, err := admin.Exec("ALTER DATABASE " + name + " SET default_transaction_read_only = " + on); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name       string
		idempotent bool
	}{{"idempotent", true}, {"not idempotent", false}} {
		t.Run(tc.name, func(t *testing.T) {
			db.Bun().DB.SetMaxIdleConns(0) // the read-only default is read at connect
			setReadOnly("on")
			db.Bun().DB.SetMaxIdleConns(2)
			var retried []error
			db.OnRetry(func(err error) { retried = append(retried, err) })
			attempts := 0
			err := db.Retry(ctx, tc.idempotent, func(ctx context.Context, q bun.IDB) error {
				attempts++
				_, err := q.ExecContext(ctx, "INSERT INTO note VALUES (1)")
				if attempts == 1 {
					// The switchover completes; this connection's
					// session stays read-only.
					setReadOnly("off")
				}
				return err
			})
			if err != nil || attempts != 2 || len(retried) != 1 {
				t.Fatalf("error %v after %d attempts (%d retried), want a success on the second", err, attempts, len(retried))
			}
		})
	}
}

// TestRetryLostConnection: after every connection dropped (a failover),
// a read is retried once on a new connection; a write that is not
// idempotent is not, since it may have committed.
func TestRetryLostConnection(t *testing.T) {
	dbURL, _, _ := scratchDatabase(t)
	u, _ := url.Parse(dbURL)
	p := proctest.NewProxy(t, u.Host)
	u.Host = p.Addr
	db, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		idempotent bool
		attempts   int
	}{{"idempotent", true, 2}, {"not idempotent", false, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			mustNoError(t, db.Ping(ctx)) // a pooled connection, through the proxy
			p.Drop()
			attempts := 0
			err := db.Retry(ctx, tc.idempotent, func(ctx context.Context, q bun.IDB) error {
				attempts++
				var n int
				return q.NewRaw("SELECT 1").Scan(ctx, &n)
			})
			if attempts != tc.attempts || (tc.idempotent && err != nil) || (!tc.idempotent && err == nil) {
				t.Fatalf("%d attempts, error %v; want %d attempts", attempts, err, tc.attempts)
			}
		})
	}
}
