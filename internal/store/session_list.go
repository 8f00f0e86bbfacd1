package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Bounds of the request-derived text the store keeps (a session's and an
// event's origin): a client sends what it likes, and a row need not hold
// it all.
const (
	maxUserAgent   = 512
	maxIP          = 64
	maxRequestID   = 128
	maxDeviceLabel = 64
)

// maxSessionsListed bounds SessionsOf: an identity with more live
// sessions than that sees its newest.
const maxSessionsListed = 100

// clip makes s fit a text column of at most n characters: invalid UTF-8
// becomes U+FFFD and NUL bytes go (PostgreSQL's text refuses both), then
// it is cut at n characters.
func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i]
}

// clipSession is sess as CreateSession stores it.
func clipSession(sess *gatehouse.Session) {
	sess.IP = clip(sess.IP, maxIP)
	sess.UserAgent = clip(sess.UserAgent, maxUserAgent)
	sess.DeviceLabel = clip(sess.DeviceLabel, maxDeviceLabel)
	if sess.AAL == "" {
		sess.AAL = gatehouse.AAL1
	}
	if sess.AMR == nil {
		sess.AMR = []string{}
	}
}

// SessionsOf lists an identity's live sessions at now (neither revoked
// nor expired), newest first, at most 100.
func (s *Store) SessionsOf(ctx context.Context, authIdentityID string, now time.Time) ([]*gatehouse.Session, error) {
	var rows []sessionRow
	err := s.read(ctx, func(q bun.IDB) error {
		// auth_session_identity_live_idx: the identity's sessions that
		// are not revoked, by creation; expiry is checked on each.
		return q.NewSelect().Model(&rows).
			Where("auth_identity_id = ?", authIdentityID).
			Where("revoked_at IS NULL").
			Where("idle_expires_at > ?", now).
			Where("expires_at > ?", now).
			OrderExpr("created_at DESC, id DESC").
			Limit(maxSessionsListed).
			Scan(ctx)
	})
	if err != nil {
		return nil, dbError("list sessions", "session", err)
	}
	out := make([]*gatehouse.Session, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}
