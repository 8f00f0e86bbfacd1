package token

// SignatureChecks returns how many tokens s has parsed with a key, that
// is, how many signatures it has checked.
func SignatureChecks(s *Signer) int64 { return s.signatureChecks.Load() }

// CacheLen returns how many verified tokens s remembers.
func CacheLen(s *Signer) int {
	if s.cache == nil {
		return 0
	}
	return s.cache.len()
}

// CacheCap returns how many verified tokens s may remember.
func CacheCap(s *Signer) int {
	if s.cache == nil {
		return 0
	}
	n := 0
	for i := range s.cache.shards {
		n += s.cache.shards[i].max
	}
	return n
}
