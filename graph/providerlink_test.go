package graph_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/oauth/oauthtest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	linkProviderQ   = `mutation($provider: String!, $input: LinkProviderInput!) { linkProvider(provider: $provider, input: $input) { location errors { code type message field } } }`
	unlinkProviderQ = `mutation($id: ID!) { unlinkProvider(providerIdentityId: $id) { id deleted errors { code type message field } } }`
	linkCallbackQ   = `mutation($provider: String!, $input: ValidateCallbackInput!) { validateCallback(actor: CUSTOMER, provider: $provider, input: $input) {
		linkedIdentity { id provider subject email } ` + ticketFields + ` } }`
	identitiesQ = `{ currentCustomer { id identities { id provider subject } } }`
)

type linkResult struct {
	LinkedIdentity *struct {
		ID       string  `json:"id"`
		Provider string  `json:"provider"`
		Subject  string  `json:"subject"`
		Email    *string `json:"email"`
	} `json:"linkedIdentity"`
	Ticket *ticket     `json:"ticket"`
	Errors []authError `json:"errors"`
}

// startLink calls linkProvider with bearer and a fresh callbackChallenge,
// and answers the provider's authorization URL (or the errors).
func (a *api) startLink(t *testing.T, bearer, provider string) (string, []authError) {
	t.Helper()
	verifier, challenge := newCallbackVerifier(t)
	var p struct {
		Location *string     `json:"location"`
		Errors   []authError `json:"errors"`
	}
	r := a.do(t, bearer, linkProviderQ, map[string]any{"provider": provider, "input": map[string]any{"redirectUrl": shopCallback, "callbackChallenge": challenge}})
	r.decode(t, "linkProvider", &p)
	if len(p.Errors) > 0 || p.Location == nil {
		return "", p.Errors
	}
	loc, err := url.Parse(*p.Location)
	if err != nil {
		t.Fatal(err)
	}
	a.verifiers.Store(loc.Query().Get("state"), verifier)
	return *p.Location, nil
}

// linkCallback sends the provider's answer for who to validateCallback.
func (a *api) linkCallback(t *testing.T, fake *oauthtest.Provider, provider, location string, who oauthtest.User) linkResult {
	t.Helper()
	fake.SignIn(who)
	var p linkResult
	a.do(t, "", linkCallbackQ, map[string]any{"provider": provider, "input": a.callbackInput(fake.Authorize(location))}).decode(t, "validateCallback", &p)
	return p
}

// linkWith links who's provider identity to bearer's account.
func (a *api) linkWith(t *testing.T, fake *oauthtest.Provider, bearer, provider string, who oauthtest.User) linkResult {
	t.Helper()
	loc, errs := a.startLink(t, bearer, provider)
	if errs != nil {
		t.Fatalf("linkProvider: %+v", errs)
	}
	return a.linkCallback(t, fake, provider, loc, who)
}

// identities lists the signed-in customer's providers, by provider.
func (a *api) identities(t *testing.T, bearer string) map[string]string {
	t.Helper()
	var c struct {
		Identities []struct{ ID, Provider, Subject string }
	}
	a.do(t, bearer, identitiesQ, nil).decode(t, "currentCustomer", &c)
	out := map[string]string{}
	for _, i := range c.Identities {
		out[i.Provider] = i.ID
	}
	return out
}

func TestProviderLinking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		ada := oauthtest.User{Subject: "1001", Email: "ada@example.com", EmailVerified: true}

		bearer, c := a.signUpCustomer(t, "ada@example.com")
		t.Run("link, then sign in with it", func(t *testing.T) {
			r := a.linkWith(t, fake, bearer, "github", ada)
			if len(r.Errors) > 0 || r.LinkedIdentity == nil || r.LinkedIdentity.Provider != "github" || r.Ticket != nil {
				t.Fatalf("validateCallback: %+v", r)
			}
			if ids := a.identities(t, bearer); ids["github"] != r.LinkedIdentity.ID || ids["emailpass"] == "" {
				t.Fatalf("identities %v", ids)
			}
			tk := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "github", ada))
			if tk.ActorID == nil || *tk.ActorID != c.ID {
				t.Fatalf("github signs in as %v, want %s", tk.ActorID, c.ID)
			}
			if es := a.events(t, gatehouse.EventProviderLinked); len(es) != 1 || es[0].Payload["provider_identity_id"] != r.LinkedIdentity.ID {
				t.Fatalf("auth.provider_linked events: %+v", es)
			}
			// Linking it again answers it, and adds nothing.
			before := count(t, db, "provider_identity")
			if again := a.linkWith(t, fake, bearer, "github", ada); again.LinkedIdentity == nil || again.LinkedIdentity.ID != r.LinkedIdentity.ID || count(t, db, "provider_identity") != before {
				t.Fatalf("link again: %+v", again)
			}
		})

		t.Run("another account's provider identity", func(t *testing.T) {
			bob := oauthtest.User{Subject: "1002", Email: "bob@example.com", EmailVerified: true}
			reg := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "github", bob))
			var cp customerPayload
			a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{"firstName": "Bob"}}).decode(t, "createCustomer", &cp)
			before := count(t, db, "provider_identity")
			r := a.linkWith(t, fake, bearer, "github", bob)
			wantError(t, r.Errors, "IDENTITY_EXISTS")
			if r.LinkedIdentity != nil || count(t, db, "provider_identity") != before {
				t.Fatalf("refused link wrote: %+v", r)
			}
			if tk := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "github", bob)); tk.ActorID == nil || *tk.ActorID != cp.Customer.ID {
				t.Fatalf("bob's github signs in as %v, want %s", tk.ActorID, cp.Customer.ID)
			}
			// An email code for the address of a customer who signs in only
			// with GitHub signs that customer in (the code proved the
			// address), and adds the email sign-in, rather than making an
			// orphan identity beside it.
			p := a.codeSignIn(t, "CUSTOMER", "bob@example.com", a.emailCode(t, "CUSTOMER", "bob@example.com"))
			if p.Ticket == nil || p.Ticket.ActorID == nil || *p.Ticket.ActorID != cp.Customer.ID {
				t.Fatalf("email code sign-in: %+v", p)
			}
			if ids := a.identities(t, p.Ticket.AccessToken); ids["github"] == "" || ids["emailpass"] == "" {
				t.Fatalf("identities after the email code: %v", ids)
			}
		})

		t.Run("bound to the client", func(t *testing.T) {
			loc, errs := a.startLink(t, bearer, "oidc-test")
			if errs != nil {
				t.Fatalf("linkProvider: %+v", errs)
			}
			u, _ := url.Parse(loc)
			a.verifiers.Delete(u.Query().Get("state"))
			wantError(t, a.linkCallback(t, fake, "oidc-test", loc, oauthtest.User{Subject: "ada-oidc", Email: "ada@example.com", EmailVerified: true}).Errors, "STATE_INVALID")
		})

		t.Run("the session ended before the callback", func(t *testing.T) {
			other := mustTicket(t, a.authenticate(t, "CUSTOMER", "ada@example.com", "correct horse battery"))
			loc, errs := a.startLink(t, other.AccessToken, "oidc-test")
			if errs != nil {
				t.Fatalf("linkProvider: %+v", errs)
			}
			var lp struct{ Errors []authError }
			a.do(t, other.AccessToken, logoutQ, nil).decode(t, "logout", &lp)
			before := count(t, db, "provider_identity")
			wantError(t, a.linkCallback(t, fake, "oidc-test", loc, oauthtest.User{Subject: "ada-oidc", Email: "ada@example.com", EmailVerified: true}).Errors, "NOT_ALLOWED")
			if count(t, db, "provider_identity") != before {
				t.Fatal("linked for an ended session")
			}
		})

		t.Run("unlink", func(t *testing.T) {
			ids := a.identities(t, bearer)
			var d deletePayload
			a.do(t, bearer, unlinkProviderQ, map[string]any{"id": "provid_unknown"}).decode(t, "unlinkProvider", &d)
			wantError(t, d.Errors, "NOT_FOUND")
			a.do(t, bearer, unlinkProviderQ, map[string]any{"id": ids["github"]}).decode(t, "unlinkProvider", &d)
			if !d.Deleted || len(d.Errors) > 0 {
				t.Fatalf("unlinkProvider: %+v", d)
			}
			// github no longer signs in to the account.
			if p := a.signInWith(t, fake, "CUSTOMER", "github", ada); p.Ticket != nil && p.Ticket.ActorID != nil {
				t.Fatalf("the unlinked provider still signs in: %+v", p.Ticket)
			}
			// The last way to sign in stays.
			a.do(t, bearer, unlinkProviderQ, map[string]any{"id": ids["emailpass"]}).decode(t, "unlinkProvider", &d)
			wantError(t, d.Errors, "NOT_ALLOWED")
			mustTicket(t, a.authenticate(t, "CUSTOMER", "ada@example.com", "correct horse battery"))
			if es := a.events(t, gatehouse.EventProviderUnlinked); len(es) != 1 || es[0].Payload["provider"] != "github" {
				t.Fatalf("auth.provider_unlinked events: %+v", es)
			}
		})

		t.Run("step-up", func(t *testing.T) {
			a.Clock.Advance(11 * time.Minute)
			stale := mustTicket(t, a.rotate(t, *mustTicket(t, a.authenticate(t, "CUSTOMER", "ada@example.com", "correct horse battery")).RefreshToken))
			a.Clock.Advance(11 * time.Minute)
			stale = mustTicket(t, a.rotate(t, *stale.RefreshToken))
			wantReason(t, a.do(t, stale.AccessToken, linkProviderQ, map[string]any{"provider": "github", "input": map[string]any{"redirectUrl": shopCallback}}), "REAUTH_REQUIRED")
			wantReason(t, a.do(t, stale.AccessToken, unlinkProviderQ, map[string]any{"id": a.identities(t, stale.AccessToken)["emailpass"]}), "REAUTH_REQUIRED")
		})

		t.Run("anonymous shopper", func(t *testing.T) {
			anon := mustKibo(t, a.kibo(t, "", anonymousQ, "createAnonymousShopperAuthTicket", nil))
			_, errs := a.startLink(t, anon.AccessToken, "github")
			wantError(t, errs, "NOT_ALLOWED")
		})

		t.Run("user identities", func(t *testing.T) {
			var u struct {
				Identities []struct{ Provider string }
			}
			a.do(t, a.admin(t), `{ currentUser { identities { provider } } }`, nil).decode(t, "currentUser", &u)
			if len(u.Identities) != 1 || u.Identities[0].Provider != "emailpass" {
				t.Fatalf("currentUser identities %+v", u.Identities)
			}
		})
	})
}
