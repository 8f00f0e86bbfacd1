package store_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func newSession(authIdentityID string) *gatehouse.Session {
	return &gatehouse.Session{
		ID:             "sess_" + newID(),
		AuthIdentityID: authIdentityID,
		ActorType:      gatehouse.ActorCustomer,
		CreatedAt:      t0,
		LastActiveAt:   t0,
		IdleExpiresAt:  t0.Add(time.Hour),
		ExpiresAt:      t0.Add(24 * time.Hour),
	}
}

func newRefreshToken(sessionID, hash string) *gatehouse.RefreshToken {
	return &gatehouse.RefreshToken{ID: "rtok_" + newID(), SessionID: sessionID, TokenHash: hash, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

// mustSession creates an identity with a session.
func mustSession(t *testing.T, s *store.Store, email string) *gatehouse.Session {
	t.Helper()
	a, p := newIdentity(gatehouse.ActorCustomer, email)
	mustNoError(t, s.CreateIdentity(t.Context(), a, p))
	sess := newSession(a.ID)
	mustNoError(t, s.CreateSession(t.Context(), sess))
	return sess
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()

		t.Run("round trip", func(t *testing.T) {
			sess := mustSession(t, s, "round@example.com")
			got, err := s.Session(ctx, sess.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(got, sess) {
				t.Fatalf("got %+v, want %+v", got, sess)
			}
		})

		t.Run("touch", func(t *testing.T) {
			sess := mustSession(t, s, "touch@example.com")
			later := t0.Add(time.Minute)
			mustNoError(t, s.TouchSession(ctx, sess.ID, later, later.Add(time.Hour)))
			got, err := s.Session(ctx, sess.ID)
			mustNoError(t, err)
			if !got.LastActiveAt.Equal(later) || !got.IdleExpiresAt.Equal(later.Add(time.Hour)) {
				t.Fatalf("got %+v", got)
			}
			wantCode(t, s.TouchSession(ctx, "sess_missing", later, later), gatehouse.CodeNotFound)
		})

		// Revoke one, then all.
		t.Run("revoke", func(t *testing.T) {
			first := mustSession(t, s, "revoke@example.com")
			second := newSession(first.AuthIdentityID)
			mustNoError(t, s.CreateSession(ctx, second))
			other := mustSession(t, s, "bystander@example.com")

			n, err := s.RevokeSessions(ctx, first.AuthIdentityID, first.ID, gatehouse.RevokedLogout, t0)
			mustNoError(t, err)
			if n != 1 {
				t.Fatalf("revoked %d, want 1", n)
			}
			n, err = s.RevokeSessions(ctx, first.AuthIdentityID, "", gatehouse.RevokedLogoutAll, t0.Add(time.Second))
			mustNoError(t, err)
			if n != 1 {
				t.Fatalf("revoked %d, want the 1 still live", n)
			}
			got, err := s.Session(ctx, first.ID)
			mustNoError(t, err)
			if got.State(t0) != gatehouse.SessionRevoked || *got.RevokedReason != gatehouse.RevokedLogout || !got.RevokedAt.Equal(t0) {
				t.Fatalf("first = %+v", got)
			}
			wantCode(t, s.TouchSession(ctx, first.ID, t0, t0), gatehouse.CodeNotFound)
			if got, _ := s.Session(ctx, other.ID); got.RevokedAt != nil {
				t.Fatal("another identity's session was revoked")
			}
		})

		t.Run("refresh tokens", func(t *testing.T) {
			sess := mustSession(t, s, "refresh@example.com")
			rt := newRefreshToken(sess.ID, "hash-1")
			mustNoError(t, s.CreateRefreshToken(ctx, rt))
			got, gotSess, gotIdentity, err := s.RefreshTokenSession(ctx, "hash-1")
			mustNoError(t, err)
			if !reflect.DeepEqual(got, rt) {
				t.Fatalf("got %+v, want %+v", got, rt)
			}
			if !reflect.DeepEqual(gotSess, sess) || gotIdentity.ID != sess.AuthIdentityID {
				t.Fatalf("with session %+v and identity %+v, want %+v", gotSess, gotIdentity, sess)
			}
			wantDuplicate(t, s.CreateRefreshToken(ctx, newRefreshToken(sess.ID, "hash-1")), "A refresh token with this hash already exists.")
			_, _, _, err = s.RefreshTokenSession(ctx, "hash-missing")
			wantCode(t, err, gatehouse.CodeNotFound)

			won, err := s.ClaimRefreshToken(ctx, rt.ID, "rtok_child", t0)
			mustNoError(t, err)
			again, err := s.ClaimRefreshToken(ctx, rt.ID, "rtok_other", t0)
			mustNoError(t, err)
			if !won || again {
				t.Fatalf("claims = %v, %v; want true, false", won, again)
			}
			got, err = s.RefreshToken(ctx, rt.ID)
			mustNoError(t, err)
			if !got.UsedAt.Equal(t0) || *got.ReplacedBy != "rtok_child" {
				t.Fatalf("claimed = %+v", got)
			}
		})

		// Of racing claims, one wins.
		t.Run("racing claims", func(t *testing.T) {
			sess := mustSession(t, s, "race@example.com")
			rt := newRefreshToken(sess.ID, "hash-race")
			mustNoError(t, s.CreateRefreshToken(ctx, rt))
			const n = 20
			var wg sync.WaitGroup
			wins := make([]bool, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					errs[i] = s.Tx(ctx, func(tx auth.Store) error {
						var err error
						wins[i], err = tx.ClaimRefreshToken(ctx, rt.ID, "rtok_"+newID(), t0)
						return err
					})
				})
			}
			wg.Wait()
			won := 0
			for i := range n {
				mustNoError(t, errs[i])
				if wins[i] {
					won++
				}
			}
			if won != 1 {
				t.Fatalf("%d claims won, want 1", won)
			}
		})

		t.Run("events", func(t *testing.T) {
			sess := mustSession(t, s, "events@example.com")
			var want []gatehouse.Event
			for i := range 3 {
				e := gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: "auth.test", AuthIdentityID: sess.AuthIdentityID,
					ActorType: gatehouse.ActorCustomer, Payload: map[string]any{"n": float64(i)}, CreatedAt: t0}
				mustNoError(t, s.AppendEvent(ctx, &e, "sealed-bytes", []string{"webhook"}))
				want = append([]gatehouse.Event{e}, want...)
			}
			got, err := s.AuditEvents(ctx, sess.AuthIdentityID, "", 10)
			mustNoError(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
			older, err := s.AuditEvents(ctx, sess.AuthIdentityID, want[0].ID, 1)
			mustNoError(t, err)
			if len(older) != 1 || older[0].ID != want[1].ID {
				t.Fatalf("the page after %s: %+v", want[0].ID, older)
			}
			n, err := s.Backlog(ctx)
			mustNoError(t, err)
			if n != 3 {
				t.Fatalf("backlog = %d", n)
			}
		})

		// Deleting an identity deletes its sessions and tokens.
		t.Run("deleted identity", func(t *testing.T) {
			sess := mustSession(t, s, "cascade@example.com")
			mustNoError(t, s.CreateRefreshToken(ctx, newRefreshToken(sess.ID, "hash-cascade")))
			_, err := db.Bun().NewDelete().TableExpr("auth_identity").Where("id = ?", sess.AuthIdentityID).Exec(ctx)
			mustNoError(t, err)
			_, err = s.Session(ctx, sess.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
			_, _, _, err = s.RefreshTokenSession(ctx, "hash-cascade")
			wantCode(t, err, gatehouse.CodeNotFound)
		})
	})
}
