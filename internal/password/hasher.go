package password

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
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

	// own holds an argon2id hash of a random password with params, so that
	// VerifyDummy costs what Verify costs: the decoys of the Hasher's own
	// kind, what a nil *Decoys means.
	own         *Decoys
	ownKind     Kind
	derivations atomic.Uint64

	workMu sync.Mutex
	work   map[Kind]uint64 // derivations by kind, as Work reports them

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
	h.ownKind = dummy.kind()
	h.own = &Decoys{hashes: []storedHash{dummy}, kinds: []Kind{h.ownKind}}
	h.work = map[Kind]uint64{}
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
		h.derivationStarts(h.ownKind)
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
//
// A wrong password costs what encoded's kind costs; to answer a sign-in,
// where every account must cost the same, use VerifyEqual.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	if err := CheckLength(pw); err != nil {
		return false, false, err
	}
	stored, err := parse(encoded, &h.params)
	if err != nil {
		return false, false, err
	}
	return h.verify(ctx, pw, stored, &Decoys{})
}

// VerifyEqual is Verify, except that a password that does not match also
// runs, on the same worker, the decoys of every kind in d but encoded's, so
// that a wrong password costs one derivation of each kind whatever the
// account's kind (see Decoys; nil d is the Hasher's own kind). A malformed
// encoding runs all of d's decoys before returning ErrMalformedHash. A
// right password runs encoded's derivation only.
func (h *Hasher) VerifyEqual(ctx context.Context, pw, encoded string, d *Decoys) (ok, rehash bool, err error) {
	if err := CheckLength(pw); err != nil {
		return false, false, err
	}
	stored, perr := parse(encoded, &h.params)
	if perr != nil {
		if _, _, err := h.verify(ctx, pw, nil, d); err != nil {
			return false, false, err
		}
		return false, false, perr
	}
	return h.verify(ctx, pw, stored, d)
}

// VerifyDecoys does the work of VerifyEqual with a wrong password, through
// the same pool and queue: one derivation of each kind in d (nil d: the
// Hasher's own). Call it to check a password for an unknown or locked
// account, so that its answer takes as long as a wrong password's. It
// returns only the errors Verify would: ErrTooLong, *BusyError, ctx.Err().
func (h *Hasher) VerifyDecoys(ctx context.Context, pw string, d *Decoys) error {
	if err := CheckLength(pw); err != nil {
		return err
	}
	_, _, err := h.verify(ctx, pw, nil, d)
	return err
}

// VerifyDummy is VerifyDecoys with the Hasher's own kind alone: exactly
// the work of Verify against an argon2id hash with h's parameters.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	return h.VerifyDecoys(ctx, pw, nil)
}

// verify runs, on one worker, stored's derivation (when stored is not nil)
// and, unless pw matched, the decoys in d of every other kind. One worker
// for the lot: every check takes one place in the queue, and a full queue
// turns each away before any derivation.
func (h *Hasher) verify(ctx context.Context, pw string, stored storedHash, d *Decoys) (ok, rehash bool, err error) {
	if d == nil {
		d = h.own
	}
	var kdfErr error
	err = h.pool.do(ctx, func(w *workspace) {
		var own Kind
		if stored != nil {
			own = stored.kind()
			h.derivationStarts(own)
			if ok, kdfErr = stored.matches(pw, w); ok || kdfErr != nil {
				return
			}
		}
		for i, decoy := range d.hashes {
			if stored != nil && d.kinds[i] == own {
				continue
			}
			h.derivationStarts(d.kinds[i])
			_, _ = decoy.matches(pw, w) // a random key: matches nothing
		}
	})
	if err != nil {
		return false, false, err
	}
	if kdfErr != nil || !ok {
		return false, false, kdfErr
	}
	return true, !stored.current(h.params), nil
}

// Derivations returns how many key derivations (argon2, bcrypt or scrypt
// runs) Hash and the Verify methods have performed; the one NewHasher runs
// is not counted.
func (h *Hasher) Derivations() uint64 {
	return h.derivations.Load()
}

// Work returns the derivations counted by Derivations, by kind: what a test
// compares to show that two paths do the same work, not merely as many
// derivations.
func (h *Hasher) Work() map[Kind]uint64 {
	h.workMu.Lock()
	defer h.workMu.Unlock()
	return maps.Clone(h.work)
}

// Stats reports the callers waiting for a worker and the workers busy now.
func (h *Hasher) Stats() (waiting, busy int) {
	return h.pool.stats()
}

func (h *Hasher) derivationStarts(k Kind) {
	if h.beforeDerive != nil {
		h.beforeDerive()
	}
	h.derivations.Add(1)
	h.workMu.Lock()
	h.work[k]++
	h.workMu.Unlock()
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
