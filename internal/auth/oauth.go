package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// oauthStateTTL is how long a third-party sign-in may take, from
// authenticate to the callback.
const oauthStateTTL = 10 * time.Minute

// Callback is what validateCallback receives: the query parameters the
// provider sent the browser back with. Params holds them all, as the seeds
// pass them; the named fields win over it.
type Callback struct {
	Code, State, Error, ErrorDescription string
	Params                               map[string]any
	// Verifier is the client's callbackVerifier: the secret whose
	// challenge it gave authenticate. The pre-auth cookie, the other way
	// to prove the client, comes in the Credential.
	Verifier string
}

// Authentication is what authenticate answers: a ticket, or for a
// third-party provider the URL to send the browser to; and what
// validateCallback answers: a ticket.
type Authentication struct {
	Ticket   *gatehouse.Ticket
	Location string
	// PreAuthCookie, when not "", is the value of the pre-auth cookie the
	// caller of authenticate must set (HttpOnly, SameSite=Lax, for
	// PreAuthMaxAge): the third-party sign-in is bound to it, as the
	// client gave no challenge.
	PreAuthCookie string
	PreAuthMaxAge time.Duration
	// PreAuthSpent tells the caller of validateCallback to clear the
	// pre-auth cookie: it bound the state the call consumed.
	PreAuthSpent bool
	// Linked is the provider identity the callback of a linkProvider
	// flow joined to the account (no ticket then).
	Linked *gatehouse.ProviderIdentity
}

// oauthProvider returns the enabled third-party provider, or
// PROVIDER_NOT_FOUND.
func (s *Service) oauthProvider(actor gatehouse.ActorType, provider string) (*oauth.Provider, error) {
	if !actor.Valid() {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"actor"}, "Unknown actor type.")
	}
	for _, p := range s.oauth {
		if p.ID() == provider && p.Actor() == string(actor) {
			return p, nil
		}
	}
	return nil, errProviderNotFound(actor, provider)
}

func errProviderNotFound(actor gatehouse.ActorType, provider string) error {
	return &gatehouse.Error{Code: gatehouse.CodeProviderNotFound, Field: []string{"provider"},
		Message: fmt.Sprintf("No enabled provider %q for %s.", truncate(provider, 64), actor)}
}

// authorize starts a third-party sign-in: it records a fresh single-use
// state bound to the actor type, provider, redirect URL and client (its
// challenge, or else a new pre-auth cookie: see oauthbinding.go), and
// returns the provider's authorization URL carrying the state, the PKCE
// S256 challenge and, for OpenID Connect, the nonce.
func (s *Service) authorize(ctx context.Context, p *oauth.Provider, actor gatehouse.ActorType, redirectURL string, challenge *string, linkSession string) (Authentication, error) {
	if !p.RedirectAllowed(redirectURL) {
		return Authentication{}, gatehouse.FieldError(gatehouse.CodeRedirectNotAllowed, []string{"input", "redirectUrl"},
			"The redirect URL is not one this provider may send the browser back to.")
	}
	binding, cookie, err := s.bindClient(challenge)
	if err != nil {
		return Authentication{}, err
	}
	state, err := secret.New(s.rand)
	if err != nil {
		return Authentication{}, gatehouse.Internal(err)
	}
	now := s.clock()
	if err := s.store.CreateOAuthState(ctx, &gatehouse.OAuthState{
		ID:            secret.Hash(state),
		ActorType:     actor,
		Provider:      p.ID(),
		RedirectURL:   redirectURL,
		ClientBinding: binding,
		LinkSessionID: linkSession,
		CreatedAt:     now,
		ExpiresAt:     now.Add(oauthStateTTL),
	}); err != nil {
		return Authentication{}, err
	}
	verifier, nonce := s.oauthSecrets(state)
	loc, err := p.AuthCodeURL(ctx, redirectURL, state, verifier, nonce)
	if err != nil {
		s.log.WarnContext(ctx, "third-party provider unavailable", "provider", p.ID(), "error", err)
		return Authentication{}, gatehouse.Errorf(gatehouse.CodeProviderError, "The provider cannot be reached; try again later.")
	}
	a := Authentication{Location: loc}
	if cookie != "" {
		a.PreAuthCookie, a.PreAuthMaxAge = cookie, oauthStateTTL
	}
	return a, nil
}

// oauthSecrets derives a state's PKCE verifier (43 characters, RFC 7636)
// and OpenID Connect nonce with the server's key: every instance derives
// the same, and the database holds neither.
func (s *Service) oauthSecrets(state string) (verifier, nonce string) {
	derive := func(label string) string {
		m := hmac.New(sha256.New, s.refreshKey)
		m.Write([]byte(label))
		m.Write([]byte{0})
		m.Write([]byte(state))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	return derive("gatehouse oauth pkce v1"), derive("gatehouse oauth nonce v1")
}

// ValidateCallback finishes a third-party sign-in: it consumes the state
// (a replay, a foreign or an expired state fails, and so does a state
// another client started: the callback must bring the verifier of the
// state's challenge or its pre-auth cookie), reports the provider's
// error, exchanges the code with the PKCE verifier, verifies the profile,
// and signs the identity in: a full ticket for an identity linked to a
// customer or user, a registration ticket for a new one. PreAuthSpent
// says the request's pre-auth cookie bound the state, which is spent
// whatever the outcome: the caller clears the cookie. A cookie that bound
// no state it consumed stays, as another tab's flow may still need it.
func (s *Service) ValidateCallback(ctx context.Context, cred Credential, actor gatehouse.ActorType, provider string, in Callback) (Authentication, error) {
	p, err := s.oauthProvider(actor, provider)
	if err != nil {
		return Authentication{}, err
	}
	param := func(named, key string) string {
		if named != "" {
			return named
		}
		v, _ := in.Params[key].(string)
		return v
	}
	state := param(in.State, "state")

	errState := gatehouse.FieldError(gatehouse.CodeStateInvalid, []string{"input", "state"},
		"The sign-in state is unknown, used or meant for another provider; start the sign-in again.")
	if state == "" || len(state) > 256 {
		return Authentication{}, errState
	}
	if in.Verifier != "" {
		if err := checkVerifier(in.Verifier); err != nil {
			return Authentication{}, err
		}
	}
	now := s.clock()
	st, err := s.store.ClaimOAuthState(ctx, secret.Hash(state), now)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return Authentication{}, errState
	case err != nil:
		return Authentication{}, err
	case st.ActorType != actor || st.Provider != p.ID():
		return Authentication{}, errState
	case !boundTo(st.ClientBinding, in.Verifier, cred.PreAuthCookie):
		// The same answer as an unknown state, and the state is spent: a
		// client that did not start the flow learns nothing and gets one
		// try. Most likely login CSRF, or an older flow in another tab.
		s.log.WarnContext(ctx, "third-party callback refused: not from the client that started the sign-in", "provider", p.ID())
		return Authentication{}, errState
	}
	a := Authentication{PreAuthSpent: strings.HasPrefix(st.ClientBinding, bindingCookie)}
	if !now.Before(st.ExpiresAt) {
		return a, gatehouse.FieldError(gatehouse.CodeStateExpired, []string{"input", "state"},
			"The sign-in took too long; start it again.")
	}
	prof, err := s.exchange(ctx, p, st, state, Callback{
		Code: param(in.Code, "code"), Error: param(in.Error, "error"), ErrorDescription: param(in.ErrorDescription, "error_description"),
	})
	switch {
	case err != nil:
		return a, err
	case st.LinkSessionID != "":
		a.Linked, err = s.linkExternal(ctx, actor, p, st.LinkSessionID, prof)
		return a, err
	}
	// The sign-in acts on the bearer token only (an anonymous shopper's
	// is merged); cookie sessions play no part.
	a.Ticket, err = s.signInExternal(ctx, cred.Bearer, actor, p, prof)
	return a, err
}

// exchange finishes a claimed, bound, unexpired state: the provider's
// error, or its code exchanged for a verified profile.
func (s *Service) exchange(ctx context.Context, p *oauth.Provider, st *gatehouse.OAuthState, state string, in Callback) (*oauth.Profile, error) {
	if in.Error != "" {
		msg := "The provider refused the sign-in: " + printable(in.Error, 64)
		if d := printable(in.ErrorDescription, 256); d != "" {
			msg += " (" + d + ")"
		}
		return nil, gatehouse.Errorf(gatehouse.CodeProviderError, "%s", msg)
	}
	if in.Code == "" {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "code"}, "The provider's code is missing.")
	}
	verifier, nonce := s.oauthSecrets(state)
	prof, err := p.Exchange(ctx, st.RedirectURL, in.Code, verifier, nonce)
	if err != nil {
		s.log.WarnContext(ctx, "third-party sign-in failed", "provider", p.ID(), "error", err)
		if errors.Is(err, oauth.ErrIDToken) {
			return nil, gatehouse.Errorf(gatehouse.CodeProviderError, "The provider's ID token could not be verified.")
		}
		return nil, gatehouse.Errorf(gatehouse.CodeProviderError, "The provider did not confirm the sign-in.")
	}
	if prof.Subject == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeProviderError, "The provider did not name the account.")
	}
	return prof, nil
}

var errNoVerifiedEmail = gatehouse.Errorf(gatehouse.CodeNotAllowed,
	"The provider has not verified an email address for this account; verify one with the provider and sign in again.")

// signInExternal signs in the identity of a verified profile, keyed by
// (actor type, provider, subject) and never by email alone. A new subject
// joins the identity with the same email only when the provider verified
// it and the provider may link; joining an email+password identity (whose
// email nobody verified) removes its password and ends its sessions, so a
// squatter who registered the email first loses the account. Otherwise a
// new identity is created when sign-up is allowed.
func (s *Service) signInExternal(ctx context.Context, bearer string, actor gatehouse.ActorType, p *oauth.Provider, prof *oauth.Profile) (*gatehouse.Ticket, error) {
	var t *gatehouse.Ticket
	err := s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		md := prof.Metadata()
		var authID, providerIdentityID string
		pi, err := st.ProviderIdentity(ctx, actor, p.ID(), prof.Subject)
		switch {
		case err == nil:
			// The same person; the email may have changed at the provider.
			if err := st.SetUserMetadata(ctx, pi.ID, md, now); err != nil {
				return err
			}
			authID, providerIdentityID = pi.AuthIdentityID, pi.ID
		case gatehouse.ErrorCode(err) != gatehouse.CodeNotFound:
			return err
		case !prof.EmailVerified || prof.Email == "":
			return errNoVerifiedEmail
		default:
			npi := &gatehouse.ProviderIdentity{
				ID:               gatehouse.NewID(gatehouse.PrefixProviderIdentity),
				ActorType:        actor,
				Provider:         p.ID(),
				EntityID:         prof.Subject,
				ProviderMetadata: map[string]any{},
				UserMetadata:     md,
				CreatedAt:        now,
				UpdatedAt:        now,
			}
			providerIdentityID = npi.ID
			if authID, err = s.linkByEmail(ctx, st, actor, p, prof, now); err != nil {
				return err
			}
			if authID != "" {
				npi.AuthIdentityID = authID
				if err := st.CreateProviderIdentity(ctx, npi); err != nil {
					return conflictOnDuplicate(err)
				}
				break
			}
			if err := s.refuseTakenEmail(ctx, st, actor, p, prof); err != nil {
				return err
			}
			if !p.SignUp() {
				return gatehouse.Errorf(gatehouse.CodeNotAllowed, "Signing up with this provider is closed; sign in another way first.")
			}
			a := newAuthIdentity(actor, now)
			npi.AuthIdentityID = a.ID
			if err := st.CreateIdentity(ctx, a, npi); err != nil {
				return conflictOnDuplicate(err)
			}
			authID = a.ID
		}
		t, err = s.signInMergingTx(ctx, st, bearer, p.ID(), authID, providerIdentityID, false)
		if err != nil || t.ActorID == nil || !prof.EmailVerified || prof.Email == "" {
			return err
		}
		// The provider vouches for the email: the customer or user with
		// that email is verified (a no-op for another email).
		return st.MarkEmailVerified(ctx, actor, *t.ActorID, gatehouse.NormalizeEmail(prof.Email), now)
	})
	return t, err
}

// linkByEmail returns the identity a new provider identity joins, or "":
// the email+password identity with the profile's verified email, when the
// provider may link. That identity's password is removed and its sessions
// end, in the caller's transaction.
func (s *Service) linkByEmail(ctx context.Context, st Store, actor gatehouse.ActorType, p *oauth.Provider, prof *oauth.Profile, now time.Time) (string, error) {
	if !p.LinkByEmail() {
		return "", nil
	}
	ep, err := st.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, gatehouse.NormalizeEmail(prof.Email))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return "", nil
	case err != nil:
		return "", err
	}
	if emailVerified(ep) {
		// The password's owner proved the email: the same person.
		return ep.AuthIdentityID, nil
	}
	// Nobody proved the email: whoever set the password may not be its
	// owner, so the password goes and its sessions end.
	md := maps.Clone(ep.ProviderMetadata)
	delete(md, "password")
	if err := st.SetProviderMetadata(ctx, ep.ID, md, now); err != nil {
		return "", err
	}
	if _, err := st.RevokeSessions(ctx, ep.AuthIdentityID, "", gatehouse.RevokedAccountLinked, now); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "linked a third-party identity by verified email; the password was removed", "auth_identity_id", ep.AuthIdentityID, "provider", p.ID())
	return ep.AuthIdentityID, nil
}

// refuseTakenEmail is IDENTITY_EXISTS when the profile's verified email
// has an email+password account that provider p may not join by itself
// (it does not link by email): a new identity would be an orphan whose
// createCustomer answers DUPLICATE. The caller's transaction then rolls
// back, leaving nothing behind.
func (s *Service) refuseTakenEmail(ctx context.Context, st Store, actor gatehouse.ActorType, p *oauth.Provider, prof *oauth.Profile) error {
	if p.LinkByEmail() {
		return nil // linkByEmail looked, and found none
	}
	_, err := st.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, gatehouse.NormalizeEmail(prof.Email))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil
	case err != nil:
		return err
	}
	return gatehouse.Errorf(gatehouse.CodeIdentityExists,
		"An account with this email already exists. Sign in to it (with its password or an email code), then link %s to it from the account's settings.", p.DisplayName())
}

// conflictOnDuplicate reports a lost race for a new identity as a conflict
// the caller may retry.
func conflictOnDuplicate(err error) error {
	if gatehouse.ErrorCode(err) == gatehouse.CodeDuplicate {
		return gatehouse.Errorf(gatehouse.CodeConflict, "Another sign-in created this identity at the same moment; try again.")
	}
	return err
}

// printable keeps a provider's text to n printable characters, so nothing
// it sent can shape our answer.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			b.WriteString("…")
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
