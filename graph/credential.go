package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gatehouse/gatehouse/graph/model"
	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/request"
)

// credential is what the request presents, for the service to check.
func credential(ctx context.Context) auth.Credential {
	st := request.From(ctx)
	c := auth.Credential{Bearer: st.Bearer, Cookies: st.Cookies, CSRFToken: st.CSRFToken, PreAuthCookie: st.PreAuthCookie}
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			c.Mutation = op.Operation == ast.Mutation
		}
	}
	return c
}

// setSessionCookie sets (or, with an empty value, clears) an actor type's
// session cookie on the response: HttpOnly, SameSite=Lax, Path=/, Secure
// but in development over loopback.
func setSessionCookie(ctx context.Context, actor gatehouse.ActorType, value string, expires time.Time) {
	st := request.From(ctx)
	c := &http.Cookie{
		Name:     request.CookieName(actor, st.SecureCookies),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   st.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires.UTC()
		c.MaxAge = max(int(time.Until(expires).Seconds()), 1)
	}
	st.SetCookie(c)
}

// setPreAuthCookie sets (or, with an empty value, clears) the cookie that
// binds a third-party sign-in to the browser that started it: as the
// session cookies, HttpOnly, SameSite=Lax (it must come back on the
// top-level navigation to the callback page's site), Path=/, Secure but
// in development over loopback; it lives as long as the state.
func setPreAuthCookie(ctx context.Context, value string, maxAge time.Duration) {
	st := request.From(ctx)
	c := &http.Cookie{
		Name:     request.PreAuthCookieName(st.SecureCookies),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   st.SecureCookies,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   -1,
	}
	if value != "" {
		c.MaxAge = max(int(maxAge.Seconds()), 1)
	}
	st.SetCookie(c)
}

// sessionModel maps a cookie session to its GraphQL type: the session
// the request acts through, so current.
func sessionModel(cs *auth.CookieSession) *model.Session {
	if cs == nil {
		return nil
	}
	m := deviceSession(cs.Session, true)
	m.Customer, m.User = cs.Customer, cs.User
	if cs.CSRFToken != "" {
		m.CsrfToken = &cs.CSRFToken
	}
	return m
}

// deviceSession maps a session in a list of an account's sessions.
func deviceSession(s *gatehouse.Session, current bool) *model.Session {
	return &model.Session{
		ID:              s.ID,
		ActorType:       s.ActorType,
		CreatedAt:       s.CreatedAt,
		ExpiresAt:       s.ExpiresAt,
		IdleExpiresAt:   s.IdleExpiresAt,
		LastUsedAt:      s.LastActiveAt,
		IP:              nonEmpty(s.IP),
		UserAgent:       nonEmpty(s.UserAgent),
		DeviceLabel:     nonEmpty(s.DeviceLabel),
		SignInMethod:    nonEmpty(s.SignInMethod),
		Current:         current,
		ImpersonatedBy:  nonEmpty(s.ImpersonatedBy),
		Aal:             s.Assurance(),
		Amr:             orEmpty(s.AMR),
		AuthenticatedAt: s.AuthenticatedAt(),
	}
}

// challenged splits a sign-in's ticket from the second-factor challenge
// it may be instead: never both.
func challenged(t *gatehouse.Ticket) (*gatehouse.Ticket, *gatehouse.MFAChallenge) {
	if t != nil && t.MFA != nil {
		return nil, t.MFA
	}
	return t, nil
}

// deviceSessions maps an account's session list; each session acts for
// the customer or user the list belongs to.
func deviceSessions(ss []auth.DeviceSession, err error, customer *gatehouse.Customer, user *gatehouse.User) ([]*model.Session, error) {
	if err != nil {
		return result[[]*model.Session](nil, err)
	}
	out := make([]*model.Session, len(ss))
	for i, s := range ss {
		out[i] = deviceSession(s.Session, s.Current)
		out[i].Customer, out[i].User = customer, user
	}
	return out, nil
}

// requestCredential is credential, for a resolver whose argument of that
// name (finishPasskeyRegistration's) hides it.
func requestCredential(ctx context.Context) auth.Credential { return credential(ctx) }
