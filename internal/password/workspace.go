package password

import "github.com/gatehouse/gatehouse/internal/password/argon2"

// A workspace is one pool worker's argon2id memory, reused from one
// derivation to the next so that hashing holds Workers × MemoryKiB however
// many sign-ins pass through, instead of a fresh buffer per derivation for
// the collector to chase (RSS near 171 MB on 2 workers with OWASP params).
//
// It keeps at most keepKiB, the Hasher's own memory parameter: every Hash,
// every VerifyDummy and every Verify of a current hash fits. A stored hash
// with more memory (imported from another system, or made before the
// operator lowered MemoryKiB) gets a one-off buffer for that derivation
// only. Growing the shared memory for it instead would keep up to the
// 1 GiB cap per worker for the life of the process after a few such
// sign-ins, while those hashes are rare and are replaced by a rehash at
// their next successful sign-in. The one-off buffers are bounded as before:
// by the caps on stored hashes, and by the pool, which runs at most Workers
// derivations at once.
type workspace struct {
	mem     argon2.Workspace
	keepKiB uint32
	// thread, when set, runs this worker's derivations (Options.Nice).
	thread *thread
}

// idKey derives an argon2id key of keyLen bytes with params p.
func (w *workspace) idKey(pw, salt []byte, p Params, keyLen uint32) []byte {
	if p.MemoryKiB > w.keepKiB {
		return argon2.IDKey(pw, salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
	}
	return w.mem.IDKey(pw, salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
}
