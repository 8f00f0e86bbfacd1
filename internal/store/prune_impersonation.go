package store

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/housekeeping"
)

// endedImpersonations records the end of every impersonation that ran to
// its expiry (one ended early, by logout, was recorded then): it marks the
// session revoked at its expiry, so that each is recorded once, and
// appends admin.impersonation_ended in the same transaction. Its rows are
// the impersonations ended, not rows deleted; the session goes later with
// the other dead ones.
func (db *DB) endedImpersonations() housekeeping.Pruner {
	const table = "impersonation"
	const where = "impersonated_by IS NOT NULL AND revoked_at IS NULL AND expires_at <= ?"
	return housekeeping.Pruner{
		Table: table,
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			n := 0
			err := New(db).tx(ctx, func(st *Store) error {
				var rows []struct {
					ID             string    `bun:"id"`
					AuthIdentityID string    `bun:"auth_identity_id"`
					ImpersonatedBy string    `bun:"impersonated_by"`
					ExpiresAt      time.Time `bun:"expires_at"`
				}
				q := "SELECT s.id, s.auth_identity_id, s.impersonated_by, s.expires_at FROM auth_session AS s WHERE " + where + " LIMIT ?" + db.lockSkip("s")
				if err := st.db.NewRaw(q, now, limit).Scan(ctx, &rows); err != nil {
					return dbError("choose ended impersonations", "session", err)
				}
				for _, r := range rows {
					if _, err := exec(ctx, st.db, "end impersonation", "session",
						"UPDATE auth_session SET revoked_at = expires_at, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
						gatehouse.RevokedImpersonationExpired, r.ID); err != nil {
						return err
					}
					customerID := ""
					if a, err := st.AuthIdentity(ctx, r.AuthIdentityID); err == nil {
						customerID = a.ActorID()
					}
					e := &gatehouse.Event{
						ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: gatehouse.EventImpersonationEnded, CreatedAt: now,
						AuthIdentityID: r.AuthIdentityID, ActorType: gatehouse.ActorCustomer,
						ActorID: r.ImpersonatedBy, ActorKind: gatehouse.ActorUser, SubjectID: customerID, SessionID: r.ID,
						Payload: map[string]any{"customer_id": customerID, "impersonation_session_id": r.ID, "ended_at": r.ExpiresAt.UTC(),
							"expired": true, "actor_id": r.ImpersonatedBy, "subject_id": customerID},
					}
					if err := st.AppendEvent(ctx, e, "", nil); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			return map[string]int{table: n}, err
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			n, err := count(ctx, db.bun, "session", "auth_session", where, now)
			return map[string]int{table: n}, err
		},
	}
}
