package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestThroughPgbouncer: through pgbouncer in transaction mode, where no
// session outlives a transaction, two processes migrate one database at
// once (the lock is a transaction's), and the store's statements work.
func TestThroughPgbouncer(t *testing.T) {
	dbURL, _, _ := scratchDatabase(t)
	_, bounced := proctest.PgBouncer(t, dbURL)
	ctx := context.Background()
	dbs := make([]*store.DB, 2)
	for i := range dbs {
		db, err := store.Open(ctx, bounced)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	applied := make([][]string, len(dbs))
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		mustNoError(t, err)
	}
	if n := len(applied[0]) + len(applied[1]); n != len(allMigrations) {
		t.Fatalf("the two Migrate calls applied %d migrations between them, want each of %d once", n, len(allMigrations))
	}
	wantPending(t, dbs[0], nil)

	rl := dbs[1].RateLimiter()
	rate := ratelimit.Rate{Burst: 2, Per: time.Minute}
	for i, want := range []bool{true, true, false} {
		res, err := rl.Take(ctx, time.Now(), ratelimit.Take{Key: "bounced", Rate: rate})
		mustNoError(t, err)
		if res[0].OK != want {
			t.Fatalf("take %d: ok %v, want %v", i+1, res[0].OK, want)
		}
	}
	s := store.New(dbs[0])
	c := mustCreateCustomer(t, s, newCustomer("bounced@example.com"))
	got, err := s.Customer(ctx, c.ID)
	mustNoError(t, err)
	if got.ID != c.ID || *got.Email != *c.Email {
		t.Fatalf("customer %+v, want %+v", got, c)
	}
}
