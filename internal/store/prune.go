package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
)

// The housekeeping pruners: what expires, and when each row may go.
// Every batch is one statement (or one short transaction) over at most
// limit rows, chosen by an indexed condition (migration
// 20261203010000_retention). On PostgreSQL a batch skips rows another
// transaction holds (FOR UPDATE SKIP LOCKED), so it never waits behind a
// request; the next pass gets them. Each DELETE repeats its condition on
// the rows it deletes, so a row that changed since it was chosen (a dead
// delivery replayed) is re-checked, not deleted.

var _ housekeeping.Store = (*DB)(nil)

// oauthStateGrace is how long an expired OAuth state is kept, as
// CreateOAuthState's own sweep does: a late callback still reads
// STATE_EXPIRED.
const oauthStateGrace = time.Hour

// UnconfirmedFactorTTL is how long an authenticator app enrolled and
// never confirmed is kept.
const UnconfirmedFactorTTL = time.Hour

// Pruners lists the pruners in the order a pass runs them: a pruner whose
// rows others depend on comes after them (deliveries before events).
func (db *DB) Pruners(r housekeeping.Retention) []housekeeping.Pruner {
	grace := func(now time.Time) time.Time { return now.Add(-r.Grace) }
	return []housekeeping.Pruner{
		// A refresh token does nothing once expired: Rotate answers
		// TOKEN_EXPIRED before it looks for reuse, so a superseded token
		// serves reuse detection exactly until its expiry, and the grace
		// keeps that answer a while longer. (The live child of a parent
		// within RefreshReuseGrace expires after its parent.)
		db.rows("refresh_token", "expires_at < ?", func(now time.Time) []any { return []any{grace(now)} }),
		// Impersonations that ran to their expiry get their end in the
		// audit trail, before their sessions can go.
		db.endedImpersonations(),
		db.deadSessions(r),
		// Used or expired reset and verification links: a used one
		// already answers as unknown, an expired one as expired until
		// the grace is over.
		db.rows("action_token", "expires_at < ? OR used_at < ?", func(now time.Time) []any { return []any{grace(now), grace(now)} }),
		db.rows("oauth_state", "expires_at < ?", func(now time.Time) []any { return []any{now.Add(-oauthStateGrace)} }),
		// Second-factor challenges past their 5 minutes (and an hour, so
		// that a late answer still reads TOKEN_EXPIRED), used ones too;
		// authenticator apps enrolled and never confirmed.
		db.rows("mfa_challenge", "expires_at < ?", func(now time.Time) []any { return []any{now.Add(-oauthStateGrace)} }),
		db.rows("auth_factor", "confirmed_at IS NULL AND created_at < ?", func(now time.Time) []any { return []any{now.Add(-UnconfirmedFactorTTL)} }),
		// WebAuthn ceremonies past their 5 minutes, used ones too.
		db.rows("webauthn_challenge", "expires_at < ?", func(now time.Time) []any { return []any{now.Add(-oauthStateGrace)} }),
		// Email codes past their 10 minutes, used or not.
		db.rows("email_code", "expires_at < ?", func(now time.Time) []any { return []any{now.Add(-oauthStateGrace)} }),
		// Email changes once their revert link is past its 72 hours (and
		// an hour, so that a late revert still reads TOKEN_EXPIRED): the
		// confirmation link expired a day earlier.
		db.rows("email_change", "revert_expires_at < ?", func(now time.Time) []any { return []any{now.Add(-oauthStateGrace)} }),
		// Scheduled deletions done or cancelled, past the grace: the
		// customer.deleted or customer.deletion_cancelled event remains.
		db.rows("account_deletion", "done_at < ? OR cancelled_at < ?", func(now time.Time) []any { return []any{grace(now), grace(now)} }),
		// Invites past their expiry and the grace: accepted ones (the
		// user and the auth.invite_accepted event remain), superseded
		// ones and those never accepted alike; a pending one stays.
		db.rows("invite", "expires_at < ?", func(now time.Time) []any { return []any{grace(now)} }),
		db.rateBuckets(),
		// A delivered or dead delivery, untouched for the retention. A
		// pending one is still owed and never goes.
		db.rows("event_delivery", "state <> 'pending' AND updated_at < ?", func(now time.Time) []any { return []any{now.Add(-r.Event)} }),
		db.sealedSecrets(r),
		db.auditEvents(r),
		db.anonymousShoppers(r),
		// Idempotency records, once that table exists.
		db.rows("idempotency_record", "expires_at <= ?", func(now time.Time) []any { return []any{now} }),
	}
}

// rows is the pruner of the rows of table meeting where (with ? for the
// args at now), deleted limit at a time.
func (db *DB) rows(table, where string, args func(now time.Time) []any) housekeeping.Pruner {
	return housekeeping.Pruner{
		Table: table,
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			n, err := exec(ctx, db.bun, "prune "+table, table, db.deleteBatchSQL(table, where), batchArgs(args(now), limit)...)
			return map[string]int{table: n}, err
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			n, err := count(ctx, db.bun, table, table, where, args(now)...)
			return map[string]int{table: n}, err
		},
	}
}

// deleteBatchSQL deletes up to a limit of the rows of table meeting
// where, by physical row id (a table need not have a one-column key):
// ctid on PostgreSQL (= ANY(ARRAY(...)) makes it a TID scan), rowid on
// SQLite. Its arguments are batchArgs.
func (db *DB) deleteBatchSQL(table, where string) string {
	return "DELETE FROM " + table + " WHERE " + db.pick(table, where) + " AND (" + where + ")"
}

// updateBatchSQL is deleteBatchSQL's UPDATE.
func (db *DB) updateBatchSQL(table, set, where string) string {
	return "UPDATE " + table + " SET " + set + " WHERE " + db.pick(table, where) + " AND (" + where + ")"
}

// pick is the condition choosing up to a limit of table's rows meeting
// where.
func (db *DB) pick(table, where string) string {
	if db.dialect == Postgres {
		return "ctid = ANY(ARRAY(SELECT ctid FROM " + table + " WHERE " + where + " LIMIT ? FOR UPDATE SKIP LOCKED))"
	}
	return "rowid IN (SELECT rowid FROM " + table + " WHERE " + where + " LIMIT ?)"
}

// batchArgs are the arguments of deleteBatchSQL and updateBatchSQL.
func batchArgs(args []any, limit int) []any {
	out := append(append(append([]any{}, args...), limit), args...)
	return out
}

// lockSkip is what a SELECT choosing a batch in a transaction adds, for
// alias, on PostgreSQL.
func (db *DB) lockSkip(alias string) string {
	if db.dialect == Postgres {
		return " FOR UPDATE OF " + alias + " SKIP LOCKED"
	}
	return ""
}

func exec(ctx context.Context, idb bun.IDB, op, entity, query string, args ...any) (int, error) {
	res, err := idb.NewRaw(query, args...).Exec(ctx)
	if err != nil {
		return 0, dbError(op, entity, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError(op, entity, err)
	}
	return int(n), nil
}

func count(ctx context.Context, idb bun.IDB, entity, from, where string, args ...any) (int, error) {
	var n int
	if err := idb.NewRaw("SELECT count(*) FROM "+from+" WHERE "+where, args...).Scan(ctx, &n); err != nil {
		return 0, dbError("count "+entity+" to prune", entity, err)
	}
	return n, nil
}

// deadSessions deletes the sessions that ended (went idle, reached their
// age, were revoked) more than the grace ago, with their refresh tokens.
// idle_expires_at never passes expires_at, so it alone marks both ends.
func (db *DB) deadSessions(r housekeeping.Retention) housekeeping.Pruner {
	const dead = "idle_expires_at < ? OR revoked_at < ?"
	args := func(now time.Time) []any { c := now.Add(-r.Grace); return []any{c, c} }
	return housekeeping.Pruner{
		Table: "auth_session",
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			out := map[string]int{}
			err := db.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				var ids []string
				q := "SELECT id FROM auth_session AS s WHERE " + dead + " LIMIT ?" + db.lockSkip("s")
				if err := tx.NewRaw(q, append(args(now), limit)...).Scan(ctx, &ids); err != nil {
					return dbError("choose sessions to prune", "session", err)
				}
				if len(ids) == 0 {
					return nil
				}
				var err error
				if out["refresh_token"], err = exec(ctx, tx, "prune refresh tokens", "refresh token",
					"DELETE FROM refresh_token WHERE session_id IN (?)", bun.List(ids)); err != nil {
					return err
				}
				out["auth_session"], err = exec(ctx, tx, "prune sessions", "session",
					"DELETE FROM auth_session WHERE id IN (?) AND ("+dead+")", append([]any{bun.List(ids)}, args(now)...)...)
				return err
			})
			return out, dbError("prune sessions", "session", err)
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			sessions, err := count(ctx, db.bun, "session", "auth_session", dead, args(now)...)
			if err != nil {
				return nil, err
			}
			// The refresh-token pruner, which runs first, takes the
			// expired ones.
			tokens, err := count(ctx, db.bun, "refresh token", "refresh_token",
				"expires_at >= ? AND session_id IN (SELECT id FROM auth_session WHERE "+dead+")",
				append([]any{now.Add(-r.Grace)}, args(now)...)...)
			return map[string]int{"auth_session": sessions, "refresh_token": tokens}, err
		},
	}
}

// rateBuckets sweeps the rate buckets that are full again (SQL limiter):
// they remember nothing a new bucket would not.
func (db *DB) rateBuckets() housekeeping.Pruner {
	return housekeeping.Pruner{
		Table: "rate_bucket",
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			n, err := db.RateLimiter().SweepRateBuckets(ctx, now, limit)
			return map[string]int{"rate_bucket": n}, err
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			n, err := count(ctx, db.bun, "rate-limit bucket", "rate_bucket", "full_at < ?", ratelimit.Seconds(now))
			return map[string]int{"rate_bucket": n}, err
		},
	}
}

// sealedSecrets erases the sealed secrets of the events older than the
// event retention, delivered or not: every secret sealed there (a reset,
// verification or invite link) expires long before, so it could only
// leak, never serve. Its line is "auth_event.sealed": rows erased, not
// deleted.
func (db *DB) sealedSecrets(r housekeeping.Retention) housekeeping.Pruner {
	const table, where = "auth_event", "sealed IS NOT NULL AND created_at < ?"
	const line = "auth_event.sealed"
	args := func(now time.Time) []any { return []any{now.Add(-r.Event)} }
	return housekeeping.Pruner{
		Table: line,
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			n, err := exec(ctx, db.bun, "erase event secrets", "event", db.updateBatchSQL(table, "sealed = NULL", where), batchArgs(args(now), limit)...)
			return map[string]int{line: n}, err
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			n, err := count(ctx, db.bun, "event", table, where, args(now)...)
			return map[string]int{line: n}, err
		},
	}
}

// auditEvents deletes the events older than the audit retention that owe
// nothing to any subscriber (no pending delivery), with their settled
// deliveries (the delivery pruner took most already).
func (db *DB) auditEvents(r housekeeping.Retention) housekeeping.Pruner {
	const old = "created_at < ? AND NOT EXISTS (SELECT 1 FROM event_delivery AS d WHERE d.event_id = ev.id AND d.state = 'pending')"
	args := func(now time.Time) []any { return []any{now.Add(-r.Audit)} }
	return housekeeping.Pruner{
		Table: "auth_event",
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			out := map[string]int{}
			err := db.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				var ids []string
				q := "SELECT id FROM auth_event AS ev WHERE " + old + " LIMIT ?" + db.lockSkip("ev")
				if err := tx.NewRaw(q, append(args(now), limit)...).Scan(ctx, &ids); err != nil {
					return dbError("choose events to prune", "event", err)
				}
				if len(ids) == 0 {
					return nil
				}
				var err error
				if out["event_delivery"], err = exec(ctx, tx, "prune deliveries", "event",
					"DELETE FROM event_delivery WHERE event_id IN (?) AND state <> 'pending'", bun.List(ids)); err != nil {
					return err
				}
				out["auth_event"], err = exec(ctx, tx, "prune events", "event",
					"DELETE FROM auth_event AS ev WHERE id IN (?) AND "+old, append([]any{bun.List(ids)}, args(now)...)...)
				return err
			})
			return out, dbError("prune events", "event", err)
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			events, err := count(ctx, db.bun, "event", "auth_event AS ev", old, args(now)...)
			if err != nil {
				return nil, err
			}
			// Those the delivery pruner, which runs first, leaves.
			deliveries, err := count(ctx, db.bun, "event", "event_delivery AS ed",
				"ed.state <> 'pending' AND ed.updated_at >= ? AND ed.event_id IN (SELECT id FROM auth_event AS ev WHERE "+old+")",
				append([]any{now.Add(-r.Event)}, args(now)...)...)
			return map[string]int{"auth_event": events, "event_delivery": deliveries}, err
		},
	}
}
