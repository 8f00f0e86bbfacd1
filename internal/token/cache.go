package token

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
)

// Verification cache sizing.
const (
	// DefaultVerifyCacheSize is how many verified tokens a Signer keeps
	// when Config.VerifyCacheSize is zero: some megabytes of claims.
	DefaultVerifyCacheSize = 10000
	// verifyCacheShards is how many independently locked parts the cache
	// is split into, so that concurrent reads rarely wait on each other.
	verifyCacheShards = 32
)

// tokenSum is the SHA-256 of a raw token: the cache keeps it, never the
// token, and compares all of it.
type tokenSum = [sha256.Size]byte

// cacheEntry is one verified token. Everything but the list links is set
// before the entry is shared and never changed, so a reader may use it
// after letting go of the shard's lock.
type cacheEntry struct {
	sum tokenSum
	// claims are the cache's own copy; callers get copies of it.
	claims *Claims
	// kid, alg and verifyKey are the key that checked the signature: a
	// hit is accepted only while the key source still accepts that key.
	kid       string
	alg       keys.Alg
	verifyKey any
	// The dates Verify checks against the clock.
	exp, nbf, iat, authTime time.Time

	// prev and next link the shard's recency list; guarded by its lock.
	prev, next *cacheEntry
}

// verifyCache is a bounded map from token sums to verified tokens, split
// into shards, each a least-recently-used list: every operation is O(1)
// and holds one shard's lock. It has no goroutine: an expired entry goes
// when a lookup meets it or when it is the oldest of a full shard.
type verifyCache struct {
	shards []cacheShard
}

type cacheShard struct {
	mu      sync.Mutex
	max     int
	entries map[tokenSum]*cacheEntry
	// root is the sentinel of the recency list: root.next is the newest
	// entry, root.prev the oldest.
	root cacheEntry
	// The pad keeps one shard's hot fields off the next one's lock's
	// cache line.
	_ [64]byte
}

// newVerifyCache returns a cache of exactly size entries at most, or nil
// when size is not positive.
func newVerifyCache(size int) *verifyCache {
	if size <= 0 {
		return nil
	}
	n := min(size, verifyCacheShards)
	c := &verifyCache{shards: make([]cacheShard, n)}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.max = size / n
		if i < size%n {
			sh.max++
		}
		sh.entries = make(map[tokenSum]*cacheEntry, sh.max)
		sh.root.prev, sh.root.next = &sh.root, &sh.root
	}
	return c
}

// shard picks by the sum's first bytes, which SHA-256 spreads evenly.
func (c *verifyCache) shard(sum *tokenSum) *cacheShard {
	i := (uint(sum[0]) | uint(sum[1])<<8) % uint(len(c.shards))
	return &c.shards[i]
}

// get returns the entry for sum, marking it the newest, or nil.
func (c *verifyCache) get(sum *tokenSum) *cacheEntry {
	sh := c.shard(sum)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.entries[*sum]
	if e != nil {
		sh.unlink(e)
		sh.pushFront(e)
	}
	return e
}

// add stores e as the newest entry, replacing one for the same sum and,
// when the shard is full, dropping its oldest.
func (c *verifyCache) add(e *cacheEntry) {
	sh := c.shard(&e.sum)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old := sh.entries[e.sum]; old != nil {
		sh.unlink(old)
		delete(sh.entries, old.sum)
	}
	for len(sh.entries) >= sh.max {
		oldest := sh.root.prev
		sh.unlink(oldest)
		delete(sh.entries, oldest.sum)
	}
	sh.entries[e.sum] = e
	sh.pushFront(e)
}

// remove drops e, unless another entry has replaced it meanwhile.
func (c *verifyCache) remove(e *cacheEntry) {
	sh := c.shard(&e.sum)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.entries[e.sum] == e {
		sh.unlink(e)
		delete(sh.entries, e.sum)
	}
}

// len returns how many entries the cache holds.
func (c *verifyCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.entries)
		sh.mu.Unlock()
	}
	return n
}

func (sh *cacheShard) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (sh *cacheShard) pushFront(e *cacheEntry) {
	e.prev, e.next = &sh.root, sh.root.next
	sh.root.next.prev = e
	sh.root.next = e
}

// fresh reports whether the token's dates pass at now exactly as the
// parser and checkClaims test them: refused from exp+leeway on, and
// while nbf, iat or auth_time is more than leeway ahead of now. A token
// that is not fresh is verified again in full, so that its refusal is the
// one an uncached Verify gives.
func (e *cacheEntry) fresh(now time.Time, leeway time.Duration) bool {
	return now.Before(e.exp.Add(leeway)) &&
		!now.Before(e.nbf.Add(-leeway)) &&
		!now.Before(e.iat.Add(-leeway)) &&
		!e.authTime.After(now.Add(leeway))
}
