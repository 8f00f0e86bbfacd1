package graph_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/oauth/oauthtest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	shopCallback  = "https://shop.example/auth/callback"
	adminCallback = "https://admin.example/auth/callback"
	callbackQ     = `mutation($actor: ActorType!, $provider: String!, $input: ValidateCallbackInput!) { validateCallback(actor: $actor, provider: $provider, input: $input) { ` + ticketFields + ` } }`
)

// oauthAPI is the API with third-party providers that all talk to one
// fake provider: oidc-test (customers and users), github (customers),
// oidc-link (customers, linking by verified email) and oidc-closed
// (customers, no sign-up).
func oauthAPI(t *testing.T, db *store.DB, fake *oauthtest.Provider) *api {
	t.Helper()
	base := oauth.Config{ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, SignUp: true}
	oidc := func(id, actor string, mod func(*oauth.Config)) *oauth.Provider {
		p := base
		p.ID, p.Type, p.Actor, p.DisplayName, p.Issuer = id, oauth.TypeOIDC, actor, id, fake.Issuer()
		p.RedirectURLs = []string{shopCallback}
		if actor == "user" {
			p.RedirectURLs = []string{adminCallback}
		}
		if mod != nil {
			mod(&p)
		}
		return oauth.New(p, nil, nil)
	}
	gh := base
	gh.ID, gh.Type, gh.Actor, gh.DisplayName = "github", oauth.TypeGitHub, "customer", "GitHub"
	gh.AuthURL, gh.TokenURL, gh.APIURL, gh.RedirectURLs = fake.AuthURL(), fake.TokenURL(), fake.APIURL(), []string{shopCallback}
	providers := []*oauth.Provider{
		oidc("oidc-test", "customer", nil),
		oidc("oidc-test", "user", nil),
		oauth.New(gh, nil, nil),
		oidc("oidc-link", "customer", func(p *oauth.Config) { p.LinkByEmail = true }),
		oidc("oidc-closed", "customer", func(p *oauth.Config) { p.SignUp = false }),
	}
	return buildAPI(t, db, func(o *auth.Options) { o.OAuth, o.Subscribers = providers, []string{subscriberID} }, nil)
}

// startOAuth calls authenticate for a third-party provider, as an app
// would, with a fresh callbackChallenge, and returns the location, failing
// on errors. callback sends the challenge's verifier.
func (a *api) startOAuth(t *testing.T, actor, provider, redirect string) string {
	t.Helper()
	verifier, challenge := newCallbackVerifier(t)
	var p ticketPayload
	a.do(t, "", authQ, map[string]any{"actor": actor, "provider": provider, "input": map[string]any{"redirectUrl": redirect, "callbackChallenge": challenge}}).decode(t, "authenticate", &p)
	if len(p.Errors) > 0 || p.Location == nil || p.Ticket != nil {
		t.Fatalf("authenticate(%s): want a location only, got %+v", provider, p)
	}
	loc, err := url.Parse(*p.Location)
	if err != nil {
		t.Fatal(err)
	}
	a.verifiers.Store(loc.Query().Get("state"), verifier)
	return *p.Location
}

// callback calls validateCallback with the query the provider sent back
// and the verifier of the challenge startOAuth sent with its state.
func (a *api) callback(t *testing.T, bearer, actor, provider string, q url.Values) ticketPayload {
	t.Helper()
	var p ticketPayload
	a.do(t, bearer, callbackQ, map[string]any{"actor": actor, "provider": provider, "input": a.callbackInput(q)}).decode(t, "validateCallback", &p)
	return p
}

// callbackInput is validateCallback's input for the provider's query,
// with the verifier of the challenge sent with its state.
func (a *api) callbackInput(q url.Values) map[string]any {
	params := map[string]any{}
	for k := range q {
		params[k] = q.Get(k)
	}
	input := map[string]any{"params": params}
	if v, ok := a.verifiers.Load(q.Get("state")); ok {
		input["callbackVerifier"] = v
	}
	return input
}

// signInWith runs the whole redirect dance for who.
func (a *api) signInWith(t *testing.T, fake *oauthtest.Provider, actor, provider string, who oauthtest.User) ticketPayload {
	t.Helper()
	fake.SignIn(who)
	redirect := shopCallback
	if actor == "USER" {
		redirect = adminCallback
	}
	return a.callback(t, "", actor, provider, fake.Authorize(a.startOAuth(t, actor, provider, redirect)))
}

func TestOAuthAuthorizationURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		for _, tc := range []struct {
			provider string
			oidc     bool
		}{{"oidc-test", true}, {"github", false}} {
			t.Run(tc.provider, func(t *testing.T) {
				loc, err := url.Parse(a.startOAuth(t, "CUSTOMER", tc.provider, shopCallback))
				if err != nil {
					t.Fatal(err)
				}
				q := loc.Query()
				if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
					t.Errorf("PKCE: method %q, challenge %q", q.Get("code_challenge_method"), q.Get("code_challenge"))
				}
				if len(q.Get("state")) < 43 || q.Get("redirect_uri") != shopCallback || q.Get("client_id") != fake.ClientID {
					t.Errorf("query = %v", q)
				}
				if tc.oidc != (q.Get("nonce") != "") || tc.oidc != strings.Contains(q.Get("scope"), "openid") {
					t.Errorf("nonce %q, scope %q for oidc=%v", q.Get("nonce"), q.Get("scope"), tc.oidc)
				}
				if strings.Contains(loc.String(), "code_verifier") || strings.Contains(loc.String(), fake.ClientSecret) {
					t.Error("the authorization URL holds the verifier or the client secret")
				}
			})
		}
		t.Run("states are fresh", func(t *testing.T) {
			a1, _ := url.Parse(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			a2, _ := url.Parse(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			if a1.Query().Get("state") == a2.Query().Get("state") || a1.Query().Get("code_challenge") == a2.Query().Get("code_challenge") {
				t.Error("two sign-ins share a state or a challenge")
			}
		})
		t.Run("authProviders lists them", func(t *testing.T) {
			var ps []struct{ ID, Kind string }
			a.do(t, "", `{ authProviders(actor: CUSTOMER) { id kind } }`, nil).decode(t, "authProviders", &ps)
			got := map[string]string{}
			for _, p := range ps {
				got[p.ID] = p.Kind
			}
			if got["emailpass"] != "PASSWORD" || got["emailcode"] != "EMAIL_CODE" || got["oidc-test"] != "OIDC" || got["github"] != "OAUTH2" || len(got) != 6 {
				t.Errorf("providers = %v", got)
			}
			var users []struct{ ID string }
			a.do(t, "", `{ authProviders(actor: USER) { id } }`, nil).decode(t, "authProviders", &users)
			if len(users) != 3 {
				t.Errorf("USER providers = %v, want emailpass, emailcode and oidc-test", users)
			}
		})
	})
}

func TestOAuthRedirectURLRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		for _, tc := range []struct{ name, redirect string }{
			{"missing", ""},
			{"another path", "https://shop.example/auth/callback/x"},
			{"userinfo", "https://shop.example@evil.example/auth/callback"},
			{"backslash", "https://shop.example\\@evil.example/auth/callback"},
			{"scheme-relative", "//evil.example/auth/callback"},
			{"javascript", "javascript:alert(1)"},
			{"encoded traversal", "https://shop.example/auth/callback/%2e%2e/x"},
			{"another actor's", adminCallback},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var p ticketPayload
				a.do(t, "", authQ, map[string]any{"actor": "CUSTOMER", "provider": "oidc-test", "input": map[string]any{"redirectUrl": tc.redirect}}).decode(t, "authenticate", &p)
				e := wantError(t, p.Errors, "REDIRECT_URL_NOT_ALLOWED")
				if p.Location != nil || strings.Join(e.Field, ".") != "input.redirectUrl" {
					t.Errorf("payload = %+v", p)
				}
			})
		}
		t.Run("unknown provider", func(t *testing.T) {
			var p ticketPayload
			a.do(t, "", authQ, map[string]any{"actor": "USER", "provider": "github", "input": map[string]any{"redirectUrl": shopCallback}}).decode(t, "authenticate", &p)
			wantError(t, p.Errors, "PROVIDER_NOT_FOUND")
		})
	})
}

func TestOAuthSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		ada := oauthtest.User{Subject: "ada-1", Email: "Ada@Example.com", EmailVerified: true, Name: "Ada"}

		// A new identity gets a registration ticket, then a customer.
		t.Run("new identity", func(t *testing.T) {
			tk := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-test", ada))
			if tk.ActorID != nil || tk.RefreshToken == nil {
				t.Fatalf("want a registration ticket with a session, got %+v", tk)
			}
			var c struct {
				Customer struct {
					Email         string
					EmailVerified bool
				} `json:"customer"`
			}
			a.do(t, tk.AccessToken, `mutation { createCustomer(input: {firstName: "Ada"}) { customer { email emailVerified } errors { code } } }`, nil).decode(t, "createCustomer", &c)
			if c.Customer.Email != "ada@example.com" || !c.Customer.EmailVerified {
				t.Fatalf("customer = %+v, want the provider's email, normalized and verified", c.Customer)
			}
		})
		// Each sign-in where the provider says the email is verified marks
		// it so (a customer made before this was recorded, say).
		t.Run("verified again at sign-in", func(t *testing.T) {
			if _, err := db.Bun().NewRaw("UPDATE customer SET email_verified = FALSE WHERE email = 'ada@example.com'").Exec(t.Context()); err != nil {
				t.Fatal(err)
			}
			tk := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-test", ada))
			var me struct{ EmailVerified bool }
			a.do(t, tk.AccessToken, `{ currentCustomer { emailVerified } }`, nil).decode(t, "currentCustomer", &me)
			if !me.EmailVerified {
				t.Fatal("a sign-in with a provider-verified email left the customer unverified")
			}
		})
		// linked makes sure u's identity has a customer (as the first
		// subtest does), so that the subtests after it run alone.
		linked := func(t *testing.T, u oauthtest.User) {
			t.Helper()
			tk := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-test", u))
			if tk.ActorID == nil {
				a.do(t, tk.AccessToken, `mutation { createCustomer(input: {firstName: "Ada"}) { errors { code } } }`, nil)
			}
		}
		// A known identity gets a full ticket.
		t.Run("known identity", func(t *testing.T) {
			linked(t, ada)
			tk := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-test", ada))
			if tk.ActorID == nil || tk.CustomerAccount == nil || tk.RefreshToken == nil {
				t.Fatalf("want a linked ticket, got %+v", tk)
			}
			if r := a.rotate(t, *tk.RefreshToken); r.Ticket == nil {
				t.Fatalf("its refresh token does not rotate: %+v", r.Errors)
			}
		})
		// An email change at the provider keeps the identity.
		t.Run("email changed at provider", func(t *testing.T) {
			linked(t, ada)
			before := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-test", ada))
			moved := ada
			moved.Email = "ada.lovelace@example.com"
			after := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-test", moved))
			if after.UserID != before.UserID || after.ActorID == nil || *after.ActorID != *before.ActorID {
				t.Fatalf("identity changed: %s → %s", before.UserID, after.UserID)
			}
		})
		// The same email at another provider is another identity.
		t.Run("same email, other provider", func(t *testing.T) {
			gh := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "github", oauthtest.User{Subject: "4242", Email: "ada@example.com", EmailVerified: true}))
			if gh.ActorID != nil {
				t.Fatalf("github signed into the oidc-test customer without linking: %+v", gh)
			}
		})
		// An admin user registers through an invite for the verified email.
		t.Run("admin via invite", func(t *testing.T) {
			admin := a.admin(t)
			inviteTok := a.invite(t, admin, "grace@example.com")
			tk := mustTicket(t, a.signInWith(t, fake, "USER", "oidc-test", oauthtest.User{Subject: "grace-1", Email: "grace@example.com", EmailVerified: true}))
			var u struct {
				User   *struct{ Email string } `json:"user"`
				Errors []authError             `json:"errors"`
			}
			a.do(t, tk.AccessToken, `mutation($t: String!) { acceptInvite(input: {inviteToken: $t}) { user { email } errors { code type message field } } }`, map[string]any{"t": inviteTok}).decode(t, "acceptInvite", &u)
			if u.User == nil || u.User.Email != "grace@example.com" {
				t.Fatalf("acceptInvite = %+v", u)
			}
			other := a.invite(t, admin, "someone-else@example.com")
			tk2 := mustTicket(t, a.signInWith(t, fake, "USER", "oidc-test", oauthtest.User{Subject: "mallory-1", Email: "mallory@example.com", EmailVerified: true}))
			a.do(t, tk2.AccessToken, `mutation($t: String!) { acceptInvite(input: {inviteToken: $t}) { user { email } errors { code type message field } } }`, map[string]any{"t": other}).decode(t, "acceptInvite", &u)
			wantError(t, u.Errors, "TOKEN_INVALID")
		})
	})
}

func TestOAuthCallbackRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		who := oauthtest.User{Subject: "eve-1", Email: "eve@example.com", EmailVerified: true}
		fake.SignIn(who)

		t.Run("missing state", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			q.Del("state")
			wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "STATE_INVALID")
		})
		t.Run("unknown state", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			q.Set("state", strings.Repeat("A", 43))
			wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "STATE_INVALID")
		})
		t.Run("replayed", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			mustTicket(t, a.callback(t, "", "CUSTOMER", "oidc-test", q))
			wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "STATE_INVALID")
		})
		t.Run("foreign: another provider's state", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-link", shopCallback))
			wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "STATE_INVALID")
		})
		// Foreign: another actor type's state.
		t.Run("other actor type's state", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "USER", "oidc-test", adminCallback))
			wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "STATE_INVALID")
		})
		t.Run("expired", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			a.Clock.Advance(10*time.Minute + time.Second)
			wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "STATE_EXPIRED")
		})
		t.Run("provider error", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("error_description", "The user cancelled\x00 the sign-in")
			e := wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "PROVIDER_ERROR")
			if !strings.Contains(e.Message, "access_denied") || !strings.Contains(e.Message, "The user cancelled the sign-in") {
				t.Errorf("message = %q", e.Message)
			}
		})
		// A code not from the provider.
		t.Run("forged code", func(t *testing.T) {
			q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
			q.Set("code", "made-up")
			wantError(t, a.callback(t, "", "CUSTOMER", "oidc-test", q).Errors, "PROVIDER_ERROR")
		})
		for _, tc := range []struct {
			name   string
			tamper func(jwt.MapClaims, map[string]any)
		}{
			{"wrong nonce", func(c jwt.MapClaims, _ map[string]any) { c["nonce"] = "another-nonce" }},
			{"no nonce", func(c jwt.MapClaims, _ map[string]any) { delete(c, "nonce") }},
			{"wrong audience", func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "another-client" }},
			{"wrong issuer", func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "https://evil.example" }},
			{"expired ID token", func(c jwt.MapClaims, _ map[string]any) {
				c["exp"] = time.Now().Add(-time.Hour).Unix()
				c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			}},
			{"unknown kid", func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "not-a-key-of-theirs" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				fake.SetTamper(tc.tamper)
				defer fake.SetTamper(nil)
				q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
				p := a.callback(t, "", "CUSTOMER", "oidc-test", q)
				wantError(t, p.Errors, "PROVIDER_ERROR")
				if p.Ticket != nil {
					t.Fatal("a ticket for a bad ID token")
				}
			})
		}
		t.Run("unverified email: no identity", func(t *testing.T) {
			p := a.signInWith(t, fake, "CUSTOMER", "oidc-test", oauthtest.User{Subject: "unverified-1", Email: "victim@example.com", EmailVerified: false})
			wantError(t, p.Errors, "NOT_ALLOWED")
		})
		// GitHub without a verified email.
		t.Run("github unverified email", func(t *testing.T) {
			p := a.signInWith(t, fake, "CUSTOMER", "github", oauthtest.User{Subject: "777", Email: "octo@example.com", EmailVerified: false})
			wantError(t, p.Errors, "NOT_ALLOWED")
		})
		t.Run("sign-up closed", func(t *testing.T) {
			p := a.signInWith(t, fake, "CUSTOMER", "oidc-closed", oauthtest.User{Subject: "new-1", Email: "new@example.com", EmailVerified: true})
			wantError(t, p.Errors, "NOT_ALLOWED")
		})
	})
}

func TestOAuthAccountLinking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)

		// An unverified email never links.
		t.Run("unverified email", func(t *testing.T) {
			reg := mustTicket(t, a.register(t, "CUSTOMER", "kim@example.com", "kim's password 1", ""))
			p := a.signInWith(t, fake, "CUSTOMER", "oidc-link", oauthtest.User{Subject: "kim-unverified", Email: "kim@example.com", EmailVerified: false})
			wantError(t, p.Errors, "NOT_ALLOWED")
			if tk := mustTicket(t, a.authenticate(t, "CUSTOMER", "kim@example.com", "kim's password 1")); tk.UserID != reg.UserID {
				t.Fatal("the password identity changed")
			}
		})
		// A provider that may not link creates no link.
		// A provider that may not link by email neither joins the password
		// account nor leaves an orphan identity beside it (whose
		// createCustomer would answer DUPLICATE): IDENTITY_EXISTS, and
		// nothing is written.
		t.Run("linking not allowed", func(t *testing.T) {
			mustTicket(t, a.register(t, "CUSTOMER", "lee@example.com", "lee's password 1", ""))
			identities, providerIdentities := count(t, db, "auth_identity"), count(t, db, "provider_identity")
			p := a.signInWith(t, fake, "CUSTOMER", "oidc-test", oauthtest.User{Subject: "lee-1", Email: "lee@example.com", EmailVerified: true})
			if e := wantError(t, p.Errors, "IDENTITY_EXISTS"); p.Ticket != nil || !strings.Contains(e.Message, "link") {
				t.Fatalf("sign-in = %+v", p)
			}
			if count(t, db, "auth_identity") != identities || count(t, db, "provider_identity") != providerIdentities {
				t.Fatal("the refused sign-in left an identity behind")
			}
			// The password account still signs in.
			mustTicket(t, a.authenticate(t, "CUSTOMER", "lee@example.com", "lee's password 1"))
		})
		// A verified email takes over the unverified password identity.
		t.Run("verified email takes over", func(t *testing.T) {
			// A squatter registered the victim's email first.
			squat := mustTicket(t, a.register(t, "CUSTOMER", "owner@example.com", "squatter's password", ""))
			var c struct{ Customer struct{ ID string } }
			a.do(t, squat.AccessToken, `mutation { createCustomer(input: {firstName: "Squatter"}) { customer { id } errors { code } } }`, nil).decode(t, "createCustomer", &c)
			session := mustTicket(t, a.authenticate(t, "CUSTOMER", "owner@example.com", "squatter's password"))

			tk := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-link", oauthtest.User{Subject: "owner-1", Email: "owner@example.com", EmailVerified: true}))
			if tk.UserID != squat.UserID {
				t.Fatalf("not linked: %s, want %s", tk.UserID, squat.UserID)
			}
			wantError(t, a.authenticate(t, "CUSTOMER", "owner@example.com", "squatter's password").Errors, "INVALID_CREDENTIALS")
			if r := a.rotate(t, *session.RefreshToken); r.Ticket != nil {
				t.Fatal("the squatter's session survived the link")
			}
			if r := a.rotate(t, *tk.RefreshToken); r.Ticket == nil {
				t.Fatalf("the new session does not rotate: %+v", r.Errors)
			}
		})
	})
}
