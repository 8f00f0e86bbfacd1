package keys_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
)

func TestRingBootstrap(t *testing.T) {
	for _, alg := range []keys.Alg{keys.EdDSA, keys.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			st := &memStore{}
			clk := newClock()
			o := ringOptions(st, clk)
			o.Alg = alg
			r := mustRing(t, o)
			recs := st.records()
			if len(recs) != 1 || recs[0].Alg != alg {
				t.Fatalf("stored %d keys (%v), want one %s key", len(recs), recs, alg)
			}
			k := mustSigningKey(t, r)
			if k.ID != recs[0].ID || k.Alg != alg || k.State(clk.Now()) != keys.StateActive {
				t.Fatalf("signs with %v, want the stored key", k)
			}
			// A second process on the same store uses that key.
			clk.Advance(time.Hour)
			if k2 := mustSigningKey(t, mustRing(t, o)); k2.ID != k.ID || len(st.records()) != 1 {
				t.Fatalf("second ring signs with %s and the store has %d keys", k2.ID, len(st.records()))
			}
		})
	}
}

func TestRingBootstrapsOnlyWithoutAnActiveKey(t *testing.T) {
	clk := newClock()
	for _, tc := range []struct {
		name    string
		setup   func(st *memStore)
		created bool
	}{
		{"empty", func(*memStore) {}, true},
		{"active key", func(st *memStore) { mustRotate(t, st, rotateOptions(clk)) }, false},
		{"only a key of another algorithm", func(st *memStore) {
			ro := rotateOptions(clk)
			ro.Alg = keys.RS256
			mustRotate(t, st, ro)
		}, true},
		{"only a retired key", func(st *memStore) {
			mustRotate(t, st, rotateOptions(clk))
			at := clk.Now()
			st.recs[0].RetiredAt, st.recs[0].ExpiresAt = &at, &at
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &memStore{}
			tc.setup(st)
			before := len(st.records())
			mustRing(t, ringOptions(st, clk))
			if created := len(st.records()) > before; created != tc.created {
				t.Fatalf("created a key: %v, want %v", created, tc.created)
			}
		})
	}
}

// TestRingFollowsRotation walks one rotation from two processes: the one
// that rotates and one that only learns of it by reloading.
func TestRingFollowsRotation(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	o := ringOptions(st, clk)
	o.ReloadEvery = time.Minute
	r := mustRing(t, o)
	old := mustSigningKey(t, r)

	clk.Advance(30 * time.Second)
	ro := rotateOptions(clk)
	next := mustRotate(t, st, ro)
	if !next.ActivatesAt.Equal(clk.Now().Add(ro.Delay)) {
		t.Fatalf("new key activates at %v, want %v", next.ActivatesAt, clk.Now().Add(ro.Delay))
	}

	// Before its next reload the ring knows nothing of it...
	if k := mustSigningKey(t, r); k.ID != old.ID {
		t.Fatalf("signs with %s before the new key is loaded", k.ID)
	}
	if published(r) != old.ID {
		t.Fatalf("publishes %s before reloading", published(r))
	}
	// ...and at its next reload it publishes the new key, still signing
	// with the old one.
	clk.Advance(30 * time.Second)
	if got, want := published(r), old.ID+" "+next.ID; got != want {
		t.Fatalf("publishes %s, want %s", got, want)
	}
	if k := mustSigningKey(t, r); k.ID != old.ID {
		t.Fatalf("signs with %s while the new key is pending", k.ID)
	}

	// At activation the new key signs and the old one retires; it still
	// verifies until every token it signed has expired.
	clk.Advance(ro.Delay - 30*time.Second)
	if k := mustSigningKey(t, r); k.ID != next.ID {
		t.Fatalf("signs with %s at activation, want %s", k.ID, next.ID)
	}
	k, err := r.VerificationKey(old.ID)
	if err != nil || k.State(clk.Now()) != keys.StateRetired {
		t.Fatalf("old key: %v, %v; want it retired and verifying", k, err)
	}
	clk.Advance(ro.VerifyFor - time.Second)
	if k, _ := r.VerificationKey(old.ID); k == nil || k.Expired(clk.Now()) {
		t.Fatalf("old key expired early: %v", k)
	}
	if got, want := published(r), old.ID+" "+next.ID; got != want {
		t.Fatalf("publishes %s, want %s", got, want)
	}
	clk.Advance(time.Second)
	if k, err := r.VerificationKey(old.ID); err == nil && !k.Expired(clk.Now()) {
		t.Fatalf("old key still verifies after its expiry: %v", k)
	}
	if got := published(r); got != next.ID {
		t.Fatalf("publishes %s after the old key expired, want %s", got, next.ID)
	}
	// Once the ring reloads, the expired key is gone.
	clk.Advance(time.Minute)
	if _, err := r.VerificationKey(old.ID); !errors.Is(err, keys.ErrUnknownKey) {
		t.Fatalf("VerificationKey(expired) = %v, want ErrUnknownKey", err)
	}
	if got := strings.Join(r.SigningAlgs(), " "); got != "EdDSA" {
		t.Errorf("SigningAlgs = %s", got)
	}
}

func published(r *keys.Ring) string {
	var ids []string
	for _, j := range r.JWKS() {
		ids = append(ids, j.Kid)
	}
	return strings.Join(ids, " ")
}

// TestRingRotateNow: after `keys rotate --now`, a ring that learns of it
// signs with the new key at once.
func TestRingRotateNow(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	r := mustRing(t, ringOptions(st, clk))
	old := mustSigningKey(t, r)
	ro := rotateOptions(clk)
	ro.Delay = 0
	next := mustRotate(t, st, ro)
	clk.Advance(keys.DefaultMinReloadGap)
	if _, err := r.VerificationKey(next.ID); err != nil {
		t.Fatalf("unknown kid did not reload: %v", err)
	}
	if k := mustSigningKey(t, r); k.ID != next.ID {
		t.Fatalf("signs with %s, want %s", k.ID, next.ID)
	}
	if k, err := r.VerificationKey(old.ID); err != nil || k.State(clk.Now()) != keys.StateRetired {
		t.Fatalf("old key = %v, %v", k, err)
	}
}

func TestRingUnknownKidReloadIsRateLimited(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	o := ringOptions(st, clk)
	o.MinReloadGap = 5 * time.Second
	r := mustRing(t, o)
	base := st.loads.Load()

	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			for j := range 20 {
				if _, err := r.VerificationKey(fmt.Sprintf("random-%d-%d", i, j)); !errors.Is(err, keys.ErrUnknownKey) {
					t.Errorf("VerificationKey(random) = %v", err)
				}
			}
		})
	}
	wg.Wait()
	if n := st.loads.Load() - base; n != 0 {
		t.Fatalf("1000 unknown kids within the gap of the start's load caused %d loads, want 0", n)
	}
	clk.Advance(5 * time.Second)
	for i := range 1000 {
		r.VerificationKey(fmt.Sprintf("again-%d", i))
	}
	if n := st.loads.Load() - base; n != 1 {
		t.Fatalf("1000 unknown kids after the gap caused %d loads, want 1", n)
	}
	// A known kid never reloads.
	k := mustSigningKey(t, r)
	clk.Advance(5 * time.Second)
	for range 100 {
		if _, err := r.VerificationKey(k.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.loads.Load() - base; n != 1 {
		t.Fatalf("known kids caused loads: %d", n)
	}
}

func TestRingKeepsKeysWhenReloadFails(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	var logged bytes.Buffer
	o := ringOptions(st, clk)
	o.Logger = slog.New(slog.NewJSONHandler(&logged, nil))
	r := mustRing(t, o)
	k := mustSigningKey(t, r)
	st.fail.Store(true)
	clk.Advance(2 * keys.DefaultReloadEvery)
	if got := mustSigningKey(t, r); got.ID != k.ID {
		t.Fatalf("signs with %s after a failed reload", got.ID)
	}
	if _, err := r.VerificationKey(k.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "reload signing keys failed") || !strings.Contains(logged.String(), errStoreDown.Error()) {
		t.Fatalf("log = %s", logged.String())
	}
	// The failed attempt counts: the ring does not retry on every call.
	loads := st.loads.Load()
	for range 10 {
		mustSigningKey(t, r)
	}
	if st.loads.Load() != loads {
		t.Fatal("the ring retried a failed reload at once")
	}
}

// TestRingFixedKeys: with keys from files, the first signs, every file
// key and every unexpired database key verifies, and the database gets
// no key of its own.
func TestRingFixedKeys(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	stored := mustRotate(t, st, rotateOptions(clk))
	first, second := mustEd25519Key(t), mustRSAKey(t)
	r := mustRing(t, keys.Options{Fixed: []*keys.Key{first, second}, Store: st, Now: clk.Now})
	if k := mustSigningKey(t, r); k.ID != first.ID {
		t.Fatalf("signs with %s, want the first file's key", k.ID)
	}
	for _, kid := range []string{first.ID, second.ID, stored.ID} {
		if _, err := r.VerificationKey(kid); err != nil {
			t.Errorf("VerificationKey(%s): %v", kid, err)
		}
	}
	if got, want := published(r), first.ID+" "+second.ID+" "+stored.ID; got != want {
		t.Errorf("publishes %s, want %s", got, want)
	}
	if len(st.records()) != 1 {
		t.Errorf("the store has %d keys, want the one it had", len(st.records()))
	}
	if got := strings.Join(r.SigningAlgs(), " "); got != "EdDSA RS256" {
		t.Errorf("SigningAlgs = %s", got)
	}
	// No KEK: the database key is loaded without its private half.
	if k, _ := r.VerificationKey(stored.ID); k.CanSign() {
		t.Error("the database key was opened without a KEK")
	}
}

func TestRingHS256(t *testing.T) {
	k, err := keys.NewHMAC([]byte(strings.Repeat("h", 32)))
	if err != nil {
		t.Fatal(err)
	}
	r := mustRing(t, keys.Options{Fixed: []*keys.Key{k}, Alg: keys.HS256})
	if got := mustSigningKey(t, r); got.ID != k.ID {
		t.Fatalf("signs with %s", got.ID)
	}
	if len(r.JWKS()) != 0 || len(r.Published()) != 0 {
		t.Fatal("the HS256 key is published")
	}
	if got := strings.Join(r.SigningAlgs(), " "); got != "HS256" {
		t.Errorf("SigningAlgs = %s", got)
	}
	if _, err := r.VerificationKey("other"); !errors.Is(err, keys.ErrUnknownKey) {
		t.Errorf("VerificationKey(other) = %v", err)
	}
}

// TestRingPrefersConfiguredAlg: with active keys of two algorithms (two
// settings during a change of algorithm), each process signs with its own.
func TestRingPrefersConfiguredAlg(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	o := ringOptions(st, clk)
	ed := mustSigningKey(t, mustRing(t, o))
	clk.Advance(time.Second)
	o.Alg = keys.RS256
	rs := mustSigningKey(t, mustRing(t, o))
	if ed.Alg != keys.EdDSA || rs.Alg != keys.RS256 {
		t.Fatalf("keys %v and %v", ed, rs)
	}
	o.Alg = keys.EdDSA
	if k := mustSigningKey(t, mustRing(t, o)); k.ID != ed.ID {
		t.Errorf("an EdDSA ring signs with %v", k)
	}
	// Once the EdDSA key retires, an EdDSA ring signs with what is left.
	at := clk.Now()
	exp := at.Add(time.Hour)
	for _, rec := range st.recs {
		if rec.ID == ed.ID {
			rec.RetiredAt, rec.ExpiresAt = &at, &exp
		}
	}
	r, err := keys.NewRing(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if k := mustSigningKey(t, r); k.Alg != keys.EdDSA || k.ID == ed.ID {
		t.Errorf("after retirement an EdDSA ring signs with %v, want a new EdDSA key", k)
	}
}

func TestNewRingRefuses(t *testing.T) {
	verifyOnly, err := keys.List(context.Background(), storeWith(t), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    keys.Options
		want string
	}{
		{"nothing", keys.Options{}, "fixed keys or a store"},
		{"store without KEK", keys.Options{Store: &memStore{}}, "key-encryption key"},
		{"store with a short KEK", keys.Options{Store: &memStore{}, KEK: testKEK[:16]}, "key-encryption key"},
		{"HS256 in the database", keys.Options{Store: &memStore{}, KEK: testKEK, Alg: keys.HS256}, "cannot be HS256"},
		{"first fixed key cannot sign", keys.Options{Fixed: verifyOnly}, "cannot sign"},
		{"store down", keys.Options{Store: func() *memStore { m := &memStore{}; m.fail.Store(true); return m }(), KEK: testKEK}, errStoreDown.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.NewRing(context.Background(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewRing: %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func storeWith(t *testing.T) *memStore {
	t.Helper()
	st := &memStore{}
	mustRotate(t, st, rotateOptions(newClock()))
	return st
}

// TestRingConcurrentUse signs, verifies, publishes and reloads at once,
// for the race detector.
func TestRingConcurrentUse(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	o := ringOptions(st, clk)
	o.MinReloadGap = time.Nanosecond
	r := mustRing(t, o)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				switch (i + j) % 4 {
				case 0:
					k := mustSigningKey(t, r)
					if _, err := r.VerificationKey(k.ID); err != nil {
						t.Error(err)
					}
				case 1:
					r.VerificationKey("unknown")
				case 2:
					r.JWKS()
				case 3:
					clk.Advance(time.Second)
					if err := r.Reload(context.Background()); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Go(func() {
		ro := rotateOptions(clk)
		for range 5 {
			mustRotate(t, st, ro)
		}
	})
	wg.Wait()
}
