package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/oauth/oauthtest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The whole third-party redirect dance against the real binary, configured
// from the environment as an operator would, with a fake OpenID Connect
// provider: authenticate → the provider's authorize endpoint → the
// callback's query → validateCallback → createCustomer → refreshed token
// → a second sign-in with a full ticket.
func TestOAuthEndToEnd(t *testing.T) {
	fake := oauthtest.New(t)
	const callback = "http://shop.test/auth/callback"
	getenv := testEnv(storetest.SQLite(t),
		"GATEHOUSE_PROVIDERS", "oidc-acme",
		"GATEHOUSE_PROVIDER_OIDC_ACME_ISSUER", fake.Issuer(),
		"GATEHOUSE_PROVIDER_OIDC_ACME_DISPLAY_NAME", "Acme SSO",
		"GATEHOUSE_PROVIDER_OIDC_ACME_CLIENT_ID", fake.ClientID,
		"GATEHOUSE_PROVIDER_OIDC_ACME_CLIENT_SECRET", fake.ClientSecret,
		"GATEHOUSE_PROVIDER_OIDC_ACME_CUSTOMER_REDIRECT_URLS", callback,
	)
	base, logs := startServer(t, getenv)
	c := client{t: t, base: base}

	var providers []struct{ ID, Kind, DisplayName string }
	c.field(c.do("", `{ authProviders(actor: CUSTOMER) { id kind displayName } }`, nil), "authProviders", &providers)
	if len(providers) != 3 || providers[1].ID != "emailcode" || providers[2].ID != "oidc-acme" || providers[2].Kind != "OIDC" || providers[2].DisplayName != "Acme SSO" {
		t.Fatalf("authProviders = %+v", providers)
	}

	signIn := func() tk {
		t.Helper()
		// As an app does: the sign-in is bound to a verifier it keeps.
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			t.Fatal(err)
		}
		verifier := base64.RawURLEncoding.EncodeToString(raw)
		sum := sha256.Sum256([]byte(verifier))
		var start struct{ Location string }
		c.field(c.do("", `mutation($r: String, $c: String) { authenticate(actor: CUSTOMER, provider: "oidc-acme", input: {redirectUrl: $r, callbackChallenge: $c}) { location errors { code } } }`,
			map[string]any{"r": callback, "c": base64.RawURLEncoding.EncodeToString(sum[:])}), "authenticate", &start)
		back := fake.Authorize(start.Location)
		params := map[string]any{}
		for k := range back {
			params[k] = back.Get(k)
		}
		var p tk
		c.field(c.do("", `mutation($p: JSON, $v: String) { validateCallback(actor: CUSTOMER, provider: "oidc-acme", input: {params: $p, callbackVerifier: $v}) { `+ticketQ+` } }`,
			map[string]any{"p": params, "v": verifier}), "validateCallback", &p)
		return p
	}

	fake.SignIn(oauthtest.User{Subject: "acme-42", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
	reg := signIn()
	if reg.Ticket.ActorID != nil || reg.Ticket.AccessToken == "" {
		t.Fatalf("first sign-in: want a registration ticket, got %+v", reg)
	}
	var created struct{ Customer struct{ Email string } }
	c.field(c.do(reg.Ticket.AccessToken, `mutation { createCustomer(input: {firstName: "Ada"}) { customer { email } errors { code } } }`, nil), "createCustomer", &created)
	var refreshed tk
	c.field(c.do(reg.Ticket.AccessToken, `mutation { refreshToken { `+ticketQ+` } }`, nil), "refreshToken", &refreshed)
	if refreshed.Ticket.ActorID == nil {
		t.Fatal("the refreshed token carries no actor")
	}
	again := signIn()
	if again.Ticket.ActorID == nil || *again.Ticket.ActorID != *refreshed.Ticket.ActorID || again.Ticket.RefreshToken == "" {
		t.Fatalf("second sign-in: want a full ticket for the customer, got %+v", again)
	}

	// No provider secret in the log or --help.
	t.Run("provider secret hidden", func(t *testing.T) {
		var help bytes.Buffer
		_ = runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(""), stdout: &help, stderr: &help}, []string{"serve", "--help"})
		for _, s := range []string{fake.ClientSecret, reg.Ticket.AccessToken, again.Ticket.RefreshToken} {
			if strings.Contains(logs.String(), s) || strings.Contains(help.String(), s) {
				t.Errorf("%q… appears in the log or help", s[:8])
			}
		}
		if strings.Contains(logs.String(), "code=") || strings.Contains(logs.String(), url.QueryEscape(callback)+"&state") {
			t.Error("the log holds a callback URL")
		}
	})
}
