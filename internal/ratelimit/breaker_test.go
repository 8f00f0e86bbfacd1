package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
)

// flaky is a backend that counts the takes that reach it and fails or
// hangs on demand.
type flaky struct {
	next  ratelimit.Limiter
	calls atomic.Int64
	fail  atomic.Bool
	hang  atomic.Bool // until the take's context is done
}

var errFlaky = errors.New("backend down")

func (f *flaky) Take(ctx context.Context, now time.Time, takes ...ratelimit.Take) ([]ratelimit.Result, error) {
	f.calls.Add(1)
	if f.hang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.fail.Load() {
		return nil, errFlaky
	}
	return f.next.Take(ctx, now, takes...)
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }
func newClock() *clock               { return &clock{now: time.Unix(1_800_000_000, 0)} }
func oneTake(key string) ratelimit.Take {
	return ratelimit.Take{Key: key, Rate: ratelimit.Rate{Burst: 1000, Per: time.Second}}
}

func wantDown(t *testing.T, err error, minRetry time.Duration) {
	t.Helper()
	var ue *ratelimit.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v, want an *UnavailableError", err)
	}
	if ue.RetryAfter < minRetry {
		t.Fatalf("RetryAfter %v, want at least %v", ue.RetryAfter, minRetry)
	}
}

func TestBreaker(t *testing.T) {
	ctx := context.Background()
	setup := func() (*flaky, *clock, *ratelimit.Breaker, *[]ratelimit.BreakerState) {
		f := &flaky{next: ratelimit.NewMemory(0)}
		c := newClock()
		var states []ratelimit.BreakerState
		b := ratelimit.NewBreaker(f, ratelimit.BreakerOptions{Failures: 3, CoolOff: 2 * time.Second, Timeout: 50 * time.Millisecond,
			Now: c.Now, OnState: func(s ratelimit.BreakerState) { states = append(states, s) }})
		return f, c, b, &states
	}
	// trip fails takes until the breaker opens.
	trip := func(t *testing.T, f *flaky, b *ratelimit.Breaker) {
		t.Helper()
		f.fail.Store(true)
		for range 3 {
			_, err := b.Take(ctx, time.Now(), oneTake("k"))
			wantDown(t, err, time.Second)
		}
		if b.State() != ratelimit.BreakerOpen {
			t.Fatalf("state %v after 3 failures, want open", b.State())
		}
	}

	t.Run("closed passes through", func(t *testing.T) {
		f, _, b, states := setup()
		res, err := b.Take(ctx, time.Now(), oneTake("k"))
		if err != nil || len(res) != 1 || !res[0].OK || f.calls.Load() != 1 || len(*states) != 0 {
			t.Fatalf("res %v, err %v, calls %d, states %v", res, err, f.calls.Load(), *states)
		}
	})
	t.Run("fewer failures than the threshold keep it closed", func(t *testing.T) {
		f, _, b, _ := setup()
		f.fail.Store(true)
		for range 2 {
			_, _ = b.Take(ctx, time.Now(), oneTake("k"))
		}
		f.fail.Store(false)
		if _, err := b.Take(ctx, time.Now(), oneTake("k")); err != nil {
			t.Fatal(err)
		}
		f.fail.Store(true)
		for range 2 {
			_, _ = b.Take(ctx, time.Now(), oneTake("k"))
		}
		// 2, a success, 2: never 3 in a row.
		if b.State() != ratelimit.BreakerClosed {
			t.Fatalf("state %v, want closed", b.State())
		}
	})
	t.Run("open asks nothing", func(t *testing.T) {
		f, c, b, _ := setup()
		trip(t, f, b)
		before := f.calls.Load()
		for range 100 {
			_, err := b.Take(ctx, time.Now(), oneTake("k"))
			wantDown(t, err, time.Second)
			if !errors.Is(err, ratelimit.ErrBackendDown) {
				t.Fatalf("error %v, want ErrBackendDown", err)
			}
		}
		if n := f.calls.Load() - before; n != 0 {
			t.Fatalf("%d takes reached the backend while open", n)
		}
		c.Add(1500 * time.Millisecond)
		_, err := b.Take(ctx, time.Now(), oneTake("k"))
		wantDown(t, err, time.Second) // half a second left, rounded up to one
	})
	t.Run("one probe after the cool-off", func(t *testing.T) {
		f, c, b, states := setup()
		trip(t, f, b)
		f.fail.Store(false)
		f.hang.Store(true) // the probe hangs until its timeout
		c.Add(2 * time.Second)
		before := f.calls.Load()
		var wg sync.WaitGroup
		var refused atomic.Int64
		for range 20 {
			wg.Go(func() {
				if _, err := b.Take(ctx, time.Now(), oneTake("k")); errors.Is(err, ratelimit.ErrBackendDown) {
					refused.Add(1)
				}
			})
		}
		wg.Wait()
		if n := f.calls.Load() - before; n != 1 {
			t.Fatalf("%d takes reached the backend after the cool-off, want 1 probe", n)
		}
		if refused.Load() != 20 || b.State() != ratelimit.BreakerOpen {
			t.Fatalf("%d of 20 refused (the probe timed out: all 20), state %v", refused.Load(), b.State())
		}
		// The probe failed: open for another whole cool-off.
		c.Add(1900 * time.Millisecond)
		if _, err := b.Take(ctx, time.Now(), oneTake("k")); err == nil || f.calls.Load()-before != 1 {
			t.Fatalf("taken before the second cool-off ended (err %v)", err)
		}
		f.hang.Store(false)
		c.Add(100 * time.Millisecond)
		if _, err := b.Take(ctx, time.Now(), oneTake("k")); err != nil {
			t.Fatalf("a good probe failed: %v", err)
		}
		if b.State() != ratelimit.BreakerClosed {
			t.Fatalf("state %v after a good probe, want closed", b.State())
		}
		want := []ratelimit.BreakerState{ratelimit.BreakerOpen, ratelimit.BreakerProbing, ratelimit.BreakerOpen, ratelimit.BreakerProbing, ratelimit.BreakerClosed}
		if len(*states) != len(want) {
			t.Fatalf("states %v, want %v", *states, want)
		}
		for i := range want {
			if (*states)[i] != want[i] {
				t.Fatalf("states %v, want %v", *states, want)
			}
		}
	})
	t.Run("a hung backend times out", func(t *testing.T) {
		f, _, b, _ := setup()
		f.hang.Store(true)
		_, err := b.Take(ctx, time.Now(), oneTake("k"))
		wantDown(t, err, time.Second)
		if !errors.Is(err, ratelimit.ErrBackendDown) {
			t.Fatalf("error %v, want ErrBackendDown (timed out)", err)
		}
	})
	t.Run("the caller giving up is no failure", func(t *testing.T) {
		f, _, b, _ := setup()
		f.hang.Store(true)
		for range 5 {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := b.Take(cctx, time.Now(), oneTake("k")); !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want the caller's", err)
			}
		}
		if b.State() != ratelimit.BreakerClosed {
			t.Fatalf("state %v after 5 cancelled takes, want closed", b.State())
		}
	})
}

// TestBreakerRedisOutage kills a Redis of the test's own under a running
// load: takes fail fast with UnavailableError, the breaker stops asking
// Redis, and once Redis is back the takes succeed again without a restart.
func TestBreakerRedisOutage(t *testing.T) {
	srv := proctest.Redis(t)
	opt, err := redis.ParseURL(srv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	ratelimit.HeedContext(opt)
	// No retries (go-redis dials 5 times, 100 ms apart, by default): a
	// refused connection fails in microseconds, so a breaker that kept
	// asking Redis would ask it hundreds of times below.
	opt.MaxRetries, opt.DialerRetries = -1, 1
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	f := &flaky{next: ratelimit.Redis{Client: c}}
	// The breaker's clock stands still: it stays open until the test
	// moves it past the cool-off.
	clk := newClock()
	b := ratelimit.NewBreaker(f, ratelimit.BreakerOptions{CoolOff: time.Second, Now: clk.Now})
	ctx := context.Background()
	// The load: 4 workers taking as fast as they can until the test ends.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, down atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := b.Take(ctx, time.Now(), oneTake("load")); err == nil {
					ok.Add(1)
				} else {
					down.Add(1)
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
	poll := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s: not within 30 s (ok %d, down %d, backend calls %d)", what, ok.Load(), down.Load(), f.calls.Load())
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
	}
	poll("takes succeed", func() bool { return ok.Load() > 100 })

	srv.Kill()
	poll("the breaker opens", func() bool { return b.State() == ratelimit.BreakerOpen })
	// While it is open, takes are refused without reaching Redis: of
	// at least 2000 refusals, only those already asking Redis when it
	// opened (one per worker) did.
	calls, refused := f.calls.Load(), down.Load()
	poll("2000 takes refused", func() bool { return down.Load()-refused >= 2000 })
	if reached := f.calls.Load() - calls; reached > 4 {
		t.Fatalf("%d of %d refused takes reached Redis while the breaker was open, want at most the 4 in flight",
			reached, down.Load()-refused)
	}
	_, err = b.Take(ctx, time.Now(), oneTake("other"))
	wantDown(t, err, time.Second)

	srv.Start()
	served := ok.Load()
	poll("takes succeed again", func() bool {
		clk.Add(time.Second) // past the cool-off: the next take probes
		return ok.Load() > served+100 && b.State() == ratelimit.BreakerClosed
	})
}

// BenchmarkBreakerTake is one take through the breaker: closed, on the
// in-memory backend (the breaker's own cost) and, with the breaker open,
// on a backend that is down (what a request pays during an outage).
func BenchmarkBreakerTake(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		open bool
	}{{"closed", false}, {"open", true}} {
		b.Run(bc.name, func(b *testing.B) {
			f := &flaky{next: ratelimit.NewMemory(0)}
			br := ratelimit.NewBreaker(f, ratelimit.BreakerOptions{CoolOff: time.Hour})
			if bc.open {
				f.fail.Store(true)
				for range 3 {
					_, _ = br.Take(ctx, time.Now(), oneTake("k"))
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				_, err := br.Take(ctx, time.Now(), oneTake("k"))
				if (err != nil) != bc.open {
					b.Fatal(err)
				}
			}
		})
	}
}
