package store_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// Leases belong to their owner: only it renews, releases or fails them,
// an expired one passes to the next claimant, and each attempt counts
// once.
func TestDeliveryLeases(t *testing.T) {
	const lease = 15 * time.Second
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		// owe appends an event owed to subscriber alone (a name of the
		// subtest's own, so that subtests claim only their own).
		owe := func(t *testing.T, subscriber string) string {
			t.Helper()
			e := &gatehouse.Event{ID: newID(), Name: "auth.test", AuthIdentityID: newID(), CreatedAt: t0}
			mustNoError(t, s.AppendEvent(ctx, e, "", []string{subscriber}))
			return e.ID
		}
		claim := func(t *testing.T, subscriber, owner string, at time.Duration) int {
			t.Helper()
			due, err := s.ClaimDue(ctx, subscriber, owner, t0.Add(at), lease, 10)
			mustNoError(t, err)
			return len(due)
		}
		want := func(t *testing.T, id, subscriber string, state string, attempts int, owner string) {
			t.Helper()
			d := deliveryOf(t, db, id, subscriber)
			got := ""
			if d.LockedBy != nil {
				got = *d.LockedBy
			}
			if d.State != state || d.Attempts != attempts || got != owner {
				t.Fatalf("delivery = %s, %d attempts, leased by %q; want %s, %d, %q", d.State, d.Attempts, got, state, attempts, owner)
			}
		}

		t.Run("expired lease passes on", func(t *testing.T) {
			// Owners of the subtest's own: a heartbeat renews all its owner's leases.
			a, b := t.Name()+"/a", t.Name()+"/b"
			id := owe(t, "expiry")
			if n := claim(t, "expiry", a, 0); n != 1 {
				t.Fatalf("a claimed %d", n)
			}
			if n := claim(t, "expiry", b, lease-time.Second); n != 0 {
				t.Fatalf("b claimed %d under a's lease", n)
			}
			if n := claim(t, "expiry", b, lease); n != 1 {
				t.Fatalf("b claimed %d once a's lease expired", n)
			}
			want(t, id, "expiry", "pending", 0, b)
		})
		t.Run("renewal", func(t *testing.T) {
			// Owners of the subtest's own: a heartbeat renews all its owner's leases.
			a, b := t.Name()+"/a", t.Name()+"/b"
			id := owe(t, "renewal")
			claim(t, "renewal", a, 0)
			n, err := s.RenewLeases(ctx, b, t0.Add(2*lease), t0.Add(lease/2))
			mustNoError(t, err)
			if n != 0 {
				t.Fatalf("b renewed %d of a's leases", n)
			}
			n, err = s.RenewLeases(ctx, a, t0.Add(2*lease), t0.Add(lease/2))
			mustNoError(t, err)
			if n != 1 {
				t.Fatalf("a renewed %d leases, want 1", n)
			}
			if n := claim(t, "renewal", b, lease); n != 0 {
				t.Fatalf("b claimed %d past the renewed lease's first end", n)
			}
			if n := claim(t, "renewal", b, 2*lease); n != 1 {
				t.Fatalf("b claimed %d once the renewed lease expired", n)
			}
			// The lease is b's now: a's heartbeat leaves it alone.
			n, err = s.RenewLeases(ctx, a, t0.Add(3*lease), t0.Add(2*lease))
			mustNoError(t, err)
			if n != 0 {
				t.Fatalf("a renewed %d leases it lost", n)
			}
			want(t, id, "renewal", "pending", 0, b)
		})
		t.Run("release", func(t *testing.T) {
			// Owners of the subtest's own: a heartbeat renews all its owner's leases.
			a, b := t.Name()+"/a", t.Name()+"/b"
			id := owe(t, "release")
			claim(t, "release", a, 0)
			n, err := s.ReleaseLeases(ctx, b, "release", t0)
			mustNoError(t, err)
			if n != 0 {
				t.Fatalf("b released %d of a's leases", n)
			}
			n, err = s.ReleaseLeases(ctx, a, "other", t0)
			mustNoError(t, err)
			if n != 0 {
				t.Fatalf("a released %d leases of another subscriber", n)
			}
			n, err = s.ReleaseLeases(ctx, a, "release", t0)
			mustNoError(t, err)
			if n != 1 {
				t.Fatalf("a released %d leases, want 1", n)
			}
			want(t, id, "release", "pending", 0, "")
			if n := claim(t, "release", b, 0); n != 1 {
				t.Fatalf("b claimed %d right after the release", n)
			}
		})
		t.Run("failure after the lease passed on", func(t *testing.T) {
			// Owners of the subtest's own: a heartbeat renews all its owner's leases.
			a, b := t.Name()+"/a", t.Name()+"/b"
			id := owe(t, "late-failure")
			claim(t, "late-failure", a, 0)
			claim(t, "late-failure", b, lease)
			counted, err := s.FailedLeased(ctx, id, "late-failure", a, "HTTP 500", t0.Add(lease), false, t0.Add(lease))
			mustNoError(t, err)
			if counted {
				t.Fatal("a's failure counted on b's lease")
			}
			want(t, id, "late-failure", "pending", 0, b)
			counted, err = s.FailedLeased(ctx, id, "late-failure", b, "HTTP 500", t0.Add(lease), false, t0.Add(lease))
			mustNoError(t, err)
			if !counted {
				t.Fatal("b's failure on its own lease did not count")
			}
			want(t, id, "late-failure", "pending", 1, "")
		})
		t.Run("delivery after the lease passed on", func(t *testing.T) {
			// Owners of the subtest's own: a heartbeat renews all its owner's leases.
			a, b := t.Name()+"/a", t.Name()+"/b"
			id := owe(t, "late-delivery")
			claim(t, "late-delivery", a, 0)
			claim(t, "late-delivery", b, lease)
			// The subscriber has it: a's delivery stands, and b's
			// failure afterwards changes nothing.
			mustNoError(t, s.Delivered(ctx, id, "late-delivery", t0.Add(lease)))
			want(t, id, "late-delivery", "delivered", 1, "")
			counted, err := s.FailedLeased(ctx, id, "late-delivery", b, "timeout", t0.Add(lease), false, t0.Add(lease))
			mustNoError(t, err)
			if counted {
				t.Fatal("b's failure counted on a delivered event")
			}
			mustNoError(t, s.Delivered(ctx, id, "late-delivery", t0.Add(lease)))
			want(t, id, "late-delivery", "delivered", 1, "")
		})
	})
}
