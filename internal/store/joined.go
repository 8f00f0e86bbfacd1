package store

import (
	"context"
	"reflect"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// The statements of the hot paths (password sign-in, refresh, reading the
// signed-in customer), each made of what would otherwise be two or three
// round trips. Rows of several tables come back in one result through
// bun's embed:prefix_ fields.

// joinedSQL are the hot paths' statements, built once per database from
// the schema's column lists.
type joinedSQL struct {
	passwordAttempt        string
	resetAttemptsReturning string
	refreshTokenSession    string
	sessionCustomer        string
}

func newJoinedSQL(db bun.IDB) *joinedSQL {
	const count = `failed_attempts = failed_attempts + CASE WHEN locked_until IS NULL OR locked_until <= ?0 THEN 1 ELSE 0 END`
	q := &joinedSQL{}
	if db.Dialect().Name() == dialect.PG {
		q.passwordAttempt = `UPDATE auth_identity AS ai SET ` + count + `
FROM provider_identity AS pi
WHERE pi.actor_type = ?1 AND pi.provider = ?2 AND pi.entity_id = ?3 AND ai.id = pi.auth_identity_id
RETURNING pi.*, ai.failed_attempts AS attempts, ai.lock_count AS locks, ai.locked_until AS locked_until`
	} else {
		// SQLite's RETURNING may not name the tables of UPDATE … FROM:
		// the provider identity's columns come from subqueries on the
		// same unique index.
		t := db.Dialect().Tables().Get(reflect.TypeOf(providerIdentityRow{}))
		cols := make([]string, 0, len(t.Fields))
		for _, f := range t.Fields {
			cols = append(cols, `(SELECT p.`+f.Name+` FROM provider_identity AS p WHERE p.actor_type = ?1 AND p.provider = ?2 AND p.entity_id = ?3) AS `+f.Name)
		}
		q.passwordAttempt = `UPDATE auth_identity SET ` + count + `
WHERE id = (SELECT auth_identity_id FROM provider_identity WHERE actor_type = ?1 AND provider = ?2 AND entity_id = ?3)
RETURNING ` + strings.Join(cols, ", ") + `, failed_attempts AS attempts, lock_count AS locks, locked_until`
	}
	q.resetAttemptsReturning = "*, " + actorLive(db, "") + " AS actor_live"
	q.refreshTokenSession = `SELECT rt.*, ` + columnsOf(db, (*sessionRow)(nil), "ses", "ses_") + `, ` + columnsOf(db, (*authIdentityRow)(nil), "ai", "ai_") +
		`, ` + actorLive(db, "ai.") + ` AS actor_live
FROM refresh_token AS rt
JOIN auth_session AS ses ON ses.id = rt.session_id
JOIN auth_identity AS ai ON ai.id = ses.auth_identity_id
WHERE rt.token_hash = ?`
	q.sessionCustomer = `SELECT ses.*, ` + columnsOf(db, (*customerRow)(nil), "cus", "cus_") + `
FROM auth_session AS ses
LEFT JOIN customer AS cus ON cus.id = ? AND cus.deleted_at IS NULL
WHERE ses.id = ?`
	return q
}

// columnsOf lists the columns of model's table, each as alias.column AS
// prefix+column, for a SELECT whose rows scan into an embed:prefix field.
func columnsOf(db bun.IDB, model any, alias, prefix string) string {
	t := db.Dialect().Tables().Get(reflect.TypeOf(model).Elem())
	cols := make([]string, 0, len(t.Fields))
	for _, f := range t.Fields {
		cols = append(cols, alias+"."+f.Name+" AS "+prefix+f.Name)
	}
	return strings.Join(cols, ", ")
}

// actorLive is an expression that is true unless the auth identity whose
// columns are named with prefix (an alias and a dot, or "" where SQLite
// allows no alias, in RETURNING) is linked to a customer or user that is
// gone (deleted or missing): a registration identity, linked to nothing
// yet, is live.
func actorLive(db bun.IDB, prefix string) string {
	id := func(key string) string {
		if db.Dialect().Name() == dialect.PG {
			return `(` + prefix + `app_metadata->>'` + key + `')`
		}
		return `json_extract(` + prefix + `app_metadata, '$.` + key + `')`
	}
	exists := func(table, key, active string) string {
		return id(key) + ` IS NULL OR EXISTS (SELECT 1 FROM ` + table + ` AS x WHERE x.id = ` + id(key) + ` AND x.deleted_at IS NULL AND ` + active + `)`
	}
	return `CASE ` + prefix + `actor_type WHEN 'customer' THEN ` + exists("customer", gatehouse.ActorCustomer.MetadataKey(), "x.is_active") +
		` WHEN 'user' THEN ` + exists(`"user"`, gatehouse.ActorUser.MetadataKey(), "x.deactivated_at IS NULL") + ` ELSE TRUE END`
}

// errActorGone is what a sign-in or refresh of an identity whose customer
// or user is gone gets: the identity's tokens are dead.
func errActorGone(a *gatehouse.AuthIdentity) error {
	return notFound(string(a.ActorType))
}

// refreshJoinRow is a refresh token with its session and auth identity.
type refreshJoinRow struct {
	bun.BaseModel `bun:"table:refresh_token,alias:rt"`
	gatehouse.RefreshToken
	Session   sessionRow      `bun:"embed:ses_"`
	Identity  authIdentityRow `bun:"embed:ai_"`
	ActorLive bool            `bun:"actor_live,scanonly"`
}

// RefreshTokenSession loads the refresh token with the hash, its session
// and the session's auth identity, in one statement. A token whose
// identity's customer or user is gone is CodeNotFound.
func (s *Store) RefreshTokenSession(ctx context.Context, hash string) (*gatehouse.RefreshToken, *gatehouse.Session, *gatehouse.AuthIdentity, error) {
	var r refreshJoinRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewRaw(s.sql.refreshTokenSession, hash).Scan(ctx, &r) }); err != nil {
		return nil, nil, nil, dbError("load refresh token", "refresh token", err)
	}
	rt := (&refreshTokenRow{RefreshToken: r.RefreshToken}).domain()
	a := r.Identity.domain()
	if !r.ActorLive {
		return nil, nil, nil, errActorGone(a)
	}
	return rt, r.Session.domain(), a, nil
}

// sessionCustomerRow is a session and, when there is one, a customer.
type sessionCustomerRow struct {
	bun.BaseModel `bun:"table:auth_session,alias:ses"`
	gatehouse.Session
	Customer customerRow `bun:"embed:cus_"`
}

// SessionCustomer loads the session with the id and the undeleted
// customer with customerID, in one statement; the customer is nil when
// there is none. CodeNotFound when the session is missing.
func (s *Store) SessionCustomer(ctx context.Context, sessionID, customerID string) (*gatehouse.Session, *gatehouse.Customer, error) {
	var r sessionCustomerRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewRaw(s.sql.sessionCustomer, customerID, sessionID).Scan(ctx, &r) }); err != nil {
		return nil, nil, dbError("load session", "session", err)
	}
	sess := (&sessionRow{Session: r.Session}).domain()
	if r.Customer.ID == "" {
		return sess, nil, nil
	}
	return sess, r.Customer.domain(), nil
}
