package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/redis/go-redis/v9"
)

// NewAPQCache returns the automatic-persisted-query cache: in memory (an
// LRU of 1000 documents) or, with a Redis client, shared by every
// instance for a day. Entries are only ever stored under the SHA-256 of
// their text (gqlgen checks it), so the cache cannot be poisoned.
func NewAPQCache(client *redis.Client) graphql.Cache[string] {
	if client == nil {
		return lru.New[string](1000)
	}
	return redisAPQ{c: client}
}

type redisAPQ struct{ c *redis.Client }

const apqPrefix = "gatehouse:apq:"

// apqTimeout bounds each cache call: with Redis down, a lookup is a miss
// (the client sends the full query) and costs a request at most this.
const apqTimeout = 100 * time.Millisecond

func (r redisAPQ) Get(ctx context.Context, key string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, apqTimeout)
	defer cancel()
	v, err := r.c.Get(ctx, apqPrefix+key).Result()
	return v, err == nil
}

func (r redisAPQ) Add(ctx context.Context, key, value string) {
	ctx, cancel := context.WithTimeout(ctx, apqTimeout)
	defer cancel()
	// A failed write only costs the client a retry with the full query.
	_ = r.c.Set(ctx, apqPrefix+key, value, 24*time.Hour).Err()
}
