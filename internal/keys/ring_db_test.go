package keys_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// eachDatabase runs fn per backend with two stores on one fresh database,
// each with a connection pool of its own, as two instances have.
func eachDatabase(t *testing.T, fn func(t *testing.T, a, b *store.Store)) {
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run("database="+d.name, func(t *testing.T) {
			url := d.url(t)
			fn(t, store.New(storetest.MustOpen(t, url)), store.New(storetest.MustOpen(t, url)))
		})
	}
}

// TestInstancesStartingAtOnce: instances starting together on an empty
// database end up signing with one key, whatever the algorithm.
func TestInstancesStartingAtOnce(t *testing.T) {
	eachDatabase(t, func(t *testing.T, a, b *store.Store) {
		clk := newClock()
		const instances = 6
		rings := make([]*keys.Ring, instances)
		errs := make([]error, instances)
		var wg sync.WaitGroup
		for i := range instances {
			st := a
			if i%2 == 1 {
				st = b
			}
			wg.Go(func() { rings[i], errs[i] = keys.NewRing(t.Context(), ringOptions(st, clk)) })
		}
		wg.Wait()
		var kid string
		for i := range instances {
			if errs[i] != nil {
				t.Fatalf("instance %d: %v", i, errs[i])
			}
			k := mustSigningKey(t, rings[i])
			if kid == "" {
				kid = k.ID
			}
			if k.ID != kid {
				t.Errorf("instance %d signs with %s, instance 0 with %s", i, k.ID, kid)
			}
		}
		recs, err := a.SigningKeys(t.Context(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 {
			t.Fatalf("%d keys stored, want 1", len(recs))
		}
	})
}

// TestRotationReachesAnotherInstance: `keys rotate`, run against the
// database, reaches a running instance through its reloads.
func TestRotationReachesAnotherInstance(t *testing.T) {
	eachDatabase(t, func(t *testing.T, a, b *store.Store) {
		clk := newClock()
		r := mustRing(t, ringOptions(a, clk))
		old := mustSigningKey(t, r)
		ro := rotateOptions(clk)
		ro.Alg = keys.RS256
		next := mustRotate(t, b, ro)

		clk.Advance(keys.DefaultReloadEvery)
		if got := published(r); got != old.ID+" "+next.ID {
			t.Fatalf("publishes %q, want both keys", got)
		}
		if k := mustSigningKey(t, r); k.ID != old.ID {
			t.Fatalf("signs with %s before activation", k.ID)
		}
		clk.Advance(ro.Delay)
		if k := mustSigningKey(t, r); k.ID != next.ID || k.Alg != keys.RS256 || !k.CanSign() {
			t.Fatalf("signs with %v after activation, want %s opened", k, next.ID)
		}
		list, err := keys.List(t.Context(), a, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].State(clk.Now()) != keys.StateRetired || list[1].State(clk.Now()) != keys.StateActive {
			t.Fatalf("list = %v", list)
		}
	})
}
