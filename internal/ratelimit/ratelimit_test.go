package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/servicetest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// eachLimiter runs fn against every backend: in memory, SQLite, PostgreSQL
// (when configured) and Redis (GATEHOUSE_TEST_REDIS_URL; with CI set, an
// unreachable Redis fails the test).
func eachLimiter(t *testing.T, fn func(t *testing.T, l ratelimit.Limiter)) {
	t.Run("backend=memory", func(t *testing.T) { fn(t, ratelimit.NewMemory(0)) })
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, db.RateLimiter()) })
	t.Run("backend=redis", func(t *testing.T) { fn(t, redisLimiter(t)) })
}

func redisLimiter(tb testing.TB) ratelimit.Redis {
	url := servicetest.URL(tb, servicetest.Redis)
	opt, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opt)
	tb.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("Redis at %s: %v", url, err)
	}
	return ratelimit.Redis{Client: c, Prefix: fmt.Sprintf("gatehouse-test:%d:", time.Now().UnixNano())}
}

func TestLimiterContract(t *testing.T) {
	eachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		now := time.Unix(1_800_000_000, 0)
		rate := ratelimit.Rate{Burst: 3, Per: 30 * time.Second} // one token per 10 s
		take := func(t *testing.T, key string, at time.Time) (bool, time.Duration) {
			t.Helper()
			res, err := l.Take(ctx, at, ratelimit.Take{Key: key, Rate: rate})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 {
				t.Fatalf("%d results for one take", len(res))
			}
			return res[0].OK, res[0].RetryAfter
		}
		// A burst, then refused with a retry time.
		t.Run("burst", func(t *testing.T) {
			for i := range 3 {
				if ok, _ := take(t, "burst", now); !ok {
					t.Fatalf("take %d refused", i+1)
				}
			}
			ok, retry := take(t, "burst", now)
			if ok || retry <= 9*time.Second || retry > 10*time.Second {
				t.Fatalf("4th take: ok=%v retry=%v, want refused with ~10s", ok, retry)
			}
		})
		// A bucket refills with time, never past the burst.
		t.Run("refill", func(t *testing.T) {
			// Its own bucket, emptied here: the subtest stands alone.
			for i := range 3 {
				if ok, _ := take(t, "refill", now); !ok {
					t.Fatalf("take %d refused", i+1)
				}
			}
			if ok, _ := take(t, "refill", now.Add(10*time.Second)); !ok {
				t.Fatal("no token after the refill time")
			}
			if ok, _ := take(t, "refill", now.Add(10*time.Second)); ok {
				t.Fatal("two tokens after one refill time")
			}
			later := now.Add(time.Hour)
			n := 0
			for {
				ok, _ := take(t, "refill", later)
				if !ok {
					break
				}
				n++
			}
			if n != 3 {
				t.Fatalf("%d tokens after an hour, want the burst, 3", n)
			}
		})
		// Buckets are separate.
		t.Run("separate buckets", func(t *testing.T) {
			if ok, _ := take(t, "other", now); !ok {
				t.Fatal("a fresh bucket refused")
			}
		})
		// A take older than the last one neither refills nor drains.
		t.Run("out-of-order take", func(t *testing.T) {
			if ok, _ := take(t, "late", now.Add(100*time.Second)); !ok {
				t.Fatal("first take refused")
			}
			// Two more tokens are left: a take that waited for a
			// connection and arrives with an older time must get
			// them, not a negative refill.
			for i := range 2 {
				if ok, _ := take(t, "late", now.Add(50*time.Second)); !ok {
					t.Fatalf("late take %d refused", i+1)
				}
			}
			if ok, _ := take(t, "late", now.Add(50*time.Second)); ok {
				t.Fatal("a late take refilled the bucket")
			}
			huge := ratelimit.Rate{Burst: 100_000_000, Per: time.Second}
			for i, at := range []time.Time{now.Add(time.Hour), now} {
				res, err := l.Take(ctx, at, ratelimit.Take{Key: "huge", Rate: huge})
				if err != nil {
					t.Fatal(err)
				}
				if !res[0].OK {
					t.Fatalf("take %d of a limit of 10^8/s refused", i+1)
				}
			}
		})
		// Several buckets in one call, each on its own.
		t.Run("several buckets", func(t *testing.T) {
			one := ratelimit.Rate{Burst: 1, Per: time.Minute}
			takes := []ratelimit.Take{{Key: "multi-b", Rate: one}, {Key: "multi-a", Rate: rate}}
			for i, want := range [][2]bool{{true, true}, {false, true}, {false, true}, {false, false}} {
				res, err := l.Take(ctx, now, takes...)
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != 2 || res[0].OK != want[0] || res[1].OK != want[1] {
					t.Fatalf("call %d: %+v, want ok %v", i+1, res, want)
				}
				if !res[0].OK && (res[0].RetryAfter <= 50*time.Second || res[0].RetryAfter > time.Minute) {
					t.Fatalf("call %d: retry %v for a 1/1m bucket", i+1, res[0].RetryAfter)
				}
			}
		})
		// One bucket twice in a call is refused.
		t.Run("duplicate bucket", func(t *testing.T) {
			if _, err := l.Take(ctx, now, ratelimit.Take{Key: "dup", Rate: rate}, ratelimit.Take{Key: "dup", Rate: rate}); err == nil {
				t.Fatal("no error")
			}
		})
		// Of concurrent takes, exactly the burst succeeds.
		t.Run("concurrent takes", func(t *testing.T) {
			var wins atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := range 20 {
				wg.Go(func() {
					// Half the takes also name a second bucket, in
					// the other order: shared buckets must not
					// deadlock.
					takes := []ratelimit.Take{{Key: "race", Rate: rate}}
					if i%2 == 0 {
						takes = append([]ratelimit.Take{{Key: fmt.Sprintf("race-%d", i), Rate: rate}}, takes...)
					} else {
						takes = append(takes, ratelimit.Take{Key: "zz-race", Rate: ratelimit.Rate{Burst: 100, Per: time.Second}})
					}
					res, err := l.Take(ctx, now, takes...)
					if err != nil {
						errs <- err
						return
					}
					for j, tk := range takes {
						if tk.Key == "race" && res[j].OK {
							wins.Add(1)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if wins.Load() != 3 {
				t.Fatalf("%d takes won, want 3", wins.Load())
			}
		})
	})
}

// The in-memory limiter holds at most its bound, however many clients.
func TestMemoryBounded(t *testing.T) {
	m := ratelimit.NewMemory(1000)
	now := time.Unix(1_800_000_000, 0)
	rate := ratelimit.Rate{Burst: 5, Per: time.Hour}
	for i := range 20_000 {
		if _, err := m.Take(context.Background(), now, ratelimit.Take{Key: fmt.Sprint("ip:", i), Rate: rate}); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Len(); n == 0 || n > 1000 {
		t.Fatalf("%d buckets held, want 1 to 1000", n)
	}
}

// Housekeeping forgets the buckets that have refilled, and only those.
func TestSweepRateBuckets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := db.RateLimiter()
		now := time.Unix(1_800_000_000, 0)
		rate := ratelimit.Rate{Burst: 2, Per: time.Minute}
		for i := range 10 {
			if _, err := l.Take(ctx, now, ratelimit.Take{Key: fmt.Sprint("sweep-", i), Rate: rate}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := l.SweepRateBuckets(ctx, now.Add(10*time.Second), 100); err != nil || n != 0 {
			t.Fatalf("sweep before any refilled: %d, %v; want 0", n, err)
		}
		total := 0
		for {
			n, err := l.SweepRateBuckets(ctx, now.Add(time.Minute), 3)
			if err != nil {
				t.Fatal(err)
			}
			if n > 3 {
				t.Fatalf("swept %d in a batch of 3", n)
			}
			if n == 0 {
				break
			}
			total += n
		}
		if total != 10 {
			t.Fatalf("swept %d buckets, want 10", total)
		}
	})
}

// BenchmarkTake measures one call taking the two buckets of a sign-in (per
// IP and per identifier) on each backend, on distinct buckets (the common
// case: many clients).
func BenchmarkTake(b *testing.B) {
	backends := map[string]ratelimit.Limiter{
		"memory": ratelimit.NewMemory(0),
		"sqlite": storetest.MustOpen(b, storetest.SQLite(b)).RateLimiter(),
	}
	if servicetest.Set(servicetest.Postgres) {
		backends["postgres"] = storetest.MustOpen(b, storetest.Postgres(b)).RateLimiter()
	}
	if servicetest.Set(servicetest.Redis) {
		backends["redis"] = redisLimiter(b)
	}
	rate := ratelimit.Rate{Burst: 60, Per: time.Minute}
	for name, l := range backends {
		b.Run("backend="+name, func(b *testing.B) {
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if _, err := l.Take(ctx, time.Now(), ratelimit.Take{Key: fmt.Sprintf("ip:bench-%d", i%1000), Rate: rate},
					ratelimit.Take{Key: fmt.Sprintf("id:bench-%d", i%1000), Rate: rate}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
