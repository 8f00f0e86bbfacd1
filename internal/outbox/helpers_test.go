package outbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/store"
)

// t0 is the dispatcher tests' start.
var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// lease is the dispatchers' lease in the tests, as in production.
const lease = 15 * time.Second

// sink is a subscriber that takes every message and records its id.
type sink struct {
	name string
	mu   sync.Mutex
	ids  []string
}

func (r *sink) Name() string { return r.name }

func (r *sink) Deliver(_ context.Context, m outbox.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, m.ID)
	return nil
}

func (r *sink) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// hang is a subscriber whose deliveries end only with their context, as a
// publish to a NATS server that is down would, or once release is closed.
// started receives the id of each delivery begun.
type hang struct {
	name    string
	started chan string
	release chan struct{}
}

func newHang(name string) *hang {
	return &hang{name: name, started: make(chan string, 100), release: make(chan struct{})}
}

func (h *hang) Name() string { return h.name }

func (h *hang) Deliver(ctx context.Context, m outbox.Message) error {
	h.started <- m.ID
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-h.release:
		return nil
	}
}

// waitStarted waits for h's next delivery to begin.
func (h *hang) waitStarted(t *testing.T) string {
	t.Helper()
	select {
	case id := <-h.started:
		return id
	case <-time.After(30 * time.Second):
		t.Fatalf("no delivery to %s began within 30 s", h.name)
		return ""
	}
}

// dispatcher is one instance's dispatcher, leasing as owner.
func dispatcher(st outbox.Store, clk *clocktest.Clock, owner string, subs ...outbox.Subscriber) *outbox.Dispatcher {
	return outbox.New(outbox.Options{
		Store: st, Subscribers: subs, Owner: owner, Now: clk.Now,
		Open:  func(string, string) (map[string]string, error) { return nil, nil },
		Lease: lease, Renew: 5 * time.Millisecond,
	})
}

// owe appends an event, of an identity of its own, owed to the
// subscribers the table lists and to fallback.
func owe(t *testing.T, st *store.Store, clk *clocktest.Clock, fallback ...string) string {
	t.Helper()
	e := &gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: "auth.test", AuthIdentityID: gatehouse.NewID("authid"),
		ActorType: gatehouse.ActorCustomer, Payload: map[string]any{}, CreatedAt: clk.Now()}
	if err := st.AppendEvent(t.Context(), e, "", fallback); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// delivery is an event_delivery row as the tests read it.
type delivery struct {
	State       string     `bun:"state"`
	Attempts    int        `bun:"attempts"`
	LockedBy    *string    `bun:"locked_by"`
	LockedUntil *time.Time `bun:"locked_until"`
}

func (d delivery) owner() string {
	if d.LockedBy == nil {
		return ""
	}
	return *d.LockedBy
}

func (d delivery) String() string {
	return fmt.Sprintf("%s, %d attempts, leased by %q until %v", d.State, d.Attempts, d.owner(), d.LockedUntil)
}

func deliveryOf(t *testing.T, db *store.DB, eventID, subscriber string) delivery {
	t.Helper()
	var d delivery
	err := db.Bun().NewSelect().TableExpr("event_delivery").Column("state", "attempts", "locked_by", "locked_until").
		Where("event_id = ? AND subscriber = ?", eventID, subscriber).Scan(context.Background(), &d)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// eventually polls cond until it holds, failing the test after 30 s, and
// logs how long it took.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("%s: still not so after 30 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
}
