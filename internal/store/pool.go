package store

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Pool bounds a database's connection pool. database/sql alone opens a
// connection for every statement that finds none idle, without limit, and
// lets a statement wait for one as long as its context lives; under load
// that meant hundreds of PostgreSQL backends ("too many clients") and
// requests queued without end.
type Pool struct {
	// MaxOpen is the most connections open at once, in use or idle:
	// PostgreSQL never sees more from this process.
	MaxOpen int
	// MaxIdle is how many idle connections are kept for the next
	// statement (at most MaxOpen).
	MaxIdle int
	// MaxLifetime closes a connection once it is this old; 0 never does.
	MaxLifetime time.Duration
	// MaxIdleTime closes a connection idle for this long; 0 never does.
	MaxIdleTime time.Duration
	// AcquireTimeout is how long a statement waits for a connection;
	// past it the store answers UNAVAILABLE. 0 waits as long as the
	// caller's context lives.
	AcquireTimeout time.Duration
	// OnShed, when set, is called each time a statement gave up waiting
	// for a connection.
	OnShed func()
}

// DefaultPool is sized from the cores the process may use: a database
// does the most work with a few connections per core, and more only queue
// inside it. Idle connections are kept up to the maximum, so a steady load
// opens none.
func DefaultPool() Pool {
	n := max(8, 4*runtime.GOMAXPROCS(0))
	return Pool{
		MaxOpen:        n,
		MaxIdle:        n,
		MaxLifetime:    30 * time.Minute,
		MaxIdleTime:    5 * time.Minute,
		AcquireTimeout: 2 * time.Second,
	}
}

// ErrNoConnection is the error of a statement that found no free
// connection within the pool's AcquireTimeout; the store answers it as
// gatehouse.CodeUnavailable.
var ErrNoConnection = errors.New("store: no database connection became free in time")

// acquireKey finds a statement's acquireCtx.
type acquireKey struct{}

// acquireCtx is a statement's context while it waits for a connection:
// done when the caller's context is, or when the acquire timeout passes
// before the driver receives the statement (then Err is ErrNoConnection).
// Once the driver has it (acquired), only the caller's context counts:
// the timeout bounds the wait, never the statement. It is a context of
// its own, not a context.WithTimeout, because a transaction keeps the
// context of its BEGIN: the deadline must stop at the connection.
type acquireCtx struct {
	context.Context
	owner *bun.QueryEvent
	done  chan struct{}
	timer *time.Timer
	// stop deregisters from the parent context.
	stop func() bool

	mu  sync.Mutex
	err error
}

func newAcquireCtx(parent context.Context, timeout time.Duration, owner *bun.QueryEvent) *acquireCtx {
	c := &acquireCtx{Context: parent, owner: owner, done: make(chan struct{})}
	c.stop = context.AfterFunc(parent, func() { c.cancel(parent.Err()) })
	c.timer = time.AfterFunc(timeout, func() { c.cancel(ErrNoConnection) })
	return c
}

func (c *acquireCtx) Done() <-chan struct{} { return c.done }

func (c *acquireCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *acquireCtx) Value(key any) any {
	if key == (acquireKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (c *acquireCtx) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

// release stops the timer and forgets the parent: the statement (or the
// transaction, for a BEGIN) is over.
func (c *acquireCtx) release() {
	c.timer.Stop()
	c.stop()
}

// acquired is called by the driver wrapper when a statement reaches a
// connection: from then on the acquire timeout no longer applies.
func acquired(ctx context.Context) {
	if c, ok := ctx.Value(acquireKey{}).(*acquireCtx); ok {
		c.timer.Stop()
	}
}

// acquireHook gives each statement that is not already inside one an
// acquireCtx, and counts the statements that gave up.
type acquireHook struct {
	timeout time.Duration
	onShed  func()
}

func (h acquireHook) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if _, ok := ctx.Value(acquireKey{}).(*acquireCtx); ok {
		// A statement inside a transaction runs on the connection its
		// BEGIN acquired.
		return ctx
	}
	return newAcquireCtx(ctx, h.timeout, e)
}

func (h acquireHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	if errors.Is(e.Err, ErrNoConnection) && h.onShed != nil {
		h.onShed()
	}
	c, ok := ctx.Value(acquireKey{}).(*acquireCtx)
	if !ok {
		return
	}
	switch {
	case e.Query == "COMMIT" || e.Query == "ROLLBACK":
		// The end of the transaction whose BEGIN made c.
		c.release()
	case c.owner != e:
	case e.Query == "BEGIN" && e.Err == nil:
		// The transaction keeps c until it ends.
	default:
		c.release()
	}
}
