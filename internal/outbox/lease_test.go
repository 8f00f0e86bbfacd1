package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// A slow delivery keeps its lease past the first lease's end: the
// heartbeat renews it, and no other instance delivers it meanwhile.
func TestLeaseRenewal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := store.New(db)
		clk := clocktest.New(t0)
		id := owe(t, st, clk, "slow")
		slow := newHang("slow")
		a := dispatcher(st, clk, "a", slow)
		done := make(chan error, 1)
		go func() {
			_, err := a.RunOnce(ctx)
			done <- err
		}()
		slow.waitStarted(t)

		clk.Advance(lease - 5*time.Second)
		renewed := t0.Add(2*lease - 5*time.Second)
		eventually(t, "the lease renewed", func() bool {
			d := deliveryOf(t, db, id, "slow")
			return d.owner() == "a" && d.LockedUntil != nil && !d.LockedUntil.Before(renewed)
		})
		clk.Advance(10 * time.Second) // past the end of the first lease
		other := &sink{name: "slow"}
		if n, err := dispatcher(st, clk, "b", other).RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("another instance delivered %d (%v) a delivery still under way", n, err)
		}

		close(slow.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := deliveryOf(t, db, id, "slow"); d.State != "delivered" || d.Attempts != 1 || d.owner() != "" {
			t.Fatalf("delivery = %v, want delivered in 1 attempt", d)
		}
	})
}

// At shutdown a dispatcher hands back what it claimed and did not
// deliver, the delivery it cut short included: another instance delivers
// it all at once, with no attempt counted.
func TestReleaseAtShutdown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := store.New(db)
		clk := clocktest.New(t0)
		ids := []string{owe(t, st, clk, "slow"), owe(t, st, clk, "slow"), owe(t, st, clk, "slow")}
		slow := newHang("slow")
		a := dispatcher(st, clk, "a", slow)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ran := make(chan struct{})
		go func() {
			defer close(ran)
			a.Run(ctx, 10*time.Millisecond, 20*time.Millisecond)
		}()
		slow.waitStarted(t)
		for _, id := range ids {
			if d := deliveryOf(t, db, id, "slow"); d.owner() != "a" {
				t.Fatalf("delivery %s leased by %q, want a", id, d.owner())
			}
		}

		cancel()
		select {
		case <-ran:
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return within 30 s of its context's end")
		}
		for _, id := range ids {
			if d := deliveryOf(t, db, id, "slow"); d.State != "pending" || d.Attempts != 0 || d.owner() != "" || d.LockedUntil != nil {
				t.Fatalf("delivery %s after shutdown = %v, want pending, unleased, 0 attempts", id, d)
			}
		}
		// The clock has not moved: nothing waits for a lease or a backoff.
		// Polled: a statement the shutdown cancelled may hold its row
		// locks on the server a moment longer, and SKIP LOCKED passes
		// them by until then.
		other := &sink{name: "slow"}
		b := dispatcher(st, clk, "b", other)
		delivered := 0
		deadline := time.Now().Add(30 * time.Second)
		for delivered < len(ids) {
			n, err := b.RunOnce(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			delivered += n
			if time.Now().After(deadline) {
				t.Fatalf("the other instance delivered %d within 30 s, want %d", delivered, len(ids))
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// A delivery cut short by the dispatcher's own context is handed back,
// not counted as an attempt; one the subscriber refuses is.
func TestCancelledDeliveryNotCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tc := range []struct {
			name     string
			deliver  func(ctx context.Context, cancel func()) error
			attempts int
			claimed  int // by another instance right after
		}{
			{"refused", func(context.Context, func()) error { return errors.New("HTTP 503") }, 1, 0},
			{"cancelled", func(ctx context.Context, cancel func()) error { cancel(); <-ctx.Done(); return ctx.Err() }, 0, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				st := store.New(db)
				clk := clocktest.New(t0)
				id := owe(t, st, clk, tc.name)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				sub := &funcSubscriber{name: tc.name, fn: func(ctx context.Context) error { return tc.deliver(ctx, cancel) }}
				_, _ = dispatcher(st, clk, "a", sub).RunOnce(ctx)
				d := deliveryOf(t, db, id, tc.name)
				if d.State != "pending" || d.Attempts != tc.attempts || d.owner() != "" {
					t.Fatalf("delivery = %v, want pending, unleased, %d attempts", d, tc.attempts)
				}
				if n, err := dispatcher(st, clk, "b", &sink{name: tc.name}).RunOnce(t.Context()); err != nil || n != tc.claimed {
					t.Fatalf("another instance delivered %d (%v), want %d", n, err, tc.claimed)
				}
			})
		}
	})
}

// funcSubscriber delivers with fn.
type funcSubscriber struct {
	name string
	fn   func(ctx context.Context) error
}

func (f *funcSubscriber) Name() string { return f.name }

func (f *funcSubscriber) Deliver(ctx context.Context, _ outbox.Message) error { return f.fn(ctx) }

// crashed is the storage as an instance killed mid-delivery leaves it:
// its release never reaches the database.
type crashed struct{ outbox.Store }

func (crashed) ReleaseLeases(context.Context, string, string, time.Time) (int, error) { return 0, nil }

// The deliveries a dead instance held wait for its short lease, then
// another instance takes them over; the dead one's attempt is not counted.
func TestDeadInstanceLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := store.New(db)
		clk := clocktest.New(t0)
		id := owe(t, st, clk, "slow")
		slow := newHang("slow")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = dispatcher(crashed{st}, clk, "dead", slow).RunOnce(ctx)
		}()
		slow.waitStarted(t)
		cancel()
		<-done
		if d := deliveryOf(t, db, id, "slow"); d.owner() != "dead" {
			t.Fatalf("the dead instance's lease is %q's", d.owner())
		}

		other := &sink{name: "slow"}
		b := dispatcher(st, clk, "b", other)
		clk.Advance(lease - time.Second)
		if n, err := b.RunOnce(t.Context()); err != nil || n != 0 {
			t.Fatalf("delivered %d (%v) within the dead instance's lease", n, err)
		}
		clk.Advance(time.Second)
		if n, err := b.RunOnce(t.Context()); err != nil || n != 1 {
			t.Fatalf("delivered %d (%v) once the dead instance's lease expired, want 1", n, err)
		}
		if d := deliveryOf(t, db, id, "slow"); d.State != "delivered" || d.Attempts != 1 {
			t.Fatalf("delivery = %v, want delivered in 1 attempt", d)
		}
	})
}
