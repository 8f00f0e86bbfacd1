// Package oauth signs people in with third-party providers: Google, GitHub
// and any OpenID Connect issuer. It builds authorization URLs (with a PKCE
// S256 challenge, and a nonce for OpenID Connect) and turns a callback's
// code into a verified profile.
//
// It stores nothing and decides nothing about accounts: the auth service
// keeps the state and chooses what a profile signs in as. It must never log
// a client secret, a code, a token or a verifier.
package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/github"
)

// Failures of Exchange. The auth service maps them to error codes; their
// wrapped causes are for the log only.
var (
	// ErrExchange: the provider refused the code, or could not be reached.
	ErrExchange = errors.New("oauth: the provider did not accept the code")
	// ErrIDToken: the ID token failed verification (signature, issuer,
	// audience, expiry or nonce).
	ErrIDToken = errors.New("oauth: the ID token is not valid")
	// ErrProfile: the provider's profile could not be read.
	ErrProfile = errors.New("oauth: the profile could not be read")
)

// Profile is what a provider vouches for.
type Profile struct {
	// Subject is the provider's stable id for the person: the identity's
	// key, never the email.
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
}

// Metadata is the profile as stored in a provider identity's
// user_metadata.
func (p *Profile) Metadata() map[string]any {
	return map[string]any{
		"email":          p.Email,
		"email_verified": p.EmailVerified,
		"name":           p.Name,
		"given_name":     p.GivenName,
		"family_name":    p.FamilyName,
	}
}

// Provider is one configured provider for one actor type.
type Provider struct {
	cfg    Config
	client *http.Client
	now    func() time.Time

	mu   sync.Mutex
	oidc *oidc.Provider // discovered on first use
}

// New returns a provider. client makes every call to the provider (nil:
// a client with a 10 s timeout); now is the clock ID tokens are checked
// against (nil: time.Now).
func New(cfg Config, client *http.Client, now func() time.Time) *Provider {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Provider{cfg: cfg, client: client, now: now}
}

// ID is the name clients pass as `provider`.
func (p *Provider) ID() string { return p.cfg.ID }

// Actor is the actor type the provider serves.
func (p *Provider) Actor() string { return p.cfg.Actor }

// DisplayName labels a sign-in button.
func (p *Provider) DisplayName() string { return p.cfg.DisplayName }

// OIDC reports whether the provider speaks OpenID Connect (Google and
// generic issuers) rather than plain OAuth 2.0 (GitHub).
func (p *Provider) OIDC() bool { return p.cfg.Type != TypeGitHub }

// SignUp reports whether the provider may create new identities.
func (p *Provider) SignUp() bool { return p.cfg.SignUp }

// LinkByEmail reports whether a new provider identity may join the
// identity with the same verified email.
func (p *Provider) LinkByEmail() bool { return p.cfg.LinkByEmail }

// RedirectAllowed reports whether the provider may send the browser back
// to raw: see AllowedRedirect.
func (p *Provider) RedirectAllowed(raw string) bool {
	return AllowedRedirect(raw, p.cfg.RedirectURLs)
}

func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, p.client), p.client)
}

// oauth2Config is the OAuth 2.0 client for one redirect URL.
func (p *Provider) oauth2Config(ctx context.Context, redirectURL string) (*oauth2.Config, *oidc.Provider, error) {
	c := &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		RedirectURL:  redirectURL,
		Scopes:       p.cfg.Scopes,
	}
	var op *oidc.Provider
	if p.OIDC() {
		var err error
		if op, err = p.discover(ctx); err != nil {
			return nil, nil, err
		}
		c.Endpoint = op.Endpoint()
		if len(c.Scopes) == 0 {
			c.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
		}
		if !contains(c.Scopes, oidc.ScopeOpenID) {
			c.Scopes = append([]string{oidc.ScopeOpenID}, c.Scopes...)
		}
	} else {
		c.Endpoint = github.Endpoint
		if len(c.Scopes) == 0 {
			c.Scopes = []string{"read:user", "user:email"}
		}
	}
	if p.cfg.AuthURL != "" {
		c.Endpoint.AuthURL = p.cfg.AuthURL
	}
	if p.cfg.TokenURL != "" {
		c.Endpoint.TokenURL = p.cfg.TokenURL
	}
	return c, op, nil
}

// discover fetches the issuer's OpenID configuration once; a failure is
// retried on the next call.
func (p *Provider) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oidc != nil {
		return p.oidc, nil
	}
	op, err := oidc.NewProvider(p.ctx(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery of %s: %v", ErrExchange, p.cfg.Issuer, err)
	}
	p.oidc = op
	return op, nil
}

// AuthCodeURL returns the URL to send the browser to: state, the S256
// challenge of verifier and, for OpenID Connect, nonce.
func (p *Provider) AuthCodeURL(ctx context.Context, redirectURL, state, verifier, nonce string) (string, error) {
	c, _, err := p.oauth2Config(ctx, redirectURL)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if p.OIDC() {
		opts = append(opts, oidc.Nonce(nonce))
	}
	return c.AuthCodeURL(state, opts...), nil
}

// Exchange trades a callback's code for the person's profile: with the
// PKCE verifier, then, for OpenID Connect, verifying the ID token
// (signature through the issuer's JWKS, issuer, audience, expiry, nonce);
// for GitHub, reading the user and its primary verified email.
func (p *Provider) Exchange(ctx context.Context, redirectURL, code, verifier, nonce string) (*Profile, error) {
	c, op, err := p.oauth2Config(ctx, redirectURL)
	if err != nil {
		return nil, err
	}
	tok, err := c.Exchange(p.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrExchange, redactExchange(err))
	}
	if !p.OIDC() {
		return p.githubProfile(ctx, tok)
	}
	return p.oidcProfile(ctx, op, tok, nonce)
}

// redactExchange keeps the provider's error code and drops the rest of
// its answer, which may echo what was sent.
func redactExchange(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		if code == "" {
			code = "HTTP " + strconv.Itoa(re.Response.StatusCode)
		}
		return "token endpoint answered " + code
	}
	return "token endpoint unreachable"
}

func (p *Provider) oidcProfile(ctx context.Context, op *oidc.Provider, tok *oauth2.Token, nonce string) (*Profile, error) {
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: the token response holds no id_token", ErrIDToken)
	}
	v := op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.now})
	idt, err := v.Verify(p.ctx(ctx), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIDToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce does not match", ErrIDToken)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrIDToken, err)
	}
	prof := &Profile{Subject: idt.Subject, Email: claims.Email, EmailVerified: truthy(claims.EmailVerified),
		Name: claims.Name, GivenName: claims.GivenName, FamilyName: claims.FamilyName}
	if prof.Email == "" && op.UserInfoEndpoint() != "" {
		// Some issuers keep the email out of the ID token.
		ui, err := op.UserInfo(p.ctx(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("%w: userinfo: %v", ErrProfile, err)
		}
		if ui.Subject != idt.Subject {
			return nil, fmt.Errorf("%w: userinfo names another subject", ErrProfile)
		}
		prof.Email, prof.EmailVerified = ui.Email, ui.EmailVerified
	}
	return prof, nil
}

// truthy reads email_verified, which some issuers send as a string.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

const githubAPI = "https://api.github.com"

func (p *Provider) githubProfile(ctx context.Context, tok *oauth2.Token) (*Profile, error) {
	api := strings.TrimRight(p.cfg.APIURL, "/")
	if api == "" {
		api = githubAPI
	}
	var user struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := p.getJSON(ctx, tok, api+"/user", &user); err != nil {
		return nil, err
	}
	if user.ID == 0 {
		return nil, fmt.Errorf("%w: the user has no id", ErrProfile)
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := p.getJSON(ctx, tok, api+"/user/emails", &emails); err != nil {
		return nil, err
	}
	prof := &Profile{Subject: strconv.FormatInt(user.ID, 10), Name: user.Name}
	if prof.Name == "" {
		prof.Name = user.Login
	}
	for _, e := range emails {
		if e.Primary && e.Verified {
			prof.Email, prof.EmailVerified = e.Email, true
		}
	}
	return prof, nil
}

func (p *Provider) getJSON(ctx context.Context, tok *oauth2.Token, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProfile, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s unreachable", ErrProfile, req.URL.Path)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered HTTP %d", ErrProfile, req.URL.Path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrProfile, req.URL.Path, err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
