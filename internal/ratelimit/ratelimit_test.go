package ratelimit_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// eachLimiter runs fn against every backend: SQLite, PostgreSQL (when
// configured) and Redis (GATEHOUSE_TEST_REDIS_URL; with CI set, an
// unreachable Redis fails the test).
func eachLimiter(t *testing.T, fn func(t *testing.T, l ratelimit.Limiter)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fn(t, ratelimit.SQL{DB: db.Bun()})
	})
	t.Run("backend=redis", func(t *testing.T) {
		url := os.Getenv("GATEHOUSE_TEST_REDIS_URL")
		if url == "" {
			if os.Getenv("CI") != "" {
				t.Fatal("GATEHOUSE_TEST_REDIS_URL is not set; CI must run the Redis contract tests")
			}
			t.Skip("!!! GATEHOUSE_TEST_REDIS_URL is not set: the Redis rate-limit tests were SKIPPED")
		}
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		c := redis.NewClient(opt)
		t.Cleanup(func() { c.Close() })
		if err := c.Ping(t.Context()).Err(); err != nil {
			t.Fatalf("Redis at %s: %v", url, err)
		}
		fn(t, ratelimit.Redis{Client: c, Prefix: fmt.Sprintf("gatehouse-test:%d:", time.Now().UnixNano())})
	})
}

func TestLimiterContract(t *testing.T) {
	eachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		now := time.Unix(1_800_000_000, 0)
		rate := ratelimit.Rate{Burst: 3, Per: 30 * time.Second} // one token per 10 s
		take := func(key string, at time.Time) (bool, time.Duration) {
			t.Helper()
			ok, retry, err := l.Take(ctx, key, rate, at)
			if err != nil {
				t.Fatal(err)
			}
			return ok, retry
		}
		t.Run("a burst, then refused with a retry time", func(t *testing.T) {
			for i := range 3 {
				if ok, _ := take("burst", now); !ok {
					t.Fatalf("take %d refused", i+1)
				}
			}
			ok, retry := take("burst", now)
			if ok || retry <= 9*time.Second || retry > 10*time.Second {
				t.Fatalf("4th take: ok=%v retry=%v, want refused with ~10s", ok, retry)
			}
		})
		t.Run("refills with time, never past the burst", func(t *testing.T) {
			if ok, _ := take("burst", now.Add(10*time.Second)); !ok {
				t.Fatal("no token after the refill time")
			}
			if ok, _ := take("burst", now.Add(10*time.Second)); ok {
				t.Fatal("two tokens after one refill time")
			}
			later := now.Add(time.Hour)
			n := 0
			for {
				ok, _ := take("burst", later)
				if !ok {
					break
				}
				n++
			}
			if n != 3 {
				t.Fatalf("%d tokens after an hour, want the burst, 3", n)
			}
		})
		t.Run("buckets are separate", func(t *testing.T) {
			if ok, _ := take("other", now); !ok {
				t.Fatal("a fresh bucket refused")
			}
		})
		t.Run("concurrent takes: exactly the burst succeeds", func(t *testing.T) {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, _, err := l.Take(ctx, "race", rate, now)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 3 {
				t.Fatalf("%d takes won, want 3", wins.Load())
			}
		})
	})
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ratelimit.Rate
		ok   bool
	}{
		{"10/1m", ratelimit.Rate{Burst: 10, Per: time.Minute}, true},
		{" 5 / 30s ", ratelimit.Rate{Burst: 5, Per: 30 * time.Second}, true},
		{"0/1m", ratelimit.Rate{}, false},
		{"10", ratelimit.Rate{}, false},
		{"10/forever", ratelimit.Rate{}, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ratelimit.ParseRate(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseRate = %v, %v", got, err)
			}
		})
	}
}

// BenchmarkTake measures one take on each backend, on distinct buckets
// (the common case: many clients).
func BenchmarkTake(b *testing.B) {
	backends := map[string]ratelimit.Limiter{
		"sqlite": ratelimit.SQL{DB: storetest.MustOpen(b, storetest.SQLite(b)).Bun()},
	}
	if url := os.Getenv("GATEHOUSE_TEST_POSTGRES_URL"); url != "" {
		backends["postgres"] = ratelimit.SQL{DB: storetest.MustOpen(b, storetest.Postgres(b)).Bun()}
	}
	if url := os.Getenv("GATEHOUSE_TEST_REDIS_URL"); url != "" {
		opt, _ := redis.ParseURL(url)
		c := redis.NewClient(opt)
		b.Cleanup(func() { c.Close() })
		backends["redis"] = ratelimit.Redis{Client: c, Prefix: fmt.Sprintf("gatehouse-bench:%d:", time.Now().UnixNano())}
	}
	rate := ratelimit.Rate{Burst: 60, Per: time.Minute}
	for name, l := range backends {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if _, _, err := l.Take(ctx, fmt.Sprintf("bench-%d", i%1000), rate, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
