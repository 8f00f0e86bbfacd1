// Package oauthtest is a fake OAuth 2.0 / OpenID Connect provider for
// tests: discovery, authorize, token, JWKS and userinfo endpoints, and
// GitHub's user and emails API, on an httptest server. It checks what a
// real provider checks (client credentials, redirect URI, single-use codes)
// and more: every authorization request must carry an S256 PKCE challenge,
// and every token request the verifier that matches it. A test fails when
// the client breaks the protocol.
package oauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// User is the person who signs in at the fake provider.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Provider is the fake provider.
type Provider struct {
	tb     testing.TB
	server *httptest.Server
	key    *rsa.PrivateKey
	kid    string

	ClientID, ClientSecret string

	mu sync.Mutex
	// Next is who signs in at the next authorization request.
	Next User
	// Tamper, when set, changes the next ID token's claims and header
	// (a wrong audience, issuer, nonce, expiry or kid).
	Tamper func(claims jwt.MapClaims, header map[string]any)
	codes  map[string]*grant
	// Exchanges counts successful token requests.
	Exchanges int
}

type grant struct {
	clientID, redirectURI, challenge, nonce string
	user                                    User
	used                                    bool
}

// New starts a fake provider; it stops when the test ends.
func New(tb testing.TB) *Provider {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	p := &Provider{tb: tb, key: key, kid: "fake-key-1", ClientID: "gatehouse-test-client", ClientSecret: "fake-client-secret-value",
		codes: map[string]*grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	mux.HandleFunc("GET /api/user", p.githubUser)
	mux.HandleFunc("GET /api/user/emails", p.githubEmails)
	p.server = httptest.NewServer(mux)
	tb.Cleanup(p.server.Close)
	return p
}

// Issuer is the provider's issuer URL (and base URL).
func (p *Provider) Issuer() string { return p.server.URL }

// AuthURL, TokenURL and APIURL are the endpoints, for GitHub-style
// configuration.
func (p *Provider) AuthURL() string  { return p.server.URL + "/authorize" }
func (p *Provider) TokenURL() string { return p.server.URL + "/token" }
func (p *Provider) APIURL() string   { return p.server.URL + "/api" }

// SignIn sets who signs in next.
func (p *Provider) SignIn(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Next = u
}

// SetTamper sets (or with nil clears) the ID token tampering.
func (p *Provider) SetTamper(f func(claims jwt.MapClaims, header map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Tamper = f
}

// Authorize plays the browser at the provider: it requests location (the
// URL gatehouse answered authenticate with) and returns the query of the
// redirect back: code and state, or error and error_description.
func (p *Provider) Authorize(location string) url.Values {
	p.tb.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(location)
	if err != nil {
		p.tb.Fatalf("authorize: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		p.tb.Fatalf("authorize answered %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		p.tb.Fatal(err)
	}
	return back.Query()
}

func (p *Provider) fail(w http.ResponseWriter, status int, code, format string, args ...any) {
	p.tb.Errorf("fake provider: "+format, args...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                p.server.URL,
		"authorization_endpoint":                p.server.URL + "/authorize",
		"token_endpoint":                        p.server.URL + "/token",
		"jwks_uri":                              p.server.URL + "/jwks",
		"userinfo_endpoint":                     p.server.URL + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("client_id") != p.ClientID:
		p.fail(w, http.StatusBadRequest, "invalid_client", "authorize: client_id %q", q.Get("client_id"))
		return
	case q.Get("response_type") != "code":
		p.fail(w, http.StatusBadRequest, "unsupported_response_type", "authorize: response_type %q", q.Get("response_type"))
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		p.fail(w, http.StatusBadRequest, "invalid_request", "authorize without an S256 PKCE challenge: method %q", q.Get("code_challenge_method"))
		return
	case q.Get("state") == "" || q.Get("redirect_uri") == "":
		p.fail(w, http.StatusBadRequest, "invalid_request", "authorize without state or redirect_uri")
		return
	}
	p.mu.Lock()
	code := randomString()
	p.codes[code] = &grant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
		challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), user: p.Next}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, http.StatusBadRequest, "invalid_request", "token: %v", err)
		return
	}
	id, sec, ok := r.BasicAuth()
	if !ok {
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || sec != p.ClientSecret {
		p.fail(w, http.StatusUnauthorized, "invalid_client", "token: wrong client credentials")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.codes[r.PostForm.Get("code")]
	if g == nil || g.used {
		// A replayed or unknown code is refused, as real providers do;
		// not a protocol error of the client's.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
		return
	}
	g.used = true
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code":
		p.fail(w, http.StatusBadRequest, "unsupported_grant_type", "token: grant_type %q", r.PostForm.Get("grant_type"))
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		p.fail(w, http.StatusBadRequest, "invalid_grant", "token: redirect_uri differs from the authorization request's")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		p.fail(w, http.StatusBadRequest, "invalid_grant", "token: the PKCE verifier does not match the S256 challenge")
		return
	}
	p.Exchanges++
	access := "fake-access-" + g.user.Subject + "-" + randomString()
	p.codes["access:"+access] = g
	resp := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600}
	if g.nonce != "" {
		resp["id_token"] = p.idToken(g)
	}
	writeJSON(w, resp)
}

func (p *Provider) idToken(g *grant) string {
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": p.server.URL, "aud": p.ClientID, "sub": g.user.Subject,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce,
		"email": g.user.Email, "email_verified": g.user.EmailVerified, "name": g.user.Name,
	}
	header := map[string]any{"kid": p.kid}
	if p.Tamper != nil {
		p.Tamper(claims, header)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	for k, v := range header {
		t.Header[k] = v
	}
	s, err := t.SignedString(p.key)
	if err != nil {
		p.tb.Fatal(err)
	}
	return s
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := p.key.PublicKey
	writeJSON(w, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": p.kid, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// grantOf returns the grant of a bearer access token.
func (p *Provider) grantOf(r *http.Request) *grant {
	p.mu.Lock()
	defer p.mu.Unlock()
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) {
		return nil
	}
	return p.codes["access:"+h[len(prefix):]]
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	g := p.grantOf(r)
	if g == nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, map[string]any{"sub": g.user.Subject, "email": g.user.Email, "email_verified": g.user.EmailVerified, "name": g.user.Name})
}

func (p *Provider) githubUser(w http.ResponseWriter, r *http.Request) {
	g := p.grantOf(r)
	if g == nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id, err := strconv.ParseInt(g.user.Subject, 10, 64)
	if err != nil {
		p.fail(w, http.StatusInternalServerError, "server_error", "GitHub users have numeric subjects, not %q", g.user.Subject)
		return
	}
	writeJSON(w, map[string]any{"id": id, "login": "octo" + g.user.Subject, "name": g.user.Name, "email": nil})
}

func (p *Provider) githubEmails(w http.ResponseWriter, r *http.Request) {
	g := p.grantOf(r)
	if g == nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, []map[string]any{
		{"email": "noreply-" + g.user.Subject + "@users.noreply.example", "primary": false, "verified": true},
		{"email": g.user.Email, "primary": true, "verified": g.user.EmailVerified},
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
