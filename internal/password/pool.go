package password

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// BusyError is returned when every worker is busy and the queue is full.
// RetryAfter is a rough estimate of when a retry may succeed, in whole
// seconds, at least one.
type BusyError struct {
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("password: hasher busy, retry after %s", e.RetryAfter)
}

// RetryAfter bounds: a retry hint longer than maxRetryAfter would only tell
// a client to give up.
const (
	minRetryAfter = time.Second
	maxRetryAfter = 30 * time.Second
)

// pool bounds the key derivations running at once (each can hold tens of
// MiB) and the callers waiting for one, so that a burst of sign-ins is
// refused early instead of queueing without limit. Each worker owns a
// workspace; acquiring a worker hands the caller that worker's memory.
type pool struct {
	sem     chan *workspace // the idle workers
	queue   int64           // callers allowed to wait
	waiting atomic.Int64
	now     func() time.Time

	mu      sync.Mutex
	average time.Duration // moving average of a derivation's duration

	// onQueue, when set by a test, is called once a caller has joined the
	// queue, so tests can coordinate without sleeping.
	onQueue func()
	// observeWait, when set, is told how long each caller waited for a
	// worker (zero when one was free).
	observeWait func(time.Duration)
}

// newPool makes workers workers whose workspaces keep up to keepKiB of
// argon2 memory each (allocated on first use). With nice > 0 each worker
// runs its derivations on a thread of its own at that niceness.
func newPool(workers, queue int, keepKiB uint32, nice int, now func() time.Time) *pool {
	p := &pool{sem: make(chan *workspace, workers), queue: int64(queue), now: now}
	for range workers {
		w := &workspace{keepKiB: keepKiB}
		w.mem.KeepOffHeap() // each worker's memory lives as long as the pool
		if nice > 0 {
			w.thread = startThread(nice)
		}
		p.sem <- w
	}
	return p
}

// do runs work on a worker once one is free, with that worker's workspace.
// It returns *BusyError at once when the queue is full, and ctx.Err() if ctx
// ends first.
func (p *pool) do(ctx context.Context, work func(w *workspace)) error {
	queued := p.now()
	w, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer func() { p.sem <- w }()
	start := p.now()
	if p.observeWait != nil {
		p.observeWait(start.Sub(queued))
	}
	if w.thread != nil {
		w.thread.run(func() { work(w) })
	} else {
		work(w)
	}
	p.observe(p.now().Sub(start))
	return nil
}

func (p *pool) acquire(ctx context.Context) (*workspace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case w := <-p.sem:
		return w, nil
	default:
	}
	if p.waiting.Add(1) > p.queue {
		p.waiting.Add(-1)
		return nil, &BusyError{RetryAfter: p.retryAfter()}
	}
	defer p.waiting.Add(-1)
	if p.onQueue != nil {
		p.onQueue()
	}
	select {
	case w := <-p.sem:
		return w, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// observe folds one derivation's duration into the moving average, weighting
// it 1/8 so one slow run does not swing the estimate.
func (p *pool) observe(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.average == 0 {
		p.average = d
		return
	}
	p.average += (d - p.average) / 8
}

// retryAfter estimates how long until a new caller would be served: the
// full queue plus the running derivations, spread over the workers.
func (p *pool) retryAfter() time.Duration {
	p.mu.Lock()
	average := p.average
	p.mu.Unlock()
	workers := int64(cap(p.sem))
	d := average * time.Duration(p.queue+workers) / time.Duration(workers)
	d = (d + time.Second - 1).Truncate(time.Second)
	return min(max(d, minRetryAfter), maxRetryAfter)
}

// stats reports the callers waiting and the workers busy right now.
func (p *pool) stats() (waiting, busy int) {
	return int(p.waiting.Load()), cap(p.sem) - len(p.sem)
}
