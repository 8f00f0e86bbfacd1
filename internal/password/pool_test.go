package password

import (
	"context"
	"errors"
	"testing"
	"time"
)

// blockedHasher returns a Hasher with one worker and a queue of one, whose
// derivations announce themselves on entered and then wait for release to
// be closed; queued receives a value whenever a caller joins the queue.
func blockedHasher(t *testing.T) (h *Hasher, entered, queued chan struct{}, release chan struct{}) {
	t.Helper()
	h = newTestHasher(t, Options{Workers: 1, Queue: 1})
	entered = make(chan struct{}, 8)
	queued = make(chan struct{}, 8)
	release = make(chan struct{})
	h.beforeDerive = func() {
		entered <- struct{}{}
		<-release
	}
	h.pool.onQueue = func() { queued <- struct{}{} }
	return h, entered, queued, release
}

func wantStats(t *testing.T, h *Hasher, waiting, busy int) {
	t.Helper()
	if w, b := h.Stats(); w != waiting || b != busy {
		t.Errorf("Stats = %d waiting, %d busy; want %d, %d", w, b, waiting, busy)
	}
}

func TestQueueFullReturnsBusyError(t *testing.T) {
	encoded := mustHash(t, newTestHasher(t, Options{}), "correct horse")
	tests := []struct {
		name string
		call func(h *Hasher) error
	}{
		{"Hash", func(h *Hasher) error { _, err := h.Hash(context.Background(), "third"); return err }},
		{"Verify", func(h *Hasher) error { _, _, err := h.Verify(context.Background(), "third", encoded); return err }},
		{"VerifyDummy", func(h *Hasher) error { return h.VerifyDummy(context.Background(), "third") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, entered, queued, release := blockedHasher(t)
			first, second := make(chan error, 1), make(chan error, 1)
			go func() { _, err := h.Hash(context.Background(), "first"); first <- err }()
			<-entered
			go func() { _, err := h.Hash(context.Background(), "second"); second <- err }()
			<-queued
			wantStats(t, h, 1, 1)

			before := h.Derivations()
			err := tt.call(h)
			var busy *BusyError
			if !errors.As(err, &busy) {
				t.Fatalf("third caller got %v, want *BusyError", err)
			}
			if busy.RetryAfter < time.Second {
				t.Errorf("RetryAfter = %v, want at least 1s", busy.RetryAfter)
			}
			if got := h.Derivations(); got != before {
				t.Errorf("a refused caller ran %d derivations", got-before)
			}

			close(release)
			if err := <-first; err != nil {
				t.Errorf("first caller: %v", err)
			}
			if err := <-second; err != nil {
				t.Errorf("second caller: %v", err)
			}
			wantStats(t, h, 0, 0)
		})
	}
}

func TestContextCanceledWhileWaiting(t *testing.T) {
	h, entered, queued, release := blockedHasher(t)
	first := make(chan error, 1)
	go func() { _, err := h.Hash(context.Background(), "first"); first <- err }()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	waiter := make(chan error, 1)
	go func() { waiter <- h.VerifyDummy(ctx, "second") }()
	<-queued
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting caller got %v, want context.Canceled", err)
	}
	wantStats(t, h, 0, 1)

	close(release)
	if err := <-first; err != nil {
		t.Errorf("first caller: %v", err)
	}
	wantStats(t, h, 0, 0)
}

func TestContextAlreadyCanceled(t *testing.T) {
	h := newTestHasher(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "correct horse"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash = %v, want context.Canceled", err)
	}
	if h.Derivations() != 0 {
		t.Errorf("Derivations = %d, want 0", h.Derivations())
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name           string
		workers, queue int
		samples        []time.Duration
		want           time.Duration
	}{
		{"no history", 1, 4, nil, time.Second},
		{"fast hashes", 2, 8, []time.Duration{50 * time.Millisecond}, time.Second},
		{"queue and workers over workers", 1, 1, []time.Duration{3 * time.Second}, 6 * time.Second},
		{"rounded up to seconds", 2, 8, []time.Duration{300 * time.Millisecond}, 2 * time.Second},
		{"moving average", 1, 1, []time.Duration{time.Second, 9 * time.Second}, 4 * time.Second},
		{"capped", 1, 100, []time.Duration{time.Second}, maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(tt.workers, tt.queue, testParams.MemoryKiB, 0, time.Now)
			for _, d := range tt.samples {
				p.observe(d)
			}
			if got := p.retryAfter(); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	h := newTestHasher(t, Options{Workers: 3})
	if got := cap(h.pool.sem); got != 3 {
		t.Errorf("workers = %d, want 3", got)
	}
	if h.pool.queue != 12 {
		t.Errorf("queue = %d, want 4*Workers = 12", h.pool.queue)
	}
}
