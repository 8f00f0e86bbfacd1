package auth

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// PasswordCredentials are what `authenticate` receives (an email and a
// password, or for a third-party provider its redirect URL; not to be
// confused with Credential, what a request presents). Pointers are nil
// when the caller left a field out.
type PasswordCredentials struct {
	Email    *string
	Password *string
	// Code is an email code (provider emailcode).
	Code *string
	// RedirectURL is where a third-party provider sends the browser back.
	RedirectURL *string
	// CallbackChallenge binds a third-party sign-in to the client: the
	// base64url SHA-256 of the verifier validateCallback will bring. Nil
	// binds it to a pre-auth cookie instead.
	CallbackChallenge *string
}

// Registration is what `register` receives.
type Registration struct {
	Email       string
	Password    string
	InviteToken string
}

// Authenticate signs an actor in with a provider. For emailpass it checks
// the password; an unknown email costs the same hashing work as a wrong
// password and gets the same answer. bearer is the request's bearer token,
// if any: an anonymous shopper's is merged (see mergeAnonymous). For a
// third-party provider it answers the URL to send the browser to.
func (s *Service) Authenticate(ctx context.Context, cred Credential, actor gatehouse.ActorType, provider string, in PasswordCredentials) (Authentication, error) {
	bearer := cred.Bearer // these operations act on the bearer token only
	if provider == gatehouse.ProviderEmailCode && actor.Valid() {
		t, err := s.authenticateEmailCode(ctx, bearer, actor, in)
		return Authentication{Ticket: t}, err
	}
	if provider != gatehouse.ProviderEmailPass {
		p, err := s.oauthProvider(actor, provider)
		if err != nil {
			return Authentication{}, err
		}
		return s.authorize(ctx, p, actor, deref(in.RedirectURL), in.CallbackChallenge, "")
	}
	t, err := s.authenticatePassword(ctx, bearer, actor, in)
	return Authentication{Ticket: t}, err
}

// Register creates an emailpass identity and returns a registration ticket.
// An anonymous shopper's bearer token is merged, as with Authenticate.
func (s *Service) Register(ctx context.Context, cred Credential, actor gatehouse.ActorType, provider string, in Registration) (*gatehouse.Ticket, error) {
	bearer := cred.Bearer // these operations act on the bearer token only
	if err := checkProvider(actor, provider); err != nil {
		return nil, err
	}
	email := gatehouse.NormalizeEmail(in.Email)
	if err := checkEmail(email, []string{"input", "email"}); err != nil {
		return nil, err
	}
	if err := checkNewPassword(in.Password, s.passwordContext(email), []string{"input", "password"}); err != nil {
		return nil, err
	}
	if actor == gatehouse.ActorUser {
		if err := s.checkInvite(ctx, in.InviteToken, email); err != nil {
			return nil, err
		}
	}
	// Refuse a taken email before spending a hash on it; the unique
	// constraint still decides a race.
	if _, err := s.store.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, email); err == nil {
		return nil, errDuplicateIdentity
	} else if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return nil, err
	}
	h, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, hashError(err)
	}
	now := s.clock()
	a := newAuthIdentity(actor, now)
	p := &gatehouse.ProviderIdentity{
		ID:               gatehouse.NewID(gatehouse.PrefixProviderIdentity),
		AuthIdentityID:   a.ID,
		ActorType:        actor,
		Provider:         gatehouse.ProviderEmailPass,
		EntityID:         email,
		ProviderMetadata: withPassword(nil, h),
		UserMetadata:     map[string]any{},
		CreatedAt:        now,
		UpdatedAt:        now,
	}
	var t *gatehouse.Ticket
	err = s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateIdentity(ctx, a, p); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.CodeDuplicate {
				return errDuplicateIdentity
			}
			return err
		}
		t, err = s.signIn(ctx, st, a, gatehouse.ProviderEmailPass)
		if err != nil {
			return err
		}
		return s.mergeAnonymous(ctx, st, bearer, t)
	})
	return t, err
}

// newAuthIdentity returns a new auth identity, not yet linked to an actor.
func newAuthIdentity(actor gatehouse.ActorType, now time.Time) *gatehouse.AuthIdentity {
	return &gatehouse.AuthIdentity{
		ID:          gatehouse.NewID(gatehouse.PrefixAuthIdentity),
		ActorType:   actor,
		AppMetadata: map[string]any{},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
}

var errDuplicateIdentity = gatehouse.FieldError(gatehouse.CodeDuplicate, []string{"input", "email"}, "An identity with this email already exists.")

// checkInvite checks, without consuming it, that token is a pending invite
// for email: an admin identity cannot be registered without one.
func (s *Service) checkInvite(ctx context.Context, token, email string) error {
	field := []string{"input", "inviteToken"}
	if token == "" {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "An invite token is required to register an admin user.")
	}
	inv, err := s.inviteByToken(ctx, s.store, token)
	if err != nil {
		return err
	}
	if inv.Email != email {
		return errInviteInvalid
	}
	return nil
}

// withPassword returns a copy of provider metadata with the password hash set.
func withPassword(md map[string]any, hash string) map[string]any {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]any{}
	}
	out["password"] = hash
	return out
}

// checkProvider refuses providers this actor type cannot use.
func checkProvider(actor gatehouse.ActorType, provider string) error {
	if !actor.Valid() {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"actor"}, "Unknown actor type.")
	}
	if provider != gatehouse.ProviderEmailPass {
		return &gatehouse.Error{Code: gatehouse.CodeProviderNotFound, Field: []string{"provider"},
			Message: fmt.Sprintf("No enabled provider %q for %s.", truncate(provider, 64), actor)}
	}
	return nil
}

var errInviteInvalid = gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "inviteToken"}, "The invite token is invalid or has been used.")
