package auth

import (
	"context"
	"crypto/hmac"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/token"
)

// Credential is what a request presents: a bearer token, or the session
// cookie of an actor type, with the CSRF token a cookie needs on a
// mutation. When both are present the bearer token wins.
type Credential struct {
	Bearer    string
	Cookies   map[gatehouse.ActorType]string
	CSRFToken string
	// PreAuthCookie is the pre-auth cookie authenticate set for a
	// third-party sign-in, when the request carried it.
	PreAuthCookie string
	// Mutation says the operation changes state: a cookie then needs its
	// CSRF token.
	Mutation bool
}

// principal is who a request acts for, and through which session.
type principal struct {
	AuthIdentityID string
	ActorType      gatehouse.ActorType
	// ActorID is "" for a registration identity.
	ActorID   string
	SessionID string
	session   *gatehouse.Session
	// cookie is the session cookie, when that was the credential.
	cookie string
}

// linkage says whether an operation needs a token linked to an actor.
type linkage int

const (
	linked       linkage = iota // the identity must be linked to an actor
	registration                // any identity of the actor type, linked or not
	// enrolling is linked, admitted below the second-factor policy (a
	// session at aal1 where GATEHOUSE_USER_MFA or GATEHOUSE_CUSTOMER_MFA
	// requires aal2): what such a session may still do is read itself,
	// enroll a factor and reauthenticate with it.
	enrolling
)

// principal checks a credential for an operation that acts for actor: its
// session must be live. A missing or unusable credential is
// UNAUTHENTICATED; a valid one of another actor type, a registration
// identity where a linked one is needed, or a cookie without its CSRF
// token on a mutation, is FORBIDDEN.
func (s *Service) principal(ctx context.Context, cred Credential, actor gatehouse.ActorType, need linkage) (*principal, error) {
	var (
		p   *principal
		err error
	)
	if cred.Bearer != "" || cred.Cookies[actor] == "" {
		p, err = s.bearerPrincipal(ctx, cred.Bearer)
	} else {
		p, err = s.cookiePrincipal(ctx, cred.Cookies[actor], actor)
		if err == nil && cred.Mutation && !hmac.Equal([]byte(s.csrfToken(p.cookie)), []byte(cred.CSRFToken)) {
			return nil, gatehouse.Errorf(gatehouse.CodeForbidden, "A request authenticated by the session cookie must send the session's CSRF token in the X-CSRF-Token header.")
		}
	}
	if err != nil {
		return nil, err
	}
	if err := p.may(actor, need); err != nil {
		return nil, err
	}
	gatehouse.RecordActedFor(ctx, p.AuthIdentityID)
	if need == linked {
		if err := s.belowPolicy(actor, p.session); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// may is FORBIDDEN when the principal does not act for actor, or is a
// registration identity where a linked one is needed.
func (p *principal) may(actor gatehouse.ActorType, need linkage) error {
	if p.ActorType != actor {
		return gatehouse.Errorf(gatehouse.CodeForbidden, "This operation needs a %s token.", actor)
	}
	if need != registration && p.ActorID == "" {
		return gatehouse.Errorf(gatehouse.CodeForbidden, "This operation needs a token of a registered %s; a registration token is not enough.", actor)
	}
	return nil
}

// bearerPrincipal checks a bearer token and its session.
func (s *Service) bearerPrincipal(ctx context.Context, bearer string) (*principal, error) {
	c, sess, err := s.session(ctx, bearer)
	if err != nil {
		return nil, err
	}
	return &principal{
		AuthIdentityID: c.AuthIdentityID,
		ActorType:      gatehouse.ActorType(c.ActorType),
		ActorID:        c.ActorID,
		SessionID:      sess.ID,
		session:        sess,
	}, nil
}

// cookiePrincipal finds the live session a cookie names. The actor id is
// read from the identity, which is fresher than any token.
func (s *Service) cookiePrincipal(ctx context.Context, cookie string, actor gatehouse.ActorType) (*principal, error) {
	if !secret.WellFormed(cookie) {
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonInvalid, nil)
	}
	sess, err := s.store.SessionByCookieHash(ctx, secret.Hash(cookie))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonInvalid, nil)
	case err != nil:
		return nil, err
	case sess.ActorType != actor:
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonInvalid, nil)
	}
	if err := sessionUsable(sess, s.clock()); err != nil {
		return nil, err
	}
	a, err := s.store.AuthIdentity(ctx, sess.AuthIdentityID)
	if err != nil {
		return nil, revokedIfMissing(err)
	}
	return &principal{
		AuthIdentityID: a.ID,
		ActorType:      a.ActorType,
		ActorID:        a.ActorID(),
		SessionID:      sess.ID,
		session:        sess,
		cookie:         cookie,
	}, nil
}

// sessionUsable is UNAUTHENTICATED for a session that is not live.
func sessionUsable(sess *gatehouse.Session, now time.Time) error {
	switch sess.State(now) {
	case gatehouse.SessionRevoked:
		return gatehouse.Unauthenticated(gatehouse.ReasonRevoked, nil)
	case gatehouse.SessionExpired:
		return gatehouse.Unauthenticated(gatehouse.ReasonExpired, nil)
	}
	return nil
}

// verify checks the bearer token's signature and claims, whatever actor it
// acts for.
func (s *Service) verify(bearer string) (*token.Claims, error) {
	if bearer == "" {
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonMissing, nil)
	}
	c, err := s.signer.Verify(bearer)
	switch {
	case errors.Is(err, token.ErrExpired):
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonExpired, nil)
	case err != nil:
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonInvalid, nil)
	}
	return c, nil
}

// revokedIfMissing turns a NOT_FOUND for the credential's own identity or
// actor into UNAUTHENTICATED/REVOKED: the credential outlived what it names.
func revokedIfMissing(err error) error {
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return gatehouse.Unauthenticated(gatehouse.ReasonRevoked, err)
	}
	return err
}

// identityOf loads the auth identity a principal names.
func (s *Service) identityOf(ctx context.Context, st Store, p *principal) (*gatehouse.AuthIdentity, error) {
	a, err := st.AuthIdentity(ctx, p.AuthIdentityID)
	if err != nil {
		return nil, revokedIfMissing(err)
	}
	return a, nil
}
