package auth

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/token"
)

// issuedRefresh is a refresh token to hand out with a ticket.
type issuedRefresh struct {
	token     string
	expiresAt time.Time
}

// signIn starts a session for an identity and returns a full ticket: an
// access token carrying the session id and the session's first refresh
// token. The session and its token are written in one transaction (st's,
// if it is one).
func (s *Service) signIn(ctx context.Context, st Store, a *gatehouse.AuthIdentity) (*gatehouse.Ticket, error) {
	now := s.clock()
	sess := &gatehouse.Session{
		ID:             gatehouse.NewID(gatehouse.PrefixSession),
		AuthIdentityID: a.ID,
		ActorType:      a.ActorType,
		CreatedAt:      now,
		LastActiveAt:   now,
		ExpiresAt:      now.Add(s.life.SessionMaxAge[a.ActorType]),
	}
	sess.IdleExpiresAt = s.idleExpiry(sess, now)
	tok, err := secret.New(s.rand)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	rt := &gatehouse.RefreshToken{
		ID:        gatehouse.NewID(gatehouse.PrefixRefreshToken),
		SessionID: sess.ID,
		TokenHash: secret.Hash(tok),
		CreatedAt: now,
		ExpiresAt: sess.IdleExpiresAt,
	}
	var t *gatehouse.Ticket
	err = st.Tx(ctx, func(st Store) error {
		if err := st.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := st.CreateRefreshToken(ctx, rt); err != nil {
			return err
		}
		t, err = s.ticket(ctx, st, a, sess, &issuedRefresh{tok, rt.ExpiresAt})
		return err
	})
	return t, err
}

// idleExpiry is when a session active at now goes idle: never past its
// absolute expiry.
func (s *Service) idleExpiry(sess *gatehouse.Session, now time.Time) time.Time {
	idle := now.Add(s.life.SessionIdle[sess.ActorType])
	if idle.After(sess.ExpiresAt) {
		return sess.ExpiresAt
	}
	return idle
}

// ticket signs an access token for a live session of identity a and adds
// the refresh token when there is one. The linked actor is not loaded:
// TicketCustomer and TicketUser load it when an answer selects it.
func (s *Service) ticket(ctx context.Context, st Store, a *gatehouse.AuthIdentity, sess *gatehouse.Session, r *issuedRefresh) (*gatehouse.Ticket, error) {
	now := s.clock()
	exp := now.Add(s.life.AccessToken[a.ActorType])
	if exp.After(sess.IdleExpiresAt) {
		exp = sess.IdleExpiresAt
	}
	t := &gatehouse.Ticket{
		UserID:                a.ID,
		ActorType:             a.ActorType,
		SessionID:             sess.ID,
		AccessTokenExpiration: exp.Truncate(time.Second),
	}
	if r != nil {
		t.RefreshToken, t.RefreshTokenExpiration = &r.token, &r.expiresAt
	}
	if id := a.ActorID(); id != "" {
		t.ActorID = &id
	}
	md := maps.Clone(a.AppMetadata)
	if md == nil {
		md = map[string]any{}
	}
	raw, err := s.signer.Sign(token.Subject{
		ActorType:      a.ActorType,
		ActorID:        a.ActorID(),
		AuthIdentityID: a.ID,
		AppMetadata:    md,
		SessionID:      sess.ID,
		AuthTime:       sess.CreatedAt,
		ExpiresAt:      t.AccessTokenExpiration,
	})
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("sign token for %s: %w", a.ID, err))
	}
	t.AccessToken = raw
	return t, nil
}

// TicketCustomer is the customer a ticket acts for, loaded when an answer
// selects it; nil for another actor, a registration ticket, or a customer
// that is gone.
func (s *Service) TicketCustomer(ctx context.Context, t *gatehouse.Ticket) (*gatehouse.Customer, error) {
	if t.CustomerAccount != nil || t.ActorID == nil || t.ActorType != gatehouse.ActorCustomer {
		return t.CustomerAccount, nil
	}
	c, err := s.store.Customer(ctx, *t.ActorID)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, nil
	}
	return c, err
}

// TicketUser is the admin user a ticket acts for, loaded when an answer
// selects it; nil for another actor, a registration ticket, or a user
// that is gone.
func (s *Service) TicketUser(ctx context.Context, t *gatehouse.Ticket) (*gatehouse.User, error) {
	if t.User != nil || t.ActorID == nil || t.ActorType != gatehouse.ActorUser {
		return t.User, nil
	}
	u, err := s.store.User(ctx, *t.ActorID)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, nil
	}
	return u, err
}
