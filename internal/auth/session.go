package auth

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/token"
)

// session verifies a bearer token and loads its session, which must be
// live: a revoked session's tokens are dead even before they expire.
func (s *Service) session(ctx context.Context, bearer string) (*token.Claims, *gatehouse.Session, error) {
	c, err := s.verify(bearer)
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.store.Session(ctx, c.SessionID)
	if err := s.checkSession(c, sess, err); err != nil {
		return nil, nil, err
	}
	return c, sess, nil
}

// checkSession checks the session a token's claims name, as loaded (err is
// the load's error).
func (s *Service) checkSession(c *token.Claims, sess *gatehouse.Session, err error) error {
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return gatehouse.Unauthenticated(gatehouse.ReasonRevoked, nil)
	case err != nil:
		return err
	case sess.AuthIdentityID != c.AuthIdentityID:
		return gatehouse.Unauthenticated(gatehouse.ReasonInvalid, nil)
	}
	return sessionUsable(sess, s.clock())
}

// Logout revokes the bearer token's session, or with all every session of
// its identity, and returns how many sessions it ended.
func (s *Service) Logout(ctx context.Context, cred Credential, all bool) (int, error) {
	bearer := cred.Bearer // these operations act on the bearer token only
	c, sess, err := s.session(ctx, bearer)
	if err != nil {
		return 0, err
	}
	only, reason := sess.ID, gatehouse.RevokedLogout
	if all {
		only, reason = "", gatehouse.RevokedLogoutAll
	}
	return s.store.RevokeSessions(ctx, c.AuthIdentityID, only, reason, s.clock())
}
