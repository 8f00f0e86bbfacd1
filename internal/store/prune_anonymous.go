package store

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/housekeeping"
)

// anonymousSQL is the condition marking the anonymous shoppers to forget
// (alias a, arguments: the cutoff three times) and the expression of an
// identity's customer id. An anonymous shopper (CreateAnonymousShopper)
// is an identity marked anonymous, an anonymous customer and sessions; it
// is forgotten when it was created before the cutoff and shows no
// activity since: no session used (signed in, refreshed) and its customer
// not changed. An identity that gained a provider identity, or whose
// customer registered, is no longer a throwaway and is kept.
func (db *DB) anonymousSQL() (where, customerID string) {
	anon, customerID := "json_extract(a.app_metadata, '$.anonymous') = 1", "json_extract(a.app_metadata, '$.customer_id')"
	if db.dialect == Postgres {
		// As the partial index auth_identity_anonymous_idx says it.
		anon, customerID = "(a.app_metadata->>'anonymous') = 'true'", "(a.app_metadata->>'customer_id')"
	}
	where = strings.NewReplacer("{anon}", anon, "{customer}", customerID).Replace(`a.actor_type = 'customer' AND {anon} AND a.created_at < ?
AND NOT EXISTS (SELECT 1 FROM auth_session AS s WHERE s.auth_identity_id = a.id AND s.last_active_at >= ?)
AND NOT EXISTS (SELECT 1 FROM provider_identity AS p WHERE p.auth_identity_id = a.id)
AND NOT EXISTS (SELECT 1 FROM customer AS c WHERE c.id = {customer} AND (c.updated_at >= ? OR NOT c.is_anonymous OR c.has_account))`)
	return where, customerID
}

// anonymousShoppers deletes the anonymous shoppers idle for the anonymous
// retention: identity, customer (and its addresses), sessions and
// refresh tokens, one batch of identities per transaction. A shopper who
// comes back in the very moment its batch is deleted loses the race and
// starts a new anonymous ticket, as after any expiry.
func (db *DB) anonymousShoppers(r housekeeping.Retention) housekeeping.Pruner {
	where, customerID := db.anonymousSQL()
	args := func(now time.Time) []any { c := now.Add(-r.Anonymous); return []any{c, c, c} }
	return housekeeping.Pruner{
		Table: "auth_identity",
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			out := map[string]int{}
			err := db.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				var rows []struct {
					ID         string  `bun:"id"`
					CustomerID *string `bun:"customer_id"`
				}
				q := "SELECT a.id, " + customerID + " AS customer_id FROM auth_identity AS a WHERE " + where + " LIMIT ?" + db.lockSkip("a")
				if err := tx.NewRaw(q, append(args(now), limit)...).Scan(ctx, &rows); err != nil {
					return dbError("choose anonymous shoppers to prune", "identity", err)
				}
				if len(rows) == 0 {
					return nil
				}
				ids, customers := make([]string, 0, len(rows)), make([]string, 0, len(rows))
				for _, r := range rows {
					ids = append(ids, r.ID)
					if r.CustomerID != nil {
						customers = append(customers, *r.CustomerID)
					}
				}
				// Children first, so that every table's count is its own
				// (a cascade would delete them uncounted).
				for _, d := range []struct {
					table, query string
					arg          []string
				}{
					{"refresh_token", "DELETE FROM refresh_token WHERE session_id IN (SELECT id FROM auth_session WHERE auth_identity_id IN (?))", ids},
					{"auth_session", "DELETE FROM auth_session WHERE auth_identity_id IN (?)", ids},
					{"auth_identity", "DELETE FROM auth_identity WHERE id IN (?)", ids},
					{"customer_address", "DELETE FROM customer_address WHERE customer_id IN (SELECT id FROM customer WHERE id IN (?) AND is_anonymous AND NOT has_account)", customers},
					{"customer", "DELETE FROM customer WHERE id IN (?) AND is_anonymous AND NOT has_account", customers},
				} {
					if len(d.arg) == 0 {
						continue
					}
					n, err := exec(ctx, tx, "prune anonymous shoppers", d.table, d.query, bun.List(d.arg))
					if err != nil {
						return err
					}
					out[d.table] += n
				}
				return nil
			})
			return out, dbError("prune anonymous shoppers", "identity", err)
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			shoppers := "SELECT a.id FROM auth_identity AS a WHERE " + where
			theirCustomers := "id IN (SELECT " + customerID + " FROM auth_identity AS a WHERE " + where + ") AND is_anonymous AND NOT has_account"
			// Their sessions and tokens that the session and token
			// pruners, which run first, leave.
			grace := now.Add(-r.Grace)
			liveSessions := "auth_identity_id IN (" + shoppers + ") AND idle_expires_at >= ? AND (revoked_at IS NULL OR revoked_at >= ?)"
			out := map[string]int{}
			for _, c := range []struct {
				table, where string
				args         []any
			}{
				{"auth_identity", where, args(now)},
				{"customer", theirCustomers, args(now)},
				{"customer_address", "customer_id IN (SELECT id FROM customer WHERE " + theirCustomers + ")", args(now)},
				{"auth_session", liveSessions, append(args(now), grace, grace)},
				{"refresh_token", "expires_at >= ? AND session_id IN (SELECT id FROM auth_session WHERE " + liveSessions + ")",
					append(append([]any{grace}, args(now)...), grace, grace)},
			} {
				from := c.table
				if c.table == "auth_identity" {
					from = "auth_identity AS a"
				}
				n, err := count(ctx, db.bun, c.table, from, c.where, c.args...)
				if err != nil {
					return nil, err
				}
				out[c.table] = n
			}
			return out, nil
		},
	}
}
