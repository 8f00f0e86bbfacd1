package graph_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// countedLimiter counts the takes that reach the limiter behind it.
type countedLimiter struct {
	ratelimit.Limiter
	calls atomic.Int64
}

func (c *countedLimiter) Take(ctx context.Context, now time.Time, takes ...ratelimit.Take) ([]ratelimit.Result, error) {
	c.calls.Add(1)
	return c.Limiter.Take(ctx, now, takes...)
}

// TestRedisOutageRateLimits kills the Redis that holds the buckets (one
// of the test's own) while sign-ins run: sign-in is then refused with
// UNAVAILABLE and retryAfterSeconds, never let through unlimited; refresh
// still goes through; with the breaker open no request asks Redis; once
// Redis is back, the limits hold again without a restart.
func TestRedisOutageRateLimits(t *testing.T) {
	srv := proctest.Redis(t)
	opt, err := redis.ParseURL(srv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	ratelimit.HeedContext(opt)
	// No retries (go-redis dials 5 times, 100 ms apart, by default): a
	// refused connection fails at once, so requests that kept asking
	// Redis with the breaker open would ask it many times below.
	opt.MaxRetries, opt.DialerRetries = -1, 1
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	redisTakes := &countedLimiter{Limiter: ratelimit.Redis{Client: rdb, Prefix: "outage:"}}
	// The breaker's clock stands still: it stays open until the test
	// moves it past the cool-off.
	clk := clocktest.New(time.Unix(1_800_000_000, 0))
	breaker := ratelimit.NewBreaker(redisTakes, ratelimit.BreakerOptions{CoolOff: 2 * time.Second, Now: clk.Now})

	db := storetest.MustOpen(t, storetest.SQLite(t))
	a := newAPIWith(t, db, func(o *graph.HandlerOptions) {
		o.RateLimits = graph.RateLimits{
			Limiter:    breaker,
			PerIP:      ratelimit.Rate{Burst: 100_000, Per: time.Minute},
			Identifier: ratelimit.Rate{Burst: 3, Per: time.Minute},
		}
	})
	refresh := *a.signedIn(t, "outage-refresh@example.com").RefreshToken
	signIn := func(email string) map[string]any {
		return map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": email, "password": "some password 1"}}
	}
	// code is the top-level error code of a sign-in, "" for none.
	code := func(r *response) string {
		if len(r.Errors) == 0 {
			return ""
		}
		c, _ := r.Errors[0].Extensions["code"].(string)
		return c
	}

	// The load: sign-ins on their own identifiers until the test ends;
	// errors come back to the test's goroutine.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var served, shed atomic.Int64
	loadErr := make(chan error, 4)
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r, err := a.post("", authQ, signIn(fmt.Sprintf("load-%d-%d@example.com", w, i)))
				switch {
				case err != nil:
					loadErr <- err
					return
				case code(r) == "UNAVAILABLE":
					shed.Add(1)
				case code(r) == "":
					served.Add(1)
				default:
					loadErr <- fmt.Errorf("sign-in under load: %s", r.raw)
					return
				}
			}
		})
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
	poll := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		for !cond() {
			select {
			case err := <-loadErr:
				t.Fatal(err)
			default:
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s: not within 30 s (served %d, shed %d, Redis takes %d)", what, served.Load(), shed.Load(), redisTakes.calls.Load())
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
	}
	poll("sign-ins served", func() bool { return served.Load() > 20 })

	srv.Kill()
	poll("the breaker opens", func() bool { return breaker.State() == ratelimit.BreakerOpen })
	calls := redisTakes.calls.Load()
	t.Run("sign-in refused with retryAfterSeconds", func(t *testing.T) {
		// More than the identifier's burst: none gets through.
		for i := range 5 {
			e := a.do(t, "", authQ, signIn("target@example.com")).topLevel(t)
			s, _ := e.Extensions["retryAfterSeconds"].(float64)
			if e.Extensions["code"] != "UNAVAILABLE" || s < 1 || s > 2 {
				t.Fatalf("sign-in %d: %+v, want UNAVAILABLE with retryAfterSeconds 1 to 2 (the cool-off)", i+1, e)
			}
		}
	})
	t.Run("refresh goes through", func(t *testing.T) {
		p := a.rotate(t, refresh)
		refresh = *mustTicket(t, p).RefreshToken
	})
	shedBefore := shed.Load()
	poll("100 more sign-ins shed", func() bool { return shed.Load() > shedBefore+100 })
	if n := redisTakes.calls.Load() - calls; n > 2 {
		// The 2 load workers may each have been asking when it opened.
		t.Fatalf("%d requests asked Redis while the breaker was open, want at most the 2 in flight", n)
	}

	srv.Start()
	poll("sign-ins served again", func() bool {
		clk.Advance(2 * time.Second) // past the cool-off: the next take probes
		return a.do(t, "", authQ, signIn("back@example.com")).Errors == nil && breaker.State() == ratelimit.BreakerClosed
	})
	t.Run("limits hold again", func(t *testing.T) {
		for i := range 3 {
			if c := code(a.do(t, "", authQ, signIn("again@example.com"))); c != "" {
				t.Fatalf("sign-in %d of the burst: %s", i+1, c)
			}
		}
		wantRateLimited(t, a.do(t, "", authQ, signIn("again@example.com")))
	})
}
