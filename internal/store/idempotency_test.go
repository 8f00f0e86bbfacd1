package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// newIdemRecord is a claim of id by owner at now, locked for 30 s, kept a
// day.
func newIdemRecord(id, fingerprint, owner string, now time.Time) *gatehouse.IdempotencyRecord {
	return &gatehouse.IdempotencyRecord{
		ID: id, Fingerprint: fingerprint, Owner: owner, State: gatehouse.IdempotencyInProgress,
		LockedUntil: now.Add(30 * time.Second), CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
}

func TestIdempotencyRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		claim := func(t *testing.T, id, fp, owner string, now time.Time) *gatehouse.IdempotencyRecord {
			t.Helper()
			got, err := s.ClaimIdempotency(t.Context(), newIdemRecord(id, fp, owner, now), now)
			mustNoError(t, err)
			return got
		}

		t.Run("claim, complete, replay", func(t *testing.T) {
			if got := claim(t, "a", "fp", "first", t0); got.Owner != "first" || got.State != gatehouse.IdempotencyInProgress {
				t.Fatalf("first claim = %+v", got)
			}
			// A second request finds it in progress.
			got := claim(t, "a", "fp", "second", t0.Add(time.Second))
			if got.Owner != "first" || got.State != gatehouse.IdempotencyInProgress || got.Fingerprint != "fp" {
				t.Fatalf("claim while in progress = %+v", got)
			}
			// Only the owner completes it.
			wantCode(t, s.CompleteIdempotency(t.Context(), "a", "second", 200, "sealed", ""), gatehouse.CodeNotFound)
			mustNoError(t, s.CompleteIdempotency(t.Context(), "a", "first", 200, "sealed", ""))
			got = claim(t, "a", "other fp", "third", t0.Add(2*time.Second))
			want := newIdemRecord("a", "fp", "first", t0)
			want.State, want.Status, want.Body = gatehouse.IdempotencyDone, 200, "sealed"
			if *got != *want {
				t.Fatalf("claim of a done record = %+v, want %+v", got, want)
			}
			// Completed once: a second completion finds nothing to complete.
			wantCode(t, s.CompleteIdempotency(t.Context(), "a", "first", 500, "other", ""), gatehouse.CodeNotFound)
		})

		t.Run("released", func(t *testing.T) {
			claim(t, "b", "fp", "first", t0)
			// Only the owner releases it.
			mustNoError(t, s.ReleaseIdempotency(t.Context(), "b", "second"))
			if got := claim(t, "b", "fp", "second", t0); got.Owner != "first" {
				t.Fatalf("released by another: %+v", got)
			}
			mustNoError(t, s.ReleaseIdempotency(t.Context(), "b", "first"))
			if got := claim(t, "b", "fp", "second", t0); got.Owner != "second" {
				t.Fatalf("claim after release = %+v", got)
			}
		})

		t.Run("lock passed", func(t *testing.T) {
			claim(t, "c", "fp", "dead", t0)
			if got := claim(t, "c", "fp", "early", t0.Add(29*time.Second)); got.Owner != "dead" {
				t.Fatalf("taken over before the lock passed: %+v", got)
			}
			if got := claim(t, "c", "fp", "late", t0.Add(30*time.Second)); got.Owner != "late" || got.CreatedAt != t0.Add(30*time.Second) {
				t.Fatalf("not taken over when the lock passed: %+v", got)
			}
			// The dead owner, back, can no longer complete it.
			wantCode(t, s.CompleteIdempotency(t.Context(), "c", "dead", 200, "x", ""), gatehouse.CodeNotFound)
		})

		t.Run("a done record is kept until it expires", func(t *testing.T) {
			claim(t, "d", "fp", "first", t0)
			mustNoError(t, s.CompleteIdempotency(t.Context(), "d", "first", 200, "sealed", ""))
			if got := claim(t, "d", "fp", "second", t0.Add(24*time.Hour-time.Microsecond)); got.Owner != "first" {
				t.Fatalf("taken over before expiry: %+v", got)
			}
			if got := claim(t, "d", "fp", "second", t0.Add(24*time.Hour)); got.Owner != "second" || got.State != gatehouse.IdempotencyInProgress || got.Body != "" || got.Status != 0 {
				t.Fatalf("claim after expiry = %+v", got)
			}
		})

		// Of racing claims exactly one wins; every other sees the
		// winner's record.
		t.Run("racing claims", func(t *testing.T) {
			const racers = 8
			got := make([]*gatehouse.IdempotencyRecord, racers)
			errs := make([]error, racers)
			var wg sync.WaitGroup
			for i := range racers {
				wg.Go(func() {
					got[i], errs[i] = s.ClaimIdempotency(t.Context(), newIdemRecord("race", "fp", string(rune('a'+i)), t0), t0)
				})
			}
			wg.Wait()
			winners := map[string]bool{}
			for i := range racers {
				if errs[i] != nil {
					t.Fatalf("racer %d: %v", i, errs[i])
				}
				winners[got[i].Owner] = true
			}
			if len(winners) != 1 {
				t.Fatalf("owners seen: %v, want one", winners)
			}
		})
	})
}
