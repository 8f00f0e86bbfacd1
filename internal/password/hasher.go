package password

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Hasher.
type Options struct {
	Params Params
	// Workers is how many hash or verify operations run at once; <=0 means
	// runtime.GOMAXPROCS(0), which follows a container's CPU quota. Each worker keeps Params.MemoryKiB of argon2id
	// memory once it has first hashed.
	Workers int
	// Queue is how many callers may wait for a worker; beyond that Hash and
	// Verify fail fast with *BusyError. <=0 means 4*Workers.
	Queue int
	// Rand is the salt source; nil means crypto/rand.Reader.
	Rand io.Reader
	// Nice, when positive, runs each worker's derivations on an OS thread
	// of its own at this niceness (1 to 19; Linux), so that hashing yields
	// the CPU to everything else. The threads last as long as the
	// process: set it for the server's one Hasher, not for short-lived
	// ones. The caller should give the Go scheduler Workers more Ps
	// (GOMAXPROCS), or the workers' threads hold them while they hash.
	Nice int
	// ObserveWait, when set, is told how long each hash or verification
	// waited for a worker (for metrics).
	ObserveWait func(time.Duration)
}

// Hasher hashes and verifies passwords through a bounded worker pool. It is
// safe for concurrent use.
type Hasher struct {
	params Params
	pool   *pool

	randMu sync.Mutex // an injected Rand need not be safe for concurrent use
	rand   io.Reader

	// dummy is an argon2id hash of a random password with params, so that
	// VerifyDummy costs what Verify costs.
	dummy       string
	derivations atomic.Uint64

	// beforeDerive, when set by a test, runs on a worker just before each
	// key derivation, so tests can hold workers busy without sleeping.
	beforeDerive func()
}

// NewHasher validates o and builds a Hasher, running one argon2id
// derivation to make the hash VerifyDummy checks against.
func NewHasher(o Options) (*Hasher, error) {
	if err := o.Params.Validate(); err != nil {
		return nil, err
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	queue := o.Queue
	if queue <= 0 {
		queue = 4 * workers
	}
	h := &Hasher{
		params: o.Params,
		pool:   newPool(workers, queue, o.Params.MemoryKiB, o.Nice, time.Now),
		rand:   o.Rand,
	}
	if h.rand == nil {
		h.rand = rand.Reader
	}
	h.pool.observeWait = o.ObserveWait
	pw, err := h.random(32)
	if err != nil {
		return nil, err
	}
	salt, err := h.random(saltLen)
	if err != nil {
		return nil, err
	}
	// Straight from the idle workers, not through do: this derivation is
	// not a caller's and must not reach ObserveWait.
	w := <-h.pool.sem
	dummy := &argon2idHash{params: h.params, salt: salt, key: h.derive(w, pw, salt)}
	h.pool.sem <- w
	h.dummy = dummy.encode()
	return h, nil
}

// Hash returns an argon2id PHC string of pw with h's parameters, a 16-byte
// random salt and a 32-byte key. It returns ErrTooLong for a password over
// MaxLength runes, *BusyError when the queue is full, and ctx.Err() if ctx
// ends while waiting for a worker.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := CheckLength(pw); err != nil {
		return "", err
	}
	salt, err := h.random(saltLen)
	if err != nil {
		return "", err
	}
	var key []byte
	err = h.pool.do(ctx, func(w *workspace) {
		h.derivationStarts()
		key = h.derive(w, []byte(pw), salt)
	})
	if err != nil {
		return "", err
	}
	hash := &argon2idHash{params: h.params, salt: salt, key: key}
	return hash.encode(), nil
}

// Verify checks pw against encoded, which may be argon2id, bcrypt or Medusa
// scrypt. A mismatch is ok=false with a nil error. rehash is true when pw
// matched but encoded is not argon2id exactly as Hash would make it now; the
// caller should then store a fresh Hash. A malformed or unsupported encoding,
// or one beyond the parameter caps, returns ErrMalformedHash (wrapped)
// without any derivation. Other errors are as for Hash.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	if err := CheckLength(pw); err != nil {
		return false, false, err
	}
	stored, err := parse(encoded, &h.params)
	if err != nil {
		return false, false, err
	}
	var kdfErr error
	err = h.pool.do(ctx, func(w *workspace) {
		h.derivationStarts()
		ok, kdfErr = stored.matches(pw, w)
	})
	if err != nil {
		return false, false, err
	}
	if kdfErr != nil || !ok {
		return false, false, kdfErr
	}
	return true, !stored.current(h.params), nil
}

// VerifyDummy does exactly the work of Verify against an argon2id hash with
// h's parameters, through the same pool and queue. Call it to sign in an
// unknown account, so that its answer takes as long as a wrong password's.
// It returns only the errors Verify would: ErrTooLong, *BusyError, ctx.Err().
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	_, _, err := h.Verify(ctx, pw, h.dummy)
	return err
}

// Derivations returns how many key derivations (argon2, bcrypt or scrypt
// runs) Hash, Verify and VerifyDummy have performed; the one NewHasher runs
// is not counted.
func (h *Hasher) Derivations() uint64 {
	return h.derivations.Load()
}

// Stats reports the callers waiting for a worker and the workers busy now.
func (h *Hasher) Stats() (waiting, busy int) {
	return h.pool.stats()
}

func (h *Hasher) derivationStarts() {
	if h.beforeDerive != nil {
		h.beforeDerive()
	}
	h.derivations.Add(1)
}

func (h *Hasher) derive(w *workspace, pw, salt []byte) []byte {
	return w.idKey(pw, salt, h.params, keyLen)
}

func (h *Hasher) random(n int) ([]byte, error) {
	b := make([]byte, n)
	h.randMu.Lock()
	defer h.randMu.Unlock()
	if _, err := io.ReadFull(h.rand, b); err != nil {
		return nil, fmt.Errorf("password: read random bytes: %w", err)
	}
	return b, nil
}
