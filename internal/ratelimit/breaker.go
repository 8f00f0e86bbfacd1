package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// BreakerState is where a Breaker stands.
type BreakerState int

const (
	// BreakerClosed: every take goes to the backend.
	BreakerClosed BreakerState = iota
	// BreakerOpen: the backend is taken to be down; takes fail at once,
	// without asking it, until the cool-off ends.
	BreakerOpen
	// BreakerProbing: the cool-off ended and one take, the probe, is
	// asking the backend; the others still fail at once.
	BreakerProbing
)

func (s BreakerState) String() string {
	switch s {
	case BreakerOpen:
		return "open"
	case BreakerProbing:
		return "probing"
	}
	return "closed"
}

// ErrBackendDown is the error of a take the breaker refused without asking
// the backend, or that the backend did not answer in time. It is an
// *UnavailableError; errors.Is matches it.
var ErrBackendDown = errors.New("ratelimit: the rate-limit backend is down")

// UnavailableError is a take that failed because the backend did not
// answer: refused by an open breaker, timed out, or failed. RetryAfter is
// when asking again may help (the rest of the cool-off, at least a
// second).
type UnavailableError struct {
	RetryAfter time.Duration
	Err        error // the backend's error; ErrBackendDown when it was not asked
}

func (e *UnavailableError) Error() string { return e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// BreakerOptions configure a Breaker; zero fields take the defaults.
type BreakerOptions struct {
	// Timeout bounds each take (default 100 ms): a backend that hangs
	// costs a request this, never its own socket timeouts.
	Timeout time.Duration
	// Failures is how many takes in a row must fail to open the breaker
	// (default 3).
	Failures int
	// CoolOff is how long the breaker stays open before it lets one
	// probe through (default 2 s).
	CoolOff time.Duration
	// OnState, when set, is told each change of state (for a metric or
	// a log line), in order. It is called under the breaker's lock: it
	// must return quickly and never call the breaker.
	OnState func(BreakerState)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Breaker is a Limiter in front of another that bounds each take by a
// timeout and, after Failures takes in a row fail, stops asking the
// backend for CoolOff: while it is down, a take costs nothing but an
// error, and the backend is not flooded as it comes back. Then one take
// probes; its success closes the breaker, its failure opens it again.
//
// A take the caller gave up on (its own context done) counts neither way.
type Breaker struct {
	next Limiter
	o    BreakerOptions

	mu        sync.Mutex
	state     BreakerState
	failures  int
	openUntil time.Time
}

var _ Limiter = (*Breaker)(nil)

// NewBreaker returns next behind a breaker.
func NewBreaker(next Limiter, o BreakerOptions) *Breaker {
	if o.Timeout <= 0 {
		o.Timeout = 100 * time.Millisecond
	}
	if o.Failures <= 0 {
		o.Failures = 3
	}
	if o.CoolOff <= 0 {
		o.CoolOff = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Breaker{next: next, o: o}
}

// State is the breaker's state now.
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// Take implements Limiter.
func (b *Breaker) Take(ctx context.Context, now time.Time, takes ...Take) ([]Result, error) {
	probe, wait := b.admit()
	if wait > 0 {
		return nil, &UnavailableError{RetryAfter: wait, Err: ErrBackendDown}
	}
	res, err := b.call(ctx, now, takes)
	switch {
	case err == nil:
		b.succeeded()
	case ctx.Err() != nil:
		// The caller went away: nothing learnt about the backend, but a
		// probe must hand its turn back.
		if probe {
			b.reopen(0)
		}
	default:
		wait = b.failed(probe)
		return nil, &UnavailableError{RetryAfter: max(wait, time.Second), Err: err}
	}
	return res, err
}

// call runs the take under the timeout. It returns at the deadline even
// when the backend does not heed its context (a Redis client without
// ContextTimeoutEnabled reads until its own socket timeout): the backend
// call then finishes on its own, its answer dropped.
func (b *Breaker) call(ctx context.Context, now time.Time, takes []Take) ([]Result, error) {
	tctx, cancel := context.WithTimeout(ctx, b.o.Timeout)
	defer cancel()
	type answer struct {
		res []Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := b.next.Take(tctx, now, takes...)
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, a.err
	case <-tctx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: no answer within %v", ErrBackendDown, b.o.Timeout)
	}
}

// admit says whether a take may ask the backend (wait 0), and whether it
// is the probe; otherwise how long until it might.
func (b *Breaker) admit() (probe bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		if left := b.openUntil.Sub(b.o.Now()); left > 0 {
			return false, max(left, time.Second)
		}
		b.set(BreakerProbing)
		return true, 0
	case BreakerProbing:
		return false, time.Second
	}
	return false, 0
}

func (b *Breaker) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures = 0
	b.set(BreakerClosed)
}

// failed counts a failure and returns how long the breaker is open for
// (0 when it stays closed).
func (b *Breaker) failed(probe bool) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	switch {
	case probe || (b.state == BreakerClosed && b.failures >= b.o.Failures):
		b.openFor(b.o.CoolOff)
		return b.o.CoolOff
	case b.state == BreakerClosed:
		return 0
	}
	// Admitted before another take opened the breaker: its cool-off
	// already runs.
	return b.openUntil.Sub(b.o.Now())
}

// reopen opens the breaker for coolOff (0: the probe gave up, and the
// next take probes again).
func (b *Breaker) reopen(coolOff time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.openFor(coolOff)
}

func (b *Breaker) openFor(d time.Duration) {
	b.openUntil = b.o.Now().Add(d)
	b.set(BreakerOpen)
}

// set moves to s, telling OnState of a change; b.mu is held, so the
// changes are told in the order they happen.
func (b *Breaker) set(s BreakerState) {
	if b.state == s {
		return
	}
	b.state = s
	if b.o.OnState != nil {
		b.o.OnState(s)
	}
}
