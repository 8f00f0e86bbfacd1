package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// openPool migrates the database at url, then opens it again with a pool
// of its own. (Migrating on PostgreSQL takes two connections: one holds
// the lock.)
func openPool(t *testing.T, url string, p store.Pool) *store.DB {
	t.Helper()
	storetest.MustOpen(t, url)
	db, err := store.OpenPool(context.Background(), url, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A statement that finds every connection taken waits AcquireTimeout, then
// gets UNAVAILABLE (never an internal error) and is counted; once a
// connection is free again statements run, and a transaction that took its
// connection in time is not cut short by the timeout.
func TestPoolAcquireTimeout(t *testing.T) {
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run("database="+d.name, func(t *testing.T) {
			var shed atomic.Int64
			db := openPool(t, d.url(t), store.Pool{MaxOpen: 1, MaxIdle: 1, AcquireTimeout: 100 * time.Millisecond, OnShed: func() { shed.Add(1) }})
			s := store.New(db)
			ctx := context.Background()

			held := make(chan struct{})
			release := make(chan struct{})
			txDone := make(chan error, 1)
			go func() {
				txDone <- s.Tx(ctx, func(tx auth.Store) error {
					if _, err := tx.Setting(ctx, "pool-test"); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
						return err
					}
					close(held)
					<-release
					// Longer than the acquire timeout since BEGIN: the
					// transaction must still commit.
					_, err := tx.InitSetting(ctx, "pool-test", "v", t0)
					return err
				})
			}()
			<-held

			_, err := s.Setting(ctx, "pool-test")
			wantCode(t, err, gatehouse.CodeUnavailable)
			if e := gatehouse.AsError(err); e.RetryAfter < time.Second {
				t.Errorf("RetryAfter = %v, want at least 1s", e.RetryAfter)
			}
			if n := shed.Load(); n != 1 {
				t.Errorf("OnShed called %d times, want 1", n)
			}
			// A read through Retry waits on its own connection the same.
			_, err = s.Session(ctx, "ses_pool-test")
			wantCode(t, err, gatehouse.CodeUnavailable)
			if n := shed.Load(); n != 2 {
				t.Errorf("OnShed called %d times after a read through Retry, want 2", n)
			}

			time.Sleep(150 * time.Millisecond)
			close(release)
			if err := <-txDone; err != nil {
				t.Fatalf("transaction that held its connection past the timeout: %v", err)
			}
			v, err := s.Setting(ctx, "pool-test")
			mustNoError(t, err)
			if v != "v" {
				t.Fatalf("setting = %q, want v", v)
			}
		})
	}
}

// However many statements run at once, PostgreSQL sees at most MaxOpen
// connections from the pool, and none of the statements fails.
func TestPoolBoundsPostgresConnections(t *testing.T) {
	base := storetest.Postgres(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	name := "gatehouse_pool_test_" + newID()
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	const maxOpen = 3
	storetest.MustOpen(t, base)
	db, err := store.OpenPool(context.Background(), u.String(), store.Pool{MaxOpen: maxOpen, MaxIdle: maxOpen, AcquireTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := store.New(db)

	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		failed  atomic.Int64
		stop    = make(chan struct{})
		maxSeen atomic.Int64
	)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var n int64
			if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", name).Scan(&n); err == nil && n > maxSeen.Load() {
				maxSeen.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	for range 64 {
		wg.Go(func() {
			for range 20 {
				if _, err := s.Setting(ctx, "absent"); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	if n := failed.Load(); n != 0 {
		t.Errorf("%d of %d statements failed", n, 64*20)
	}
	if n := maxSeen.Load(); n < 1 || n > maxOpen {
		t.Fatalf("PostgreSQL saw %d connections of the pool at most, want 1 to %d", n, maxOpen)
	}
}

// SQLite writes one at a time, waiting in the process rather than in
// SQLite's busy handler: while a transaction writes, reads run beside it
// on other connections, and a write outside it waits for the writer lock
// (bounded by the acquire timeout, then UNAVAILABLE) instead of sleeping
// in busy_timeout and failing with SQLITE_BUSY.
func TestSQLiteOneWriter(t *testing.T) {
	url := storetest.SQLite(t)
	db := openPool(t, url, store.Pool{MaxOpen: 4, MaxIdle: 4, AcquireTimeout: 200 * time.Millisecond})
	s := store.New(db)
	ctx := context.Background()
	mustNoError(t, func() error { _, err := s.InitSetting(ctx, "before", "v", t0); return err }())

	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Tx(ctx, func(tx auth.Store) error {
			if _, err := tx.InitSetting(ctx, "in-tx", "v", t0); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	if v, err := s.Setting(ctx, "before"); err != nil || v != "v" {
		t.Fatalf("a read while a transaction writes: %q, %v", v, err)
	}
	_, err := s.InitSetting(ctx, "outside", "v", t0)
	wantCode(t, err, gatehouse.CodeUnavailable)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_, err = s.InitSetting(ctx, "outside", "v", t0)
	mustNoError(t, err)
}
