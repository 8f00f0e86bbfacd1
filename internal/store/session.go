package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type sessionRow struct {
	bun.BaseModel `bun:"table:auth_session,alias:ses"`
	gatehouse.Session
}

func (r *sessionRow) domain() *gatehouse.Session {
	s := r.Session
	s.CreatedAt, s.LastActiveAt = s.CreatedAt.UTC(), s.LastActiveAt.UTC()
	s.IdleExpiresAt, s.ExpiresAt, s.RevokedAt = s.IdleExpiresAt.UTC(), s.ExpiresAt.UTC(), utc(s.RevokedAt)
	s.AuthTime = utc(s.AuthTime)
	if s.AMR == nil {
		s.AMR = []string{}
	}
	return &s
}

type refreshTokenRow struct {
	bun.BaseModel `bun:"table:refresh_token,alias:rt"`
	gatehouse.RefreshToken
}

func (r *refreshTokenRow) domain() *gatehouse.RefreshToken {
	t := r.RefreshToken
	t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utc(t.UsedAt)
	return &t
}

// CreateSession inserts a session. Its origin is kept in bounds first
// (the user agent cut to 512 characters), in sess too, so that sess is
// what was stored.
func (s *Store) CreateSession(ctx context.Context, sess *gatehouse.Session) error {
	clipSession(sess)
	if _, err := s.db.NewInsert().Model(&sessionRow{Session: *sess}).Exec(ctx); err != nil {
		return dbError("create session", "session", err)
	}
	return nil
}

// Session loads a session, whatever its state.
func (s *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	var r sessionRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx) }); err != nil {
		return nil, dbError("load session", "session", err)
	}
	return r.domain(), nil
}

// SessionByCookieHash loads the session whose cookie has the hash.
func (s *Store) SessionByCookieHash(ctx context.Context, hash string) (*gatehouse.Session, error) {
	var r sessionRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewSelect().Model(&r).Where("cookie_hash = ?", hash).Scan(ctx) }); err != nil {
		return nil, dbError("load session by cookie", "session", err)
	}
	return r.domain(), nil
}

// SetSessionCookie gives a session that is not revoked a new cookie hash,
// replacing any earlier one.
func (s *Store) SetSessionCookie(ctx context.Context, id, hash string) error {
	res, err := s.db.NewUpdate().Model((*sessionRow)(nil)).
		Set("cookie_hash = ?", hash).
		Where("id = ?", id).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return dbError("set session cookie", "session", err)
	}
	return affected("set session cookie", "session", res)
}

// TouchSession records activity on a session that is not revoked: it moves
// last_active_at and idle_expires_at.
func (s *Store) TouchSession(ctx context.Context, id string, now, idleExpiresAt time.Time) error {
	res, err := s.db.NewUpdate().Model((*sessionRow)(nil)).
		Set("last_active_at = ?", now).
		Set("idle_expires_at = ?", idleExpiresAt).
		Where("id = ?", id).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return dbError("touch session", "session", err)
	}
	return affected("touch session", "session", res)
}

// RevokeSessions revokes the sessions of an auth identity that are not
// revoked yet (only the one with sessionID when it is not ""), and returns
// how many it revoked.
func (s *Store) RevokeSessions(ctx context.Context, authIdentityID, sessionID, reason string, now time.Time) (int, error) {
	return s.revokeSessions(ctx, authIdentityID, sessionID, "", reason, now)
}

// RevokeOtherSessions revokes every live session of an identity but keep.
func (s *Store) RevokeOtherSessions(ctx context.Context, authIdentityID, keep, reason string, now time.Time) (int, error) {
	return s.revokeSessions(ctx, authIdentityID, "", keep, reason, now)
}

func (s *Store) revokeSessions(ctx context.Context, authIdentityID, only, except, reason string, now time.Time) (int, error) {
	q := s.db.NewUpdate().Model((*sessionRow)(nil)).
		Set("revoked_at = ?", now).
		Set("revoked_reason = ?", reason).
		Where("auth_identity_id = ?", authIdentityID).
		Where("revoked_at IS NULL")
	if only != "" {
		q = q.Where("id = ?", only)
	}
	if except != "" {
		q = q.Where("id <> ?", except)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, dbError("revoke sessions", "session", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError("revoke sessions", "session", err)
	}
	return int(n), nil
}

// CreateRefreshToken inserts a refresh token.
func (s *Store) CreateRefreshToken(ctx context.Context, t *gatehouse.RefreshToken) error {
	if _, err := s.db.NewInsert().Model(&refreshTokenRow{RefreshToken: *t}).Exec(ctx); err != nil {
		return dbError("create refresh token", "refresh token", err)
	}
	return nil
}

// RefreshToken loads a refresh token by id.
func (s *Store) RefreshToken(ctx context.Context, id string) (*gatehouse.RefreshToken, error) {
	return s.refreshToken(ctx, "id = ?", id)
}

func (s *Store) refreshToken(ctx context.Context, where string, arg any) (*gatehouse.RefreshToken, error) {
	var r refreshTokenRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewSelect().Model(&r).Where(where, arg).Scan(ctx) }); err != nil {
		return nil, dbError("load refresh token", "refresh token", err)
	}
	return r.domain(), nil
}

// ClaimRefreshToken marks an unused refresh token used and replaced by
// childID, in one conditional statement. It reports whether this call did
// it: of racing claims exactly one wins (PostgreSQL makes the others wait
// on the row and re-check; SQLite serializes writing transactions).
func (s *Store) ClaimRefreshToken(ctx context.Context, id, childID string, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*refreshTokenRow)(nil)).
		Set("used_at = ?", now).
		Set("replaced_by = ?", childID).
		Where("id = ?", id).
		Where("used_at IS NULL").
		Exec(ctx)
	if err != nil {
		return false, dbError("claim refresh token", "refresh token", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError("claim refresh token", "refresh token", err)
	}
	return n == 1, nil
}

// Reauthenticated records a new authentication of a session that is not
// revoked: its time, level and methods; CodeNotFound otherwise. It
// answers the session as it is now.
func (s *Store) Reauthenticated(ctx context.Context, id, aal string, amr []string, now time.Time) (*gatehouse.Session, error) {
	if amr == nil {
		amr = []string{}
	}
	methods, err := json.Marshal(amr) // strings: cannot fail
	if err != nil {
		return nil, dbError("reauthenticate session", "session", err)
	}
	var r sessionRow
	err = s.db.NewUpdate().Model(&r).
		Set("auth_time = ?", now).Set("aal = ?", aal).Set("amr = ?", string(methods)).
		Where("id = ?", id).Where("revoked_at IS NULL").
		Returning("*").Scan(ctx)
	if err != nil {
		return nil, dbError("reauthenticate session", "session", err)
	}
	return r.domain(), nil
}
