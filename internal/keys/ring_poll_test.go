package keys_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
)

// pollEvery is the tests' poll interval: a running ring polls as fast as
// this; the tests wait on counted polls, never on time.
const pollEvery = time.Millisecond

// syncBuffer is a log a running ring writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run runs r.Run until the test ends, and checks that it then returns.
func run(t *testing.T, r *keys.Ring) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return 10 s after its context ended")
		}
	})
}

// waitFor polls cond until it holds, failing the test after 10 s, and
// returns how long it took.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("after 10 s, still not %s", what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// waitPolls waits until the ring has read the generation n more times.
func waitPolls(t *testing.T, st *memStore, n int32) {
	t.Helper()
	p0 := st.polls.Load()
	waitFor(t, "polled", func() bool { return st.polls.Load() >= p0+n })
}

// TestRunReloadsOnlyWhenTheGenerationMoves: a running ring reads the
// generation on every poll and the keys only after a change, which it
// then signs with within three polls.
func TestRunReloadsOnlyWhenTheGenerationMoves(t *testing.T) {
	st := &memStore{}
	clk := newClock()
	o := ringOptions(st, clk)
	o.PollEvery = pollEvery
	r := mustRing(t, o)
	old := mustSigningKey(t, r)
	loads := st.loads.Load()
	run(t, r)

	waitPolls(t, st, 20)
	if n := st.loads.Load() - loads; n != 0 {
		t.Fatalf("20 polls of an unchanged generation loaded the keys %d times, want 0", n)
	}

	ro := rotateOptions(clk)
	ro.Delay = 0
	next := mustRotate(t, st, ro)
	loads = st.loads.Load() // Rotate lists the keys
	// A poll that starts after the rotation sees it and reloads before
	// the next one starts: after three, the ring must sign with the key.
	waitPolls(t, st, 3)
	if k := mustSigningKey(t, r); k.ID != next.ID || !k.CanSign() {
		t.Fatalf("three polls after rotate --now, signs with %s (old %s), want %s", k.ID, old.ID, next.ID)
	}
	waitPolls(t, st, 20)
	if n := st.loads.Load() - loads; n != 1 {
		t.Fatalf("one change loaded the keys %d times, want 1", n)
	}
}

// TestRunKeepsSigningWhenPollsFail: polls that fail leave the ring
// signing with the keys it had, are logged once (not on every poll), and
// do not stop it: once they work again, the change they missed arrives.
func TestRunKeepsSigningWhenPollsFail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		broke func(st *memStore) *atomic.Bool
	}{
		{"generation unreadable", func(st *memStore) *atomic.Bool { return &st.failGeneration }},
		{"keys unreadable", func(st *memStore) *atomic.Bool { return &st.fail }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &memStore{}
			clk := newClock()
			var logged syncBuffer
			o := ringOptions(st, clk)
			o.PollEvery = pollEvery
			o.Logger = slog.New(slog.NewJSONHandler(&logged, nil))
			r := mustRing(t, o)
			old := mustSigningKey(t, r)
			// Rotated before the ring runs, so that its first poll has a
			// change to bring.
			ro := rotateOptions(clk)
			ro.Delay = 0
			next := mustRotate(t, st, ro)
			broken := tc.broke(st)
			broken.Store(true)
			run(t, r)

			waitPolls(t, st, 10)
			if k := mustSigningKey(t, r); k.ID != old.ID || !k.CanSign() {
				t.Fatalf("with failing polls, signs with %v, want %s", k, old.ID)
			}
			if n := strings.Count(logged.String(), "polling signing keys failed"); n != 1 {
				t.Fatalf("10 failed polls logged %d times, want once:\n%s", n, logged.String())
			}
			if !strings.Contains(logged.String(), errStoreDown.Error()) {
				t.Fatalf("the log does not name the cause:\n%s", logged.String())
			}

			broken.Store(false)
			took := waitFor(t, "signing with the new key", func() bool { return mustSigningKey(t, r).ID == next.ID })
			t.Logf("signs with the new key %v after the polls work again", took)
			waitFor(t, "logged that polls work again", func() bool {
				return strings.Contains(logged.String(), "polling signing keys works again")
			})
		})
	}
}

// TestRunReturns: Run returns when its context ends, and at once for a
// ring without database keys, which has nothing to poll.
func TestRunReturns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ring   func(t *testing.T) *keys.Ring
		cancel bool
	}{
		{"when its context ends", func(t *testing.T) *keys.Ring { return mustRing(t, ringOptions(&memStore{}, newClock())) }, true},
		{"without a store", func(t *testing.T) *keys.Ring {
			return mustRing(t, keys.Options{Fixed: []*keys.Key{mustEd25519Key(t)}})
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.ring(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				r.Run(ctx)
			}()
			if tc.cancel {
				select {
				case <-done:
					t.Fatal("Run returned before its context ended")
				case <-time.After(20 * time.Millisecond):
				}
				cancel()
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
		})
	}
}
