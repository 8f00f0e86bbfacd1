package store_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// fillOutbox writes a subscriber, an event owed to it and a lease on its
// delivery, for the migration tests' fill.
func fillOutbox(t *testing.T, s *store.Store, authIdentityID string) {
	t.Helper()
	ctx := t.Context()
	mustNoError(t, s.EnsureSubscribers(ctx, []store.Subscriber{{Name: "webhook", Kind: "webhook"}}, t0))
	mustNoError(t, s.AppendEvent(ctx, &gatehouse.Event{ID: newID(), Name: "fill", AuthIdentityID: authIdentityID, CreatedAt: t0}, "", nil))
	due, err := s.ClaimDue(ctx, "webhook", "fill-dispatcher", t0, time.Minute, 1)
	mustNoError(t, err)
	if len(due) != 1 {
		t.Fatalf("claimed %d deliveries, want 1", len(due))
	}
}

// delivery is an event_delivery row as the tests read it.
type delivery struct {
	State    string  `bun:"state"`
	Attempts int     `bun:"attempts"`
	LockedBy *string `bun:"locked_by"`
}

// owed lists the subscribers an event is owed to, by name.
func owed(t *testing.T, db *store.DB, eventID string) []string {
	t.Helper()
	var names []string
	err := db.Bun().NewSelect().TableExpr("event_delivery").Column("subscriber").Where("event_id = ?", eventID).
		OrderExpr("subscriber").Scan(t.Context(), &names)
	mustNoError(t, err)
	return names
}

func deliveryOf(t *testing.T, db *store.DB, eventID, subscriber string) delivery {
	t.Helper()
	var d delivery
	err := db.Bun().NewSelect().TableExpr("event_delivery").Column("state", "attempts", "locked_by").
		Where("event_id = ? AND subscriber = ?", eventID, subscriber).Scan(t.Context(), &d)
	mustNoError(t, err)
	return d
}

func setEnabled(t *testing.T, s *store.Store, name string, enabled bool) {
	t.Helper()
	_, err := s.SetSubscriberEnabled(t.Context(), name, enabled, t0)
	mustNoError(t, err)
}

// Disabling a subscriber sets aside what it is still owed (dead, so
// replayable and pruned with the event retention) and leaves the others'
// deliveries alone; enabling it again owes it new events only.
func TestDisableSubscriberSetsAside(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		mustNoError(t, s.EnsureSubscribers(ctx, []store.Subscriber{{Name: "webhook", Kind: "webhook"}, {Name: "log", Kind: "log"}}, t0))
		var ids []string
		for range 3 {
			e := &gatehouse.Event{ID: newID(), Name: "auth.test", AuthIdentityID: newID(), CreatedAt: t0}
			mustNoError(t, s.Tx(ctx, func(tx auth.Store) error { return tx.AppendEvent(ctx, e, "", nil) }))
			ids = append(ids, e.ID)
		}
		n, err := s.SetSubscriberEnabled(ctx, "log", false, t0)
		mustNoError(t, err)
		if n != 3 {
			t.Fatalf("set aside %d deliveries, want 3", n)
		}
		for _, id := range ids {
			if d := deliveryOf(t, db, id, "log"); d.State != "dead" {
				t.Errorf("log delivery of %s: %s, want dead", id, d.State)
			}
			if d := deliveryOf(t, db, id, "webhook"); d.State != "pending" {
				t.Errorf("webhook delivery of %s: %s, want pending", id, d.State)
			}
		}
		if n, err := s.SetSubscriberEnabled(ctx, "log", true, t0); err != nil || n != 0 {
			t.Fatalf("enable: %d, %v", n, err)
		}
	})
}

func TestSubscribers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
		mustNoError(t, s.EnsureSubscribers(ctx, []store.Subscriber{
			{Name: "webhook", Kind: "webhook", Config: map[string]any{"url": "https://example.com/hook"}},
			{Name: "nats", Kind: "nats", Config: map[string]any{"subject": "gatehouse.events"}},
		}, t0))
		setEnabled(t, s, "nats", false)
		// A restart declares them again: the operator's disabling stays,
		// a changed config is taken, an unchanged one is not rewritten.
		mustNoError(t, s.EnsureSubscribers(ctx, []store.Subscriber{
			{Name: "webhook", Kind: "webhook", Config: map[string]any{"url": "https://example.com/hook"}},
			{Name: "nats", Kind: "nats", Config: map[string]any{"subject": "other.events"}},
		}, t1))
		mustNoError(t, s.EnsureSubscribers(ctx, []store.Subscriber{
			{Name: "nats", Kind: "nats", Config: map[string]any{"subject": "other.events"}},
		}, t2))
		got, err := s.Subscribers(ctx)
		mustNoError(t, err)
		want := []store.Subscriber{
			{Name: "nats", Kind: "nats", Enabled: false, Config: map[string]any{"subject": "other.events"}, CreatedAt: t0, UpdatedAt: t1},
			{Name: "webhook", Kind: "webhook", Enabled: true, Config: map[string]any{"url": "https://example.com/hook"}, CreatedAt: t0, UpdatedAt: t0},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("subscribers = %+v\nwant %+v", got, want)
		}
		_, err = s.SetSubscriberEnabled(ctx, "unknown", true, t0)
		wantCode(t, err, gatehouse.CodeNotFound)
	})
}

// An event is owed to the fleet's enabled subscribers, whichever
// instance writes it: the writer's own (fallback) only add those the
// table does not list.
func TestAppendEventFanOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tc := range []struct {
			name     string
			table    map[string]bool // subscriber: enabled
			fallback []string
			want     []string
		}{
			{"writer knows only webhook", map[string]bool{"webhook": true, "nats": true}, []string{"webhook"}, []string{"nats", "webhook"}},
			{"writer knows none", map[string]bool{"webhook": true, "nats": true}, nil, []string{"nats", "webhook"}},
			{"disabled in the table", map[string]bool{"webhook": true, "nats": false}, []string{"webhook", "nats"}, []string{"webhook"}},
			{"not declared yet", map[string]bool{}, []string{"webhook", "webhook"}, []string{"webhook"}},
			{"none", map[string]bool{}, nil, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				s := store.New(db)
				_, err := db.Bun().NewDelete().TableExpr("subscriber").Where("TRUE").Exec(ctx)
				mustNoError(t, err)
				for name, enabled := range tc.table {
					mustNoError(t, s.EnsureSubscribers(ctx, []store.Subscriber{{Name: name, Kind: name}}, t0))
					setEnabled(t, s, name, enabled)
				}
				e := &gatehouse.Event{ID: newID(), Name: "auth.test", AuthIdentityID: newID(), CreatedAt: t0}
				mustNoError(t, s.Tx(ctx, func(tx auth.Store) error { return tx.AppendEvent(ctx, e, "sealed-bytes", tc.fallback) }))
				if got := owed(t, db, e.ID); !slices.Equal(got, tc.want) {
					t.Fatalf("owed to %q, want %q", got, tc.want)
				}
				es, err := s.EventsByName(ctx, "auth.test")
				mustNoError(t, err)
				i := slices.IndexFunc(es, func(x *store.StoredEvent) bool { return x.ID == e.ID })
				// Secrets nobody is owed would never be erased.
				if kept := i >= 0 && es[i].Sealed != ""; kept != (len(tc.want) > 0) {
					t.Fatalf("sealed secrets kept = %v with %d subscribers owed", kept, len(tc.want))
				}
			})
		}
	})
}
