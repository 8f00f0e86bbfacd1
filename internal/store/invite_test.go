package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestInvites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		expires := t0.Add(24 * time.Hour)

		t.Run("round trip", func(t *testing.T) {
			ctx := t.Context()
			admin := newUser("inviter@example.com")
			mustNoError(t, s.CreateUser(ctx, admin))
			inv := newInvite("new@example.com", "hash-rt", expires)
			inv.CreatedBy = &admin.ID
			inv.Metadata = map[string]any{"role": "admin"}
			mustNoError(t, s.CreateInvite(ctx, inv))
			got, err := s.InviteByTokenHash(ctx, "hash-rt")
			mustNoError(t, err)
			if *got.CreatedBy != admin.ID || got.Metadata["role"] != "admin" || got.Accepted || got.AcceptedAt != nil ||
				got.ExpiresAt != expires || got.CreatedAt != t0 || got.DeletedAt != nil {
				t.Errorf("InviteByTokenHash = %+v", got)
			}
		})

		// A new invite supersedes the pending one for the email.
		t.Run("superseded invite", func(t *testing.T) {
			ctx := t.Context()
			old := newInvite("again@example.com", "hash-old", expires)
			mustNoError(t, s.CreateInvite(ctx, old))
			newer := newInvite("again@example.com", "hash-new", expires)
			newer.CreatedAt = t0.Add(time.Minute)
			mustNoError(t, s.CreateInvite(ctx, newer))

			got, err := s.InviteByTokenHash(ctx, "hash-old")
			mustNoError(t, err)
			if got.DeletedAt == nil || !got.DeletedAt.Equal(newer.CreatedAt) {
				t.Errorf("superseded invite DeletedAt = %v, want %v", got.DeletedAt, newer.CreatedAt)
			}
			_, err = s.ClaimInvite(ctx, "hash-old", t0.Add(time.Hour))
			wantCode(t, err, gatehouse.CodeNotFound)
			_, err = s.ClaimInvite(ctx, "hash-new", t0.Add(time.Hour))
			mustNoError(t, err)
		})

		t.Run("claim once", func(t *testing.T) {
			ctx := t.Context()
			mustNoError(t, s.CreateInvite(ctx, newInvite("once@example.com", "hash-once", expires)))
			now := t0.Add(time.Hour)
			got, err := s.ClaimInvite(ctx, "hash-once", now)
			mustNoError(t, err)
			if !got.Accepted || got.AcceptedAt == nil || *got.AcceptedAt != now || got.UpdatedAt != now || got.Email != "once@example.com" {
				t.Errorf("ClaimInvite = %+v", got)
			}
			_, err = s.ClaimInvite(ctx, "hash-once", now)
			wantCode(t, err, gatehouse.CodeNotFound)

			// Accepted, it no longer blocks a new invite for the email.
			mustNoError(t, s.CreateInvite(ctx, newInvite("once@example.com", "hash-once-2", expires)))
			got, err = s.InviteByTokenHash(ctx, "hash-once")
			mustNoError(t, err)
			if !got.Accepted || got.DeletedAt != nil {
				t.Errorf("accepted invite after a new one: %+v", got)
			}
		})

		t.Run("not claimable", func(t *testing.T) {
			ctx := t.Context()
			for _, tc := range []struct {
				name      string
				expiresAt time.Time
				now       time.Time
			}{
				{"expired", t0, t0.Add(time.Second)},
				{"expiring now", t0, t0},
				{"unknown token", expires, t0},
			} {
				t.Run(tc.name, func(t *testing.T) {
					hash := "hash-" + tc.name
					if tc.name != "unknown token" {
						mustNoError(t, s.CreateInvite(ctx, newInvite(tc.name+"@example.com", hash, tc.expiresAt)))
					}
					_, err := s.ClaimInvite(ctx, hash, tc.now)
					wantCode(t, err, gatehouse.CodeNotFound)
				})
			}
		})

		// Of racing claims, one wins.
		t.Run("racing claims", func(t *testing.T) {
			ctx := t.Context()
			mustNoError(t, s.CreateInvite(ctx, newInvite("race@example.com", "hash-race", expires)))
			const racers = 20
			var wg sync.WaitGroup
			errs := make([]error, racers)
			for i := range racers {
				wg.Go(func() {
					_, errs[i] = s.ClaimInvite(ctx, "hash-race", t0)
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch gatehouse.ErrorCode(err) {
				case "":
					won++
				case gatehouse.CodeNotFound:
				default:
					t.Errorf("claim failed: %v", err)
				}
			}
			if won != 1 {
				t.Errorf("%d claims won, want 1", won)
			}
		})

		t.Run("duplicate token hash", func(t *testing.T) {
			ctx := t.Context()
			mustNoError(t, s.CreateInvite(ctx, newInvite("a@example.com", "hash-dup", expires)))
			wantDuplicate(t, s.CreateInvite(ctx, newInvite("b@example.com", "hash-dup", expires)),
				"An invite with this token already exists.")
		})

		t.Run("not found", func(t *testing.T) {
			_, err := s.InviteByTokenHash(t.Context(), "nope")
			wantCode(t, err, gatehouse.CodeNotFound)
		})
	})
}
