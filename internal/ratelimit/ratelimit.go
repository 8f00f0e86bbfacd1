// Package ratelimit provides token-bucket rate limits shared by every
// instance: in the database (one upsert statement per take) or in Redis
// (one Lua script per take). Both pass the same contract tests.
//
// It never sees a request: callers name the bucket (for example the
// operation and a client IP or a hashed identifier).
package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a bucket: Burst takes at once, refilled at Burst per Per.
type Rate struct {
	Burst int
	Per   time.Duration
}

// ParseRate reads "10/1m": 10 takes, refilled over a minute.
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(s, "/")
	b, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || b < 1 {
		return Rate{}, fmt.Errorf("%q is not a rate such as 10/1m", s)
	}
	d, err := time.ParseDuration(strings.TrimSpace(per))
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("%q is not a rate such as 10/1m", s)
	}
	return Rate{Burst: b, Per: d}, nil
}

func (r Rate) String() string { return strconv.Itoa(r.Burst) + "/" + r.Per.String() }

// refill is the tokens added per second.
func (r Rate) refill() float64 { return float64(r.Burst) / r.Per.Seconds() }

// retryAfter is when a bucket holding tokens (< 1) has one.
func (r Rate) retryAfter(tokens float64) time.Duration {
	return time.Duration((1 - tokens) / r.refill() * float64(time.Second))
}

// Limiter takes one token from a bucket.
type Limiter interface {
	// Take takes a token from the bucket key at now. When the bucket is
	// empty it takes nothing and says how long until it is not.
	Take(ctx context.Context, key string, rate Rate, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
