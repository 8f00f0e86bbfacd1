// Package ratelimit provides token-bucket rate limits: in the process
// (Memory, for a single instance), in Redis (one Lua script for all of a
// request's buckets) or, through the store package, in the database (one
// upsert statement for all of them). Every backend passes the same
// contract tests (ratelimittest.Contract).
//
// It never sees a request: callers name the buckets (for example the
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

// Refill is the tokens added per second.
func (r Rate) Refill() float64 { return float64(r.Burst) / r.Per.Seconds() }

// RetryAfter is when a bucket holding tokens (< 1) has one.
func (r Rate) RetryAfter(tokens float64) time.Duration {
	return time.Duration((1 - tokens) / r.Refill() * float64(time.Second))
}

// Level is the tokens held at now by a bucket that held tokens at then
// (Unix seconds): refilled, but never for a now before then, and at most
// the burst. Every backend computes this same expression.
func (r Rate) Level(tokens, then, now float64) float64 {
	return min(float64(r.Burst), tokens+max(0, now-then)*r.Refill())
}

// Take names one bucket to take a token from.
type Take struct {
	Key  string
	Rate Rate
}

// Result is what one Take got: a token, or how long until the bucket has
// one.
type Result struct {
	OK         bool
	RetryAfter time.Duration
}

// Limiter takes tokens from buckets.
type Limiter interface {
	// Take takes one token from each bucket at now, in one round trip,
	// and returns a Result per Take, in order. Each bucket counts on
	// its own: an empty one takes nothing and says how long until it is
	// not, whatever the others hold. A take whose now is older than the
	// bucket's last take (it waited for a connection) refills nothing
	// and never drains the bucket. The keys must differ.
	Take(ctx context.Context, now time.Time, takes ...Take) ([]Result, error)
}

// Seconds is t as Unix seconds, the unit the backends store.
func Seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Distinct returns an error when two takes name one bucket.
func Distinct(takes []Take) error {
	for i := range takes {
		for j := range i {
			if takes[i].Key == takes[j].Key {
				return fmt.Errorf("ratelimit: bucket %q taken twice in one call", takes[i].Key)
			}
		}
	}
	return nil
}
