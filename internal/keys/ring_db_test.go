package keys_test

import (
	"context"
	"sync"
	"sync/atomic"
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

// TestSigningKeyGenerationBumps: every change to the keys bumps the
// generation in its own transaction, as another instance reads it; a
// write that changes nothing, or fails, bumps nothing.
func TestSigningKeyGenerationBumps(t *testing.T) {
	rotateNow := rotateOptions(newClock())
	rotateNow.Delay = 0
	for _, tc := range []struct {
		name string
		// first makes a first key before the write.
		first   bool
		write   func(t *testing.T, st *store.Store) error
		wantErr bool
		bump    int64
	}{
		{"a ring's first key", false, func(t *testing.T, st *store.Store) error {
			_, err := keys.NewRing(t.Context(), ringOptions(st, newClock()))
			return err
		}, false, 1},
		{"a first key beside an active one", true, func(t *testing.T, st *store.Store) error {
			recs, err := st.SigningKeys(t.Context(), time.Time{})
			if err != nil {
				return err
			}
			again := *recs[0]
			again.ID = "another"
			created, err := st.CreateFirstSigningKey(t.Context(), &again, t0)
			if created {
				t.Error("CreateFirstSigningKey created a key beside an active one")
			}
			return err
		}, false, 0},
		{"rotate", true, func(t *testing.T, st *store.Store) error {
			_, err := keys.Rotate(t.Context(), st, rotateOptions(newClock()))
			return err
		}, false, 1},
		{"rotate --now", true, func(t *testing.T, st *store.Store) error {
			_, err := keys.Rotate(t.Context(), st, rotateNow)
			return err
		}, false, 1},
		{"rotate on an empty table", false, func(t *testing.T, st *store.Store) error {
			_, err := keys.Rotate(t.Context(), st, rotateOptions(newClock()))
			return err
		}, false, 1},
		{"a failed rotation", true, func(t *testing.T, st *store.Store) error {
			recs, err := st.SigningKeys(t.Context(), time.Time{})
			if err != nil {
				return err
			}
			return st.RotateSigningKey(t.Context(), recs[0], t0.Add(time.Hour)) // its kid is taken
		}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDatabase(t, func(t *testing.T, a, b *store.Store) {
				if tc.first {
					mustRing(t, ringOptions(a, newClock()))
				}
				before := mustGeneration(t, b)
				if err := tc.write(t, a); (err != nil) != tc.wantErr {
					t.Fatalf("write: %v, want an error: %v", err, tc.wantErr)
				}
				if got := mustGeneration(t, b) - before; got != tc.bump {
					t.Fatalf("generation moved by %d, want %d", got, tc.bump)
				}
			})
		})
	}
}

func mustGeneration(t *testing.T, st keys.Store) int64 {
	t.Helper()
	g, err := st.SigningKeyGeneration(t.Context())
	if err != nil {
		t.Fatalf("SigningKeyGeneration: %v", err)
	}
	return g
}

// pollCounter counts the generation reads a Store answered.
type pollCounter struct {
	keys.Store
	polls atomic.Int32
}

func (p *pollCounter) SigningKeyGeneration(ctx context.Context) (int64, error) {
	g, err := p.Store.SigningKeyGeneration(ctx)
	p.polls.Add(1)
	return g, err
}

// TestRunningRingSeesRotateNow: `keys rotate --now`, run against the
// database through another pool, reaches a running instance through its
// polls, within three of them, with no reload falling due on its clock.
func TestRunningRingSeesRotateNow(t *testing.T) {
	eachDatabase(t, func(t *testing.T, a, b *store.Store) {
		clk := newClock()
		counted := &pollCounter{Store: a}
		o := ringOptions(counted, clk)
		o.PollEvery = 10 * time.Millisecond
		r := mustRing(t, o)
		old := mustSigningKey(t, r)
		run(t, r)

		ro := rotateOptions(clk)
		ro.Delay = 0
		next := mustRotate(t, b, ro)
		// A read that completes after this one may have begun before the
		// rotation; the one after it began after, and its reload ends
		// before the third completes.
		p0 := counted.polls.Load()
		took := waitFor(t, "signing with the new key, or polled three times", func() bool {
			return mustSigningKey(t, r).ID == next.ID || counted.polls.Load() >= p0+3
		})
		if k := mustSigningKey(t, r); k.ID != next.ID || !k.CanSign() {
			t.Fatalf("three polls after rotate --now, signs with %s (old %s), want %s", k.ID, old.ID, next.ID)
		}
		t.Logf("signs with the new key %v after rotate --now (%d polls)", took, counted.polls.Load()-p0)
	})
}
