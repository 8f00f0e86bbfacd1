package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/ratelimit"
)

// RateLimiter keeps rate-limit buckets in the rate_bucket table: every
// bucket of a request is taken in one upsert statement, outside any
// transaction, so a take costs one round trip. On PostgreSQL the table is
// UNLOGGED (see its migration): a take never waits for the disk.
type RateLimiter struct {
	db *DB
	// take holds the upserts for one and two buckets (a request takes
	// one or two), built once rather than on every request.
	take [3]string
}

var _ ratelimit.Limiter = RateLimiter{}

// RateLimiter returns the database's rate limiter.
func (db *DB) RateLimiter() RateLimiter {
	l := RateLimiter{db: db}
	for n := 1; n < len(l.take); n++ {
		l.take[n] = takeSQL(db.dialect, n)
	}
	return l
}

// level is the bucket's tokens at the take's time (Rate.Level): what it
// held, refilled for the time since its last take (never for a take that
// arrives older than that), at most the burst. {max} and {min} are the
// dialect's two-argument maximum and minimum.
const level = `{min}(excluded.burst, rate_bucket.tokens + {max}(0, excluded.updated_at - rate_bucket.updated_at) * excluded.refill)`

// takeSQL is the upsert for n buckets. A new bucket starts at its burst
// less this take; an existing one gives a token when its level holds
// one. updated_at never moves back.
func takeSQL(dialect string, n int) string {
	rows := strings.TrimSuffix(strings.Repeat("(?, ?, ?, TRUE, ?, ?, ?), ", n), ", ")
	left := `CASE WHEN ` + level + ` >= 1 THEN ` + level + ` - 1 ELSE ` + level + ` END`
	q := `INSERT INTO rate_bucket (key, tokens, updated_at, ok, burst, refill, full_at) VALUES ` + rows + `
ON CONFLICT (key) DO UPDATE SET
  tokens = ` + left + `,
  ok = ` + level + ` >= 1,
  updated_at = {max}(rate_bucket.updated_at, excluded.updated_at),
  burst = excluded.burst,
  refill = excluded.refill,
  full_at = {max}(rate_bucket.updated_at, excluded.updated_at) + (excluded.burst - (` + left + `)) / excluded.refill
RETURNING key, tokens, ok`
	fmax, fmin := "max", "min"
	if dialect == Postgres {
		fmax, fmin = "GREATEST", "LEAST"
	}
	return strings.NewReplacer("{max}", fmax, "{min}", fmin).Replace(q)
}

// bucketRow is what a take returns of a bucket.
type bucketRow struct {
	Key    string  `bun:"key"`
	Tokens float64 `bun:"tokens"`
	OK     bool    `bun:"ok"`
}

// Take implements ratelimit.Limiter.
func (l RateLimiter) Take(ctx context.Context, now time.Time, takes ...ratelimit.Take) ([]ratelimit.Result, error) {
	if err := ratelimit.Distinct(takes); err != nil {
		return nil, err
	}
	if len(takes) == 0 {
		return nil, nil
	}
	// Rows are locked in key order, so two takes that share buckets
	// cannot deadlock.
	sorted := slices.Clone(takes)
	slices.SortFunc(sorted, func(a, b ratelimit.Take) int { return strings.Compare(a.Key, b.Key) })
	t := ratelimit.Seconds(now)
	args := make([]any, 0, 6*len(sorted))
	for _, tk := range sorted {
		burst, refill := float64(tk.Rate.Burst), tk.Rate.Refill()
		args = append(args, tk.Key, burst-1, t, burst, refill, t+1/refill)
	}
	var got []bucketRow
	q := takeSQL(l.db.dialect, len(sorted))
	if len(sorted) < len(l.take) && l.take[len(sorted)] != "" {
		q = l.take[len(sorted)]
	}
	// Not idempotent (a second run takes a second token): retried only
	// when the first surely did not run, such as on a server that went
	// read-only in a switchover.
	err := l.db.Retry(ctx, false, func(ctx context.Context, db bun.IDB) error {
		got = got[:0]
		return db.NewRaw(q, args...).Scan(ctx, &got)
	})
	if err != nil {
		return nil, dbError("take rate-limit tokens", "rate-limit bucket", err)
	}
	out := make([]ratelimit.Result, len(takes))
	for i, tk := range takes {
		j := slices.IndexFunc(got, func(g bucketRow) bool { return g.Key == tk.Key })
		if j < 0 {
			return nil, dbError("take rate-limit tokens", "rate-limit bucket", fmt.Errorf("no row returned for bucket %q", tk.Key))
		}
		if got[j].OK {
			out[i].OK = true
		} else {
			out[i].RetryAfter = tk.Rate.RetryAfter(got[j].Tokens)
		}
	}
	return out, nil
}

// SweepRateBuckets deletes up to limit buckets that are full again at now
// (they remember nothing a new bucket would not), and returns how many.
func (l RateLimiter) SweepRateBuckets(ctx context.Context, now time.Time, limit int) (int, error) {
	// Idempotent: a second run deletes only what is still due.
	var res sql.Result
	err := l.db.Retry(ctx, true, func(ctx context.Context, db bun.IDB) (err error) {
		res, err = db.NewRaw(`DELETE FROM rate_bucket WHERE key IN (SELECT key FROM rate_bucket WHERE full_at < ? LIMIT ?)`,
			ratelimit.Seconds(now), limit).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, dbError("sweep rate-limit buckets", "rate-limit bucket", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError("sweep rate-limit buckets", "rate-limit bucket", err)
	}
	return int(n), nil
}
