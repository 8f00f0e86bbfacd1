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

// LogoutInput says which sessions logout ends: the request's own; with
// All every session of its identity; with All and KeepCurrent every one
// but the request's own.
type LogoutInput struct {
	All         bool
	KeepCurrent bool
}

// Logout revokes the bearer token's session, or with all every session of
// its identity, and returns how many sessions it ended.
func (s *Service) Logout(ctx context.Context, cred Credential, all bool) (int, error) {
	return s.LogoutSessions(ctx, cred, LogoutInput{All: all})
}

// LogoutSessions ends the sessions of the bearer token's identity that in
// chooses, and returns how many it ended. KeepCurrent without All is
// INVALID_INPUT: it would end nothing.
func (s *Service) LogoutSessions(ctx context.Context, cred Credential, in LogoutInput) (int, error) {
	if in.KeepCurrent && !in.All {
		return 0, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "keepCurrent"}, "keepCurrent needs allSessions: true; alone it would end no session.")
	}
	bearer := cred.Bearer // these operations act on the bearer token only
	c, sess, err := s.session(ctx, bearer)
	if err != nil {
		return 0, err
	}
	if in.All {
		if err := notImpersonating(sess, "end the customer's other sessions"); err != nil {
			return 0, err
		}
	}
	switch {
	case in.KeepCurrent:
		return s.store.RevokeOtherSessions(ctx, c.AuthIdentityID, sess.ID, gatehouse.RevokedLogoutAll, s.clock())
	case in.All:
		return s.store.RevokeSessions(ctx, c.AuthIdentityID, "", gatehouse.RevokedLogoutAll, s.clock())
	}
	return s.endSession(ctx, c.AuthIdentityID, c.ActorID, sess)
}

// endSession ends the session sess of an identity (logout,
// deleteSession), recording the end of an impersonation with it, and
// returns how many sessions ended (0 when it had already).
func (s *Service) endSession(ctx context.Context, authIdentityID, actorID string, sess *gatehouse.Session) (int, error) {
	if sess.ImpersonatedBy == "" {
		return s.store.RevokeSessions(ctx, authIdentityID, sess.ID, gatehouse.RevokedLogout, s.clock())
	}
	n := 0
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if n, err = st.RevokeSessions(ctx, authIdentityID, sess.ID, gatehouse.RevokedLogout, s.clock()); err != nil || n == 0 {
			return err
		}
		return s.impersonationEnded(ctx, st, sess, actorID)
	})
	return n, err
}
