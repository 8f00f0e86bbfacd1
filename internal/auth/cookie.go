package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// CookieSession is a session seen through its cookie: what createSession
// and currentSession answer.
type CookieSession struct {
	Session *gatehouse.Session
	// Cookie is the new cookie value to set (createSession only).
	Cookie string
	// CSRFToken must accompany every mutation the cookie authenticates.
	// Empty when the request was not authenticated by the cookie.
	CSRFToken string
	Customer  *gatehouse.Customer
	User      *gatehouse.User
}

// CreateSession attaches a new cookie to the bearer token's session (the
// seeds' "set authentication session"). Each call makes a new cookie value
// and retires the previous one, so a cookie planted before sign-in is
// worthless.
func (s *Service) CreateSession(ctx context.Context, cred Credential) (*CookieSession, error) {
	bearer := cred.Bearer // these operations act on the bearer token only
	p, err := s.bearerPrincipal(ctx, bearer)
	if err != nil {
		return nil, err
	}
	if err := p.notImpersonating("become a cookie session"); err != nil {
		return nil, err
	}
	cookie, err := secret.New(s.rand)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	if err := s.store.SetSessionCookie(ctx, p.SessionID, secret.Hash(cookie)); err != nil {
		return nil, revokedIfMissing(err)
	}
	cs := &CookieSession{Session: p.session, Cookie: cookie, CSRFToken: s.csrfToken(cookie)}
	return cs, s.loadActor(ctx, p, cs)
}

// CurrentSession describes the session a credential acts through, with
// its CSRF token when the credential is the session cookie (a page reload
// reads it back this way; cross-origin pages cannot, as CORS forbids).
func (s *Service) CurrentSession(ctx context.Context, cred Credential, actor gatehouse.ActorType) (*CookieSession, error) {
	p, err := s.principal(ctx, cred, actor, registration)
	if err != nil {
		return nil, err
	}
	cs := &CookieSession{Session: p.session}
	if p.cookie != "" {
		cs.CSRFToken = s.csrfToken(p.cookie)
	}
	return cs, s.loadActor(ctx, p, cs)
}

// DeleteSession ends the session a credential acts through (the cookie's,
// unless a bearer token is sent) and reports whether it did.
func (s *Service) DeleteSession(ctx context.Context, cred Credential, actor gatehouse.ActorType) (bool, error) {
	p, err := s.principal(ctx, cred, actor, registration)
	if err != nil {
		return false, err
	}
	n, err := s.endSession(ctx, p.AuthIdentityID, p.ActorID, p.session)
	return n > 0, err
}

func (s *Service) loadActor(ctx context.Context, p *principal, cs *CookieSession) error {
	if p.ActorID == "" {
		return nil
	}
	var err error
	switch p.ActorType {
	case gatehouse.ActorCustomer:
		cs.Customer, err = s.store.Customer(ctx, p.ActorID)
	case gatehouse.ActorUser:
		cs.User, err = s.store.User(ctx, p.ActorID)
	}
	return revokedIfMissing(err)
}

// csrfToken is the CSRF token of a session cookie: derived from it with the
// server key, so it needs no storage and changes with the cookie.
func (s *Service) csrfToken(cookie string) string {
	m := hmac.New(sha256.New, s.refreshKey)
	m.Write([]byte("gatehouse csrf v1\x00"))
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
