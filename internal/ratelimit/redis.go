package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps buckets in Redis, each a hash that expires once it would be
// full again.
type Redis struct {
	Client *redis.Client
	Prefix string // key prefix, default "gatehouse:rl:"
}

// HeedContext makes a client's commands end at their context's deadline
// (go-redis otherwise waits out its own socket timeouts, 5 s by default, so
// a hung Redis held every rate-limited request that long, retries
// included): the Breaker's per-take timeout then frees the connection too,
// not only the request.
func HeedContext(opt *redis.Options) { opt.ContextTimeoutEnabled = true }

// takeScript takes a token from each of KEYS, atomically, in one round
// trip: ARGV is now, then a burst and a refill per key. It answers, per
// key, 1 or 0 and the tokens left. The arithmetic is Rate.Level's.
var takeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local burst, refill = tonumber(ARGV[2*i]), tonumber(ARGV[2*i+1])
  local b = redis.call('HMGET', key, 'tokens', 'updated_at')
  local tokens, updated = burst, now
  if b[1] then
    updated = tonumber(b[2])
    tokens = math.min(burst, tonumber(b[1]) + math.max(0, now - updated) * refill)
    updated = math.max(updated, now)
  end
  local ok = 0
  if tokens >= 1 then
    tokens = tokens - 1
    ok = 1
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'updated_at', tostring(updated))
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) / refill * 1000) + 1000)
  out[#out+1] = ok
  out[#out+1] = tostring(tokens)
end
return out
`)

// Take implements Limiter.
func (r Redis) Take(ctx context.Context, now time.Time, takes ...Take) ([]Result, error) {
	if err := Distinct(takes); err != nil {
		return nil, err
	}
	prefix := r.Prefix
	if prefix == "" {
		prefix = "gatehouse:rl:"
	}
	keys := make([]string, len(takes))
	args := make([]any, 1, 1+2*len(takes))
	args[0] = Seconds(now)
	for i, t := range takes {
		keys[i] = prefix + t.Key
		args = append(args, t.Rate.Burst, t.Rate.Refill())
	}
	res, err := takeScript.Run(ctx, r.Client, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("ratelimit: redis take: %w", err)
	}
	if len(res) != 2*len(takes) {
		return nil, fmt.Errorf("ratelimit: redis take: %d values for %d buckets", len(res), len(takes))
	}
	out := make([]Result, len(takes))
	for i, t := range takes {
		if ok, _ := res[2*i].(int64); ok == 1 {
			out[i].OK = true
			continue
		}
		s, _ := res[2*i+1].(string)
		tokens, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: redis take: tokens %q: %w", s, err)
		}
		out[i].RetryAfter = t.Rate.RetryAfter(tokens)
	}
	return out, nil
}
