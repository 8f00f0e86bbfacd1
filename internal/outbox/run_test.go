package outbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// A subscriber that hangs (NATS down) does not stall another: each has a
// loop of its own.
func TestSubscribersIndependent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := store.New(db)
		clk := clocktest.New(t0)
		nats := newHang("nats")
		webhook := &sink{name: "webhook"}
		first := owe(t, st, clk, "nats", "webhook")
		ctx, cancel := context.WithCancel(t.Context())
		ran := make(chan struct{})
		go func() {
			defer close(ran)
			dispatcher(st, clk, "a", nats, webhook).Run(ctx, 10*time.Millisecond, 0)
		}()
		nats.waitStarted(t)
		second := owe(t, st, clk, "nats", "webhook")
		eventually(t, "the webhook has both events", func() bool {
			got := webhook.got()
			return slices.Contains(got, first) && slices.Contains(got, second)
		})
		cancel()
		<-ran
		// What nats was owed is still owed, uncounted.
		for _, id := range []string{first, second} {
			if d := deliveryOf(t, db, id, "nats"); d.State != "pending" || d.Attempts != 0 || d.owner() != "" {
				t.Fatalf("nats delivery %s = %v, want pending, unleased, 0 attempts", id, d)
			}
		}
	})
}

// An event is owed to the fleet's subscribers, not the writer's: an
// instance that knows only the webhook writes it, and an instance with
// NATS delivers it there.
func TestFleetFanOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := store.New(db)
		clk := clocktest.New(t0)
		if err := st.EnsureSubscribers(ctx, []store.Subscriber{{Name: "webhook", Kind: "webhook"}, {Name: "nats", Kind: "nats"}}, t0); err != nil {
			t.Fatal(err)
		}
		id := owe(t, st, clk, "webhook") // by the instance that knows only the webhook
		for _, name := range []string{"webhook", "nats"} {
			sub := &sink{name: name}
			if n, err := dispatcher(st, clk, "instance-with-"+name, sub).RunOnce(ctx); err != nil || n != 1 || !slices.Equal(sub.got(), []string{id}) {
				t.Fatalf("%s: delivered %d (%v): %v", name, n, err, sub.got())
			}
		}
	})
}
