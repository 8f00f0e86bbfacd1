package auth

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/token"
)

// issuedRefresh is a refresh token to hand out with a ticket.
type issuedRefresh struct {
	token     string
	expiresAt time.Time
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
	if exp.After(sess.IdleExpiresAt) || sess.ImpersonatedBy != "" {
		// An impersonation's one token lasts as long as its session: it
		// has no refresh token and is never re-signed.
		exp = sess.IdleExpiresAt
	}
	gatehouse.RecordActedFor(ctx, a.ID)
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
		AuthTime:       sess.AuthenticatedAt(),
		ExpiresAt:      t.AccessTokenExpiration,
		ImpersonatedBy: sess.ImpersonatedBy,
		AMR:            sess.AMR,
		AAL:            sess.Assurance(),
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
