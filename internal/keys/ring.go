package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Ring timing.
const (
	// DefaultPollEvery is how often a running Ring (see Run) reads the
	// keys' generation, reloading them when it moved: a rotation reaches
	// every process within about this long.
	DefaultPollEvery = time.Second
	// DefaultReloadEvery is how often a Ring reloads the database keys
	// whatever their generation: the bound on how late a process learns
	// of a rotation when its polls fail, or when it does not poll. A key
	// must be published at least this long before it activates for every
	// process to sign with it from the first moment.
	DefaultReloadEvery = time.Minute
	// DefaultMinReloadGap is the least time between two reloads a token
	// with an unknown kid triggers, so a flood of random kids cannot
	// hammer the database.
	DefaultMinReloadGap = 5 * time.Second
	// reloadTimeout bounds one reload, and one poll.
	reloadTimeout = 5 * time.Second
)

// Errors of a Ring.
var (
	ErrUnknownKey   = errors.New("keys: unknown key id")
	ErrNoSigningKey = errors.New("keys: no active signing key")
)

// Options configure a Ring.
type Options struct {
	// Fixed are keys given to this process (from files, or the HS256
	// secret): Fixed[0] signs and the rest only verify. Database keys
	// then only verify.
	Fixed []*Key
	// Store holds the database keys. Without Fixed, the newest active
	// one signs, and when none of Alg is active at start, one is created.
	Store Store
	// KEK opens the database keys' private halves; it is required with a
	// Store and no Fixed keys.
	KEK []byte
	// Alg is the algorithm of the key created at start when none is
	// active: EdDSA when empty. The newest active key of Alg signs;
	// another algorithm's only when there is none (another process, on
	// another setting, rotated to it).
	Alg Alg
	// PollEvery, ReloadEvery and MinReloadGap default to
	// DefaultPollEvery, DefaultReloadEvery and DefaultMinReloadGap.
	PollEvery    time.Duration
	ReloadEvery  time.Duration
	MinReloadGap time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger receives reload and poll failures, which do not stop the
	// Ring: it keeps the keys it had. It defaults to discarding them.
	Logger *slog.Logger
}

// Ring is the set of keys a process signs and verifies with. While Run
// runs, it reloads the database keys within PollEvery of any change to
// them; it also reloads them every ReloadEvery and when asked for an
// unknown kid (at most once every MinReloadGap), so that a rotation made
// by `gatehouse keys rotate` or another process reaches it. It is safe
// for concurrent use.
type Ring struct {
	store       Store
	kek         []byte
	alg         Alg
	fixed       []*Key
	pollEvery   time.Duration
	reloadEvery time.Duration
	minGap      time.Duration
	now         func() time.Time
	log         *slog.Logger

	view atomic.Pointer[view]
	// reloading lets one reload run at a time.
	reloading sync.Mutex
	// lastTry is when the last reload began, on now's clock, in Unix
	// nanoseconds.
	lastTry atomic.Int64
	// gen is the keys' generation read before the load that Run last
	// made or checked, or -1 when unknown: a poll that reads another
	// reloads.
	gen atomic.Int64
}

// view is one immutable snapshot of the keys.
type view struct {
	keys  []*Key // the fixed keys, then the database's in order of activation
	byKid map[string]*Key
}

func newView(fixed, stored []*Key) *view {
	v := &view{byKid: map[string]*Key{}}
	for _, k := range slices.Concat(fixed, stored) {
		if _, dup := v.byKid[k.ID]; dup {
			continue // a file key also in the database: the file's wins
		}
		v.keys = append(v.keys, k)
		v.byKid[k.ID] = k
	}
	return v
}

// NewRing loads the keys and, for database keys, makes sure one of
// o.Alg is active: when none is, it creates one. Processes starting at
// once on an empty database end up with one key between them. A
// key-encryption key that does not open a key that may still sign is an
// error naming the key.
func NewRing(ctx context.Context, o Options) (*Ring, error) {
	r := &Ring{
		store:       o.Store,
		kek:         slices.Clone(o.KEK),
		alg:         o.Alg,
		fixed:       slices.Clone(o.Fixed),
		pollEvery:   o.PollEvery,
		reloadEvery: o.ReloadEvery,
		minGap:      o.MinReloadGap,
		now:         o.Now,
		log:         o.Logger,
	}
	if r.alg == "" {
		r.alg = EdDSA
	}
	if r.pollEvery <= 0 {
		r.pollEvery = DefaultPollEvery
	}
	if r.reloadEvery <= 0 {
		r.reloadEvery = DefaultReloadEvery
	}
	if r.minGap <= 0 {
		r.minGap = DefaultMinReloadGap
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case len(r.fixed) > 0:
		if !r.fixed[0].CanSign() {
			return nil, fmt.Errorf("keys: the first fixed key %s cannot sign", r.fixed[0].ID)
		}
	case r.store == nil:
		return nil, errors.New("keys: a ring needs fixed keys or a store")
	case !r.alg.Asymmetric():
		return nil, fmt.Errorf("keys: database keys cannot be %s", r.alg)
	case len(r.kek) != KEKSize:
		return nil, fmt.Errorf("keys: database keys need a key-encryption key of %d bytes", KEKSize)
	}

	r.view.Store(newView(r.fixed, nil))
	r.lastTry.Store(r.now().UnixNano())
	r.gen.Store(-1)
	if r.store != nil {
		if err := r.loadGeneration(ctx); err != nil {
			return nil, err
		}
		if len(r.fixed) == 0 && !r.active(r.alg, r.now()) {
			if err := r.bootstrap(ctx); err != nil {
				return nil, err
			}
		}
	}
	if _, err := r.signingKey(r.now()); err != nil {
		return nil, err
	}
	return r, nil
}

// bootstrap creates a key of r.alg, unless a racing process has just
// created one, and loads the keys again.
func (r *Ring) bootstrap(ctx context.Context) error {
	now := r.now().UTC().Truncate(time.Microsecond) // as the databases keep it
	k, err := Generate(r.alg, now)
	if err != nil {
		return err
	}
	rec, err := sealedRecord(k, r.kek)
	if err != nil {
		return err
	}
	created, err := r.store.CreateFirstSigningKey(ctx, rec, now)
	if err != nil {
		return fmt.Errorf("keys: create first signing key: %w", err)
	}
	if created {
		r.log.InfoContext(ctx, "created a signing key: none was active", "kid", k.ID, "alg", string(k.Alg))
	}
	return r.loadGeneration(ctx)
}

// loadGeneration loads the keys as load does, noting the generation read
// just before, so that Run's first poll does not load them again. An
// unreadable generation (a schema from before it) is left unknown, for
// Run to retry and report.
func (r *Ring) loadGeneration(ctx context.Context) error {
	g, err := r.store.SigningKeyGeneration(ctx)
	if err != nil {
		g = -1
	}
	if err := r.load(ctx); err != nil {
		return err
	}
	r.gen.Store(g)
	return nil
}

// active reports whether a key of alg signs at now.
func (r *Ring) active(alg Alg, now time.Time) bool {
	return slices.ContainsFunc(r.view.Load().keys, func(k *Key) bool { return k.Alg == alg && k.SignsAt(now) })
}

// load replaces the database keys with those stored now. A key loaded
// before keeps its private half; a new one that may still sign is opened.
func (r *Ring) load(ctx context.Context) error {
	now := r.now()
	recs, err := r.store.SigningKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("keys: load signing keys: %w", err)
	}
	old := r.view.Load()
	stored := make([]*Key, 0, len(recs))
	for _, rec := range recs {
		k, err := r.fromRecord(rec, old.byKid[rec.ID], now)
		if err != nil {
			return err
		}
		stored = append(stored, k)
	}
	r.view.Store(newView(r.fixed, stored))
	return nil
}

func (r *Ring) fromRecord(rec *Record, prev *Key, now time.Time) (*Key, error) {
	// Only a key that may still sign needs its private half; a retired
	// one, and every one when the keys come from files, only verifies.
	sign := len(r.fixed) == 0 && (rec.RetiredAt == nil || now.Before(*rec.RetiredAt))
	if prev != nil && (prev.CanSign() || !sign) {
		k := *prev
		rec.setLife(&k)
		return &k, nil
	}
	if sign {
		return rec.openKey(r.kek)
	}
	return rec.publicKey()
}

// Reload loads the database keys now.
func (r *Ring) Reload(ctx context.Context) error {
	if r.store == nil {
		return nil
	}
	r.reloading.Lock()
	defer r.reloading.Unlock()
	r.lastTry.Store(r.now().UnixNano())
	return r.load(ctx)
}

// Run polls the keys' generation every PollEvery until ctx ends and
// reloads the keys when it moved, so that a change made by `gatehouse
// keys rotate` or another process reaches this one within about
// PollEvery. Each poll is one read of one row, bounded by the reload
// timeout, on a connection of the pool taken for that read alone. Run
// also makes the reloads due every ReloadEvery, so that requests do not
// wait for them. A failing poll keeps the keys loaded before; it is
// logged when polls start failing, at most once every ReloadEvery while
// they go on failing, and when they work again. Without a store, Run
// returns at once.
func (r *Ring) Run(ctx context.Context) {
	if r.store == nil {
		return
	}
	t := time.NewTicker(r.pollEvery)
	defer t.Stop()
	var (
		failures int
		loggedAt time.Time
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.poll(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			failures++
			if now := r.now(); failures == 1 || now.Sub(loggedAt) >= r.reloadEvery {
				r.log.Error("polling signing keys failed; keeping the keys loaded before", "error", err, "failures", failures)
				loggedAt = now
			}
		case failures > 0:
			r.log.Info("polling signing keys works again", "failures", failures)
			failures = 0
		}
		r.refresh(ctx, false)
	}
}

// poll reads the keys' generation and, when it is not the one read before
// the last load, loads the keys again.
func (r *Ring) poll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	g, err := r.store.SigningKeyGeneration(ctx)
	if err != nil {
		return fmt.Errorf("keys: read signing key generation: %w", err)
	}
	if g == r.gen.Load() {
		return nil
	}
	r.reloading.Lock()
	defer r.reloading.Unlock()
	r.lastTry.Store(r.now().UnixNano())
	if err := r.load(ctx); err != nil {
		return err
	}
	r.gen.Store(g)
	return nil
}

// refresh reloads the database keys when the last reload is older than
// ReloadEvery or, for an unknown kid, MinReloadGap, and reports whether
// it did. A periodic reload is skipped while another runs; an unknown kid
// waits for the running one, which may bring it.
func (r *Ring) refresh(ctx context.Context, unknownKid bool) bool {
	if r.store == nil {
		return false
	}
	gap := r.reloadEvery
	if unknownKid {
		gap = r.minGap
	}
	if !r.due(gap) {
		return false
	}
	if unknownKid {
		r.reloading.Lock()
	} else if !r.reloading.TryLock() {
		return false
	}
	defer r.reloading.Unlock()
	if !r.due(gap) {
		return false
	}
	r.lastTry.Store(r.now().UnixNano())
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	if err := r.load(ctx); err != nil {
		if !errors.Is(ctx.Err(), context.Canceled) { // not cut short by Run's end
			r.log.Error("reload signing keys failed; keeping the keys loaded before", "error", err)
		}
		return false
	}
	return true
}

func (r *Ring) due(gap time.Duration) bool {
	return r.now().UnixNano()-r.lastTry.Load() >= int64(gap)
}

// SigningKey returns the key to sign with now: the first fixed key, or
// the newest active database key (of the configured algorithm when there
// is one). Every process on one database picks the same one.
func (r *Ring) SigningKey() (*Key, error) {
	r.refresh(context.Background(), false)
	return r.signingKey(r.now())
}

func (r *Ring) signingKey(now time.Time) (*Key, error) {
	if len(r.fixed) > 0 {
		return r.fixed[0], nil
	}
	var best *Key
	for _, k := range r.view.Load().keys {
		if k.SignsAt(now) && (best == nil || r.better(k, best)) {
			best = k
		}
	}
	if best == nil {
		return nil, ErrNoSigningKey
	}
	return best, nil
}

// better reports whether a should sign rather than b.
func (r *Ring) better(a, b *Key) bool {
	if (a.Alg == r.alg) != (b.Alg == r.alg) {
		return a.Alg == r.alg
	}
	if !a.ActivatesAt.Equal(b.ActivatesAt) {
		return a.ActivatesAt.After(b.ActivatesAt)
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

// VerificationKey returns the key named kid, whatever its state: the
// caller refuses an expired one. An unknown kid reloads the database keys
// first, at most once every MinReloadGap.
func (r *Ring) VerificationKey(kid string) (*Key, error) {
	r.refresh(context.Background(), false)
	if k := r.view.Load().byKid[kid]; k != nil {
		return k, nil
	}
	if r.refresh(context.Background(), true) {
		if k := r.view.Load().byKid[kid]; k != nil {
			return k, nil
		}
	}
	return nil, ErrUnknownKey
}

// Published returns the keys to publish: every key with a public half
// that has not expired, pending ones included, in order of activation.
func (r *Ring) Published() []*Key {
	r.refresh(context.Background(), false)
	now := r.now()
	var out []*Key
	for _, k := range r.view.Load().keys {
		if k.Alg.Asymmetric() && !k.Expired(now) {
			out = append(out, k)
		}
	}
	return out
}

// JWKS returns the published keys as JWKs.
func (r *Ring) JWKS() []JWK {
	ks := r.Published()
	out := make([]JWK, 0, len(ks))
	for _, k := range ks {
		if j, ok := k.JWK(); ok {
			out = append(out, j)
		}
	}
	return out
}

// SigningAlgs returns the algorithms of the keys that verify now, the
// signing key's first.
func (r *Ring) SigningAlgs() []string {
	var algs []string
	if k, err := r.SigningKey(); err == nil {
		algs = append(algs, string(k.Alg))
	}
	now := r.now()
	for _, k := range r.view.Load().keys {
		if !k.Expired(now) && !slices.Contains(algs, string(k.Alg)) {
			algs = append(algs, string(k.Alg))
		}
	}
	return algs
}

// String describes r without any key material.
func (r *Ring) String() string {
	v := r.view.Load()
	return fmt.Sprintf("keys.Ring{alg:%s fixed:%d keys:%d database:%t}", r.alg, len(r.fixed), len(v.keys), r.store != nil)
}
