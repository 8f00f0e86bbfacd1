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

// takeScript is the same bucket as the SQL one, atomic in Redis.
var takeScript = redis.NewScript(`
local burst, now, refill = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated_at')
local tokens = burst
if b[1] then
  tokens = math.min(burst, tonumber(b[1]) + (now - tonumber(b[2])) * refill)
end
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated_at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / refill * 1000) + 1000)
return {ok, tostring(tokens)}
`)

// Take implements Limiter.
func (r Redis) Take(ctx context.Context, key string, rate Rate, now time.Time) (bool, time.Duration, error) {
	prefix := r.Prefix
	if prefix == "" {
		prefix = "gatehouse:rl:"
	}
	res, err := takeScript.Run(ctx, r.Client, []string{prefix + key}, rate.Burst, seconds(now), rate.refill()).Slice()
	if err != nil || len(res) != 2 {
		return false, 0, fmt.Errorf("ratelimit: redis take: %v", err)
	}
	if ok, _ := res[0].(int64); ok == 1 {
		return true, 0, nil
	}
	s, _ := res[1].(string)
	tokens, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: redis take: %v", err)
	}
	return false, rate.retryAfter(tokens), nil
}
