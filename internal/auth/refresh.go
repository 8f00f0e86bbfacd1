package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// Refresh returns a new ticket. With a refresh token it rotates the token
// (see Rotate). Without one it re-signs the bearer token with fresh claims
// (the actor id the identity has now), while its session is live; the
// answer then carries no refresh token.
func (s *Service) Refresh(ctx context.Context, cred Credential, refreshToken string) (*gatehouse.Ticket, error) {
	bearer := cred.Bearer // these operations act on the bearer token only
	if refreshToken != "" {
		return s.Rotate(ctx, refreshToken)
	}
	p, err := s.bearerPrincipal(ctx, bearer)
	if err != nil {
		return nil, err
	}
	if err := p.notImpersonating("be renewed: start a new impersonation"); err != nil {
		return nil, err
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return nil, err
	}
	sess, now := p.session, s.clock()
	sess.IdleExpiresAt = s.idleExpiry(sess, now)
	if err := s.store.TouchSession(ctx, sess.ID, now, sess.IdleExpiresAt); err != nil {
		return nil, revokedIfMissing(err)
	}
	t, err := s.ticket(ctx, s.store, a, sess, nil)
	if err != nil {
		return nil, err
	}
	// A token re-signed after createCustomer or acceptInvite carries the
	// new actor; one whose actor is gone is dead.
	switch {
	case t.ActorID == nil:
	case t.ActorType == gatehouse.ActorCustomer:
		t.CustomerAccount, err = s.store.Customer(ctx, *t.ActorID)
	case t.ActorType == gatehouse.ActorUser:
		t.User, err = s.store.User(ctx, *t.ActorID)
	}
	if err != nil {
		return nil, revokedIfMissing(err)
	}
	return t, nil
}

var (
	errRefreshInvalid = gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "refreshToken"},
		"The refresh token is unknown or its session has ended; sign in again.")
	errRefreshExpired = gatehouse.FieldError(gatehouse.CodeTokenExpired, []string{"input", "refreshToken"},
		"The session has expired; sign in again.")
	errRefreshReused = gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "refreshToken"},
		"This refresh token had already been used, so its session has been ended to protect the account; sign in again.")
)

// Rotate exchanges a refresh token for a new ticket and retires it. The
// claim is one conditional UPDATE inside a transaction, so racing
// requests, separate processes and restarts cannot both win.
//
// A retired token presented again is reuse, the mark of a stolen token:
// the session is revoked (its other tokens and cookie with it) and a
// security event recorded. One case is not: the immediate parent of the
// live child, re-sent within the grace window (a lost response, two tabs),
// gets that same child back. The child's value is derived from the
// parent's with a server key, so it can be returned again without ever
// being stored.
func (s *Service) Rotate(ctx context.Context, tok string) (*gatehouse.Ticket, error) {
	return s.rotate(ctx, tok, "")
}

// RotateShopper is Rotate for Kibo's refreshUserAuthTicket, which is the
// shopper API: a refresh token of any session but a customer's is
// TOKEN_INVALID, and is neither rotated nor counted as reuse.
func (s *Service) RotateShopper(ctx context.Context, tok string) (*gatehouse.Ticket, error) {
	return s.rotate(ctx, tok, gatehouse.ActorCustomer)
}

// rotate is Rotate, limited to the sessions of one actor type unless only
// is empty.
func (s *Service) rotate(ctx context.Context, tok string, only gatehouse.ActorType) (*gatehouse.Ticket, error) {
	if !secret.WellFormed(tok) {
		return nil, errRefreshInvalid
	}
	child := s.childToken(tok)
	var (
		t      *gatehouse.Ticket
		reused *gatehouse.Session
	)
	err := s.store.Tx(ctx, func(st Store) error {
		rt, sess, a, err := st.RefreshTokenSession(ctx, secret.Hash(tok))
		if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
			return errRefreshInvalid
		} else if err != nil {
			return err
		}
		if only != "" && sess.ActorType != only {
			return errRefreshInvalid
		}
		now := s.clock()
		switch sess.State(now) {
		case gatehouse.SessionRevoked:
			return errRefreshInvalid
		case gatehouse.SessionExpired:
			return errRefreshExpired
		}
		if !now.Before(rt.ExpiresAt) {
			return errRefreshExpired
		}

		if rt.UsedAt == nil {
			next := &gatehouse.RefreshToken{
				ID:        gatehouse.NewID(gatehouse.PrefixRefreshToken),
				SessionID: sess.ID,
				TokenHash: secret.Hash(child),
				ParentID:  &rt.ID,
				CreatedAt: now,
				ExpiresAt: s.idleExpiry(sess, now),
			}
			won, err := st.ClaimRefreshToken(ctx, rt.ID, next.ID, now)
			if err != nil {
				return err
			}
			if won {
				if err := st.CreateRefreshToken(ctx, next); err != nil {
					return err
				}
				sess.LastActiveAt, sess.IdleExpiresAt = now, next.ExpiresAt
				if err := st.TouchSession(ctx, sess.ID, now, sess.IdleExpiresAt); err != nil {
					return err
				}
				t, err = s.ticket(ctx, st, a, sess, &issuedRefresh{child, next.ExpiresAt})
				return err
			}
			// A racing request claimed it first: see what it left.
			if rt, err = st.RefreshToken(ctx, rt.ID); err != nil {
				return err
			}
		}

		if rt.ReplacedBy != nil && now.Before(rt.UsedAt.Add(s.life.RefreshReuseGrace)) {
			next, err := st.RefreshToken(ctx, *rt.ReplacedBy)
			if err != nil {
				return err
			}
			if next.UsedAt == nil && hmac.Equal([]byte(next.TokenHash), []byte(secret.Hash(child))) {
				t, err = s.ticket(ctx, st, a, sess, &issuedRefresh{child, next.ExpiresAt})
				return err
			}
		}

		// Reuse. The revocation must commit, so it is not an error here.
		if _, err := st.RevokeSessions(ctx, sess.AuthIdentityID, sess.ID, gatehouse.RevokedReuse, now); err != nil {
			return err
		}
		reused = sess
		return s.emit(ctx, st, gatehouse.Event{
			Name: gatehouse.EventRefreshTokenReused, AuthIdentityID: sess.AuthIdentityID, ActorType: sess.ActorType,
			Payload: map[string]any{"session_id": sess.ID, "refresh_token_id": rt.ID},
		})
	})
	if err != nil {
		return nil, err
	}
	if reused != nil {
		s.log.WarnContext(ctx, "refresh token reused: session revoked", "session_id", reused.ID, "auth_identity_id", reused.AuthIdentityID)
		return nil, errRefreshReused
	}
	return t, nil
}

// childToken derives the refresh token that replaces parent. Without the
// server key nobody can compute it, not even from a stolen parent.
func (s *Service) childToken(parent string) string {
	m := hmac.New(sha256.New, s.refreshKey)
	m.Write([]byte("gatehouse refresh-token child v1\x00"))
	m.Write([]byte(parent))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
