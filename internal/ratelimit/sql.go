package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// SQL keeps buckets in the rate_bucket table of the service's database.
type SQL struct{ DB bun.IDB }

// take is one statement: concurrent takes on one bucket are serialized by
// the row, so none is lost and none is double-counted. Times are Unix
// seconds as numbers, so the arithmetic is the same in both dialects.
const take = `INSERT INTO rate_bucket (key, tokens, updated_at, ok) VALUES (?0, ?1 - 1, ?2, TRUE)
ON CONFLICT (key) DO UPDATE SET
  tokens = CASE WHEN (` + level + `) >= 1 THEN (` + level + `) - 1 ELSE (` + level + `) END,
  ok = (` + level + `) >= 1,
  updated_at = ?2
RETURNING tokens, ok`

// level is the bucket's tokens at now: what it held, refilled, capped.
const level = `CASE WHEN rate_bucket.tokens + (?2 - rate_bucket.updated_at) * ?3 > ?1 THEN ?1
  ELSE rate_bucket.tokens + (?2 - rate_bucket.updated_at) * ?3 END`

// Take implements Limiter.
func (s SQL) Take(ctx context.Context, key string, rate Rate, now time.Time) (bool, time.Duration, error) {
	var (
		tokens float64
		ok     bool
	)
	args := []any{key, float64(rate.Burst), seconds(now), rate.refill()}
	var err error
	if s.DB.Dialect().Name() == dialect.PG {
		// A bucket is not worth waiting for the disk: losing the last
		// moment of counts in a crash only forgives a few attempts.
		err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
			return tx.NewRaw(take, args...).Scan(ctx, &tokens, &ok)
		})
	} else {
		err = s.DB.NewRaw(take, args...).Scan(ctx, &tokens, &ok)
	}
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: take: %w", err)
	}
	if ok {
		return true, 0, nil
	}
	return false, rate.retryAfter(tokens), nil
}
