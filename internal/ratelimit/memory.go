package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Memory keeps buckets in this process: the fastest backend and the only
// one that needs nothing else, but each instance counts on its own, so
// behind a load balancer of n instances a client gets n times the limit.
// It holds at most MaxBuckets buckets: when full, it forgets the buckets
// that have refilled (they hold nothing worth keeping), and if none has,
// the oldest half of a shard, which forgives those clients' recent takes
// rather than growing without bound under a flood of new keys.
type Memory struct {
	seed   maphash.Seed
	shards [memoryShards]memoryShard
	max    int // per shard
}

const memoryShards = 32

type memoryShard struct {
	mu      sync.Mutex
	buckets map[string]*memoryBucket
}

type memoryBucket struct {
	tokens, updated float64
	full            float64 // when it is full again, Unix seconds
}

// NewMemory returns an in-process limiter holding at most maxBuckets
// buckets (0: 100 000).
func NewMemory(maxBuckets int) *Memory {
	if maxBuckets <= 0 {
		maxBuckets = 100_000
	}
	m := &Memory{seed: maphash.MakeSeed(), max: max(1, maxBuckets/memoryShards)}
	for i := range m.shards {
		m.shards[i].buckets = map[string]*memoryBucket{}
	}
	return m
}

// Take implements Limiter.
func (m *Memory) Take(_ context.Context, now time.Time, takes ...Take) ([]Result, error) {
	if err := Distinct(takes); err != nil {
		return nil, err
	}
	t := Seconds(now)
	out := make([]Result, len(takes))
	for i, tk := range takes {
		out[i] = m.take(tk, t)
	}
	return out, nil
}

func (m *Memory) take(tk Take, now float64) Result {
	sh := &m.shards[maphash.String(m.seed, tk.Key)%memoryShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.buckets[tk.Key]
	if b == nil {
		if len(sh.buckets) >= m.max {
			sh.evict(now, m.max)
		}
		b = &memoryBucket{tokens: float64(tk.Rate.Burst), updated: now}
		sh.buckets[tk.Key] = b
	}
	tokens := tk.Rate.Level(b.tokens, b.updated, now)
	b.updated = max(b.updated, now)
	ok := tokens >= 1
	if ok {
		tokens--
	}
	b.tokens = tokens
	b.full = b.updated + (float64(tk.Rate.Burst)-tokens)/tk.Rate.Refill()
	if ok {
		return Result{OK: true}
	}
	return Result{RetryAfter: tk.Rate.RetryAfter(tokens)}
}

// evict forgets the refilled buckets and, when that leaves the shard
// still full, about half of the rest: those that refill soonest, which
// hold the least.
func (sh *memoryShard) evict(now float64, limit int) {
	for k, b := range sh.buckets {
		if b.full <= now {
			delete(sh.buckets, k)
		}
	}
	if len(sh.buckets) < limit {
		return
	}
	var sum float64
	for _, b := range sh.buckets {
		sum += b.full
	}
	mean := sum / float64(max(1, len(sh.buckets)))
	for k, b := range sh.buckets {
		if b.full <= mean {
			delete(sh.buckets, k)
		}
	}
}

// Len is how many buckets are held.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		n += len(sh.buckets)
		sh.mu.Unlock()
	}
	return n
}
