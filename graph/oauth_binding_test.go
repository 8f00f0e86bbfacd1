package graph_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/oauth/oauthtest"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// newCallbackVerifier makes what a client keeps and what it sends to
// authenticate: 32 random bytes as base64url, and their SHA-256 as
// base64url, as docs/spa.md and docs/mobile.md show.
func newCallbackVerifier(t testing.TB) (verifier, challenge string) {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// cookieBrowser is one browser's cookie jar for gatehouse's site (https, or
// plain http on loopback in development).
type cookieBrowser struct {
	jar  *cookiejar.Jar
	site *url.URL
}

func newCookieBrowser(t testing.TB, site string) *cookieBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(site)
	if err != nil {
		t.Fatal(err)
	}
	return &cookieBrowser{jar: jar, site: u}
}

// post sends a GraphQL request from the browser, with the cookies it holds
// for the site, and keeps the cookies the answer sets; it returns those.
func (b *cookieBrowser) post(t testing.TB, a *api, query string, vars map[string]any) (*response, []*http.Cookie) {
	t.Helper()
	r := a.browser(t, browserReq{host: b.site.Host, cookies: b.jar.Cookies(b.site)}, query, vars)
	set := (&http.Response{Header: r.header}).Cookies()
	b.jar.SetCookies(b.site, set)
	return r, set
}

// oauthFlow is a third-party sign-in started by a client: the query the
// provider sent back (for whoever signed in at the provider), and the
// verifier when the client gave a challenge.
type oauthFlow struct {
	back     url.Values
	verifier string
	set      []*http.Cookie
}

// startFlow calls authenticate from b for oidc-test; with challenge the client
// binds the flow to its verifier, else to the pre-auth cookie. The fake
// provider then signs in whoever it was told to.
func startFlow(t *testing.T, a *api, fake *oauthtest.Provider, b *cookieBrowser, challenge bool) oauthFlow {
	t.Helper()
	in := map[string]any{"redirectUrl": shopCallback}
	var f oauthFlow
	if challenge {
		var c string
		f.verifier, c = newCallbackVerifier(t)
		in["callbackChallenge"] = c
	}
	r, set := b.post(t, a, authQ, map[string]any{"actor": "CUSTOMER", "provider": "oidc-test", "input": in})
	var p ticketPayload
	r.decode(t, "authenticate", &p)
	if len(p.Errors) > 0 || p.Location == nil {
		t.Fatalf("authenticate: %s", r.raw)
	}
	f.back, f.set = fake.Authorize(*p.Location), set
	return f
}

// finishFlow posts validateCallback from b with the provider's query and the
// given verifier ("" for none).
func finishFlow(t *testing.T, a *api, b *cookieBrowser, back url.Values, verifier string) (ticketPayload, []*http.Cookie) {
	t.Helper()
	params := map[string]any{}
	for k := range back {
		params[k] = back.Get(k)
	}
	in := map[string]any{"params": params}
	if verifier != "" {
		in["callbackVerifier"] = verifier
	}
	r, set := b.post(t, a, callbackQ, map[string]any{"actor": "CUSTOMER", "provider": "oidc-test", "input": in})
	var p ticketPayload
	r.decode(t, "validateCallback", &p)
	return p, set
}

// refusedAsUnknown checks that a callback was turned away as an unknown state
// would be, with no ticket.
func refusedAsUnknown(t *testing.T, p ticketPayload) {
	t.Helper()
	e := wantError(t, p.Errors, "STATE_INVALID")
	if p.Ticket != nil {
		t.Fatalf("a ticket for a refused callback: %+v", p.Ticket)
	}
	if strings.Join(e.Field, ".") != "input.state" || !strings.Contains(e.Message, "unknown, used or meant for another provider") {
		t.Errorf("the refusal differs from an unknown state's: %+v", e)
	}
}

// Login CSRF (RFC 6749 §10.12): the attacker starts a sign-in in their own
// browser, signs in at the provider as themselves, stops at the redirect
// and hands their code and state to the victim's callback page. The
// victim's browser must not be signed in as the attacker, however the
// attacker's flow was bound and whatever the victim's browser brings.
func TestCallbackBoundToClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		attacker := oauthtest.User{Subject: "mallory-1", Email: "mallory@example.com", EmailVerified: true}
		victim := oauthtest.User{Subject: "alice-1", Email: "alice@example.com", EmailVerified: true}

		for _, tc := range []struct {
			name string
			// attackerChallenge: the attacker binds their flow with a
			// challenge (else the pre-auth cookie of their browser).
			attackerChallenge bool
			// victimFlow: the victim's browser has a sign-in of its
			// own pending, bound by challenge or cookie, whose proof
			// it sends; "" for none.
			victimFlow string
		}{
			{"attacker's cookie flow, victim's browser without a flow", false, ""},
			{"attacker's cookie flow, victim's own cookie", false, "cookie"},
			{"attacker's cookie flow, victim's own verifier", false, "challenge"},
			{"attacker's challenge flow, victim's browser without a flow", true, ""},
			{"attacker's challenge flow, victim's own cookie", true, "cookie"},
			{"attacker's challenge flow, victim's own verifier", true, "challenge"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				mallory := newCookieBrowser(t, "https://auth.shop.example")
				alice := newCookieBrowser(t, "https://auth.shop.example")
				var proof string
				if tc.victimFlow != "" {
					fake.SignIn(victim)
					own := startFlow(t, a, fake, alice, tc.victimFlow == "challenge")
					proof = own.verifier
				}

				fake.SignIn(attacker)
				stolen := startFlow(t, a, fake, mallory, tc.attackerChallenge)
				if stolen.back.Get("code") == "" || stolen.back.Get("state") == "" {
					t.Fatalf("the provider sent back %v", stolen.back)
				}

				p, _ := finishFlow(t, a, alice, stolen.back, proof)
				refusedAsUnknown(t, p)

				// The refusal spent the state: not even the attacker's
				// own browser can use it now.
				p, _ = finishFlow(t, a, mallory, stolen.back, stolen.verifier)
				refusedAsUnknown(t, p)
			})
		}

		// The attacker's flow works in the attacker's own browser.
		t.Run("attacker's own browser", func(t *testing.T) {
			// The refusals above are the binding's, not a broken flow's.
			for _, challenge := range []bool{false, true} {
				mallory := newCookieBrowser(t, "https://auth.shop.example")
				fake.SignIn(attacker)
				f := startFlow(t, a, fake, mallory, challenge)
				p, _ := finishFlow(t, a, mallory, f.back, f.verifier)
				if tk := mustTicket(t, p); tk.UserID == "" {
					t.Fatalf("challenge=%v: no identity in %+v", challenge, tk)
				}
			}
		})
	})
}

func TestCallbackBinding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		fake.SignIn(oauthtest.User{Subject: "ada-1", Email: "ada@example.com", EmailVerified: true})

		t.Run("challenge and verifier", func(t *testing.T) {
			app := newCookieBrowser(t, "https://auth.shop.example")
			f := startFlow(t, a, fake, app, true)
			if len(f.set) != 0 {
				t.Errorf("authenticate with a challenge set cookies: %v", f.set)
			}
			p, _ := finishFlow(t, a, app, f.back, f.verifier)
			mustTicket(t, p)
		})
		// The verifier works without the cookie jar.
		t.Run("verifier without cookies", func(t *testing.T) {
			// A mobile app, or a page on another site: no cookie comes back.
			f := startFlow(t, a, fake, newCookieBrowser(t, "https://auth.shop.example"), true)
			p, _ := finishFlow(t, a, newCookieBrowser(t, "https://auth.shop.example"), f.back, f.verifier)
			mustTicket(t, p)
		})
		t.Run("pre-auth cookie", func(t *testing.T) {
			b := newCookieBrowser(t, "https://auth.shop.example")
			f := startFlow(t, a, fake, b, false)
			p, _ := finishFlow(t, a, b, f.back, "")
			mustTicket(t, p)
		})
		t.Run("neither verifier nor cookie", func(t *testing.T) {
			for _, challenge := range []bool{false, true} {
				f := startFlow(t, a, fake, newCookieBrowser(t, "https://auth.shop.example"), challenge)
				p, _ := finishFlow(t, a, newCookieBrowser(t, "https://auth.shop.example"), f.back, "")
				refusedAsUnknown(t, p)
			}
		})
		t.Run("wrong verifier", func(t *testing.T) {
			app := newCookieBrowser(t, "https://auth.shop.example")
			f := startFlow(t, a, fake, app, true)
			other, _ := newCallbackVerifier(t)
			p, _ := finishFlow(t, a, app, f.back, other)
			refusedAsUnknown(t, p)
			p, _ = finishFlow(t, a, app, f.back, f.verifier)
			refusedAsUnknown(t, p) // spent by the wrong try
		})
		// The challenge itself as the verifier.
		t.Run("challenge as verifier", func(t *testing.T) {
			// The challenge is in no URL, but it is no secret either.
			app := newCookieBrowser(t, "https://auth.shop.example")
			_, c := newCallbackVerifier(t)
			r, _ := app.post(t, a, authQ, map[string]any{"actor": "CUSTOMER", "provider": "oidc-test", "input": map[string]any{"redirectUrl": shopCallback, "callbackChallenge": c}})
			var s ticketPayload
			r.decode(t, "authenticate", &s)
			p, _ := finishFlow(t, a, app, fake.Authorize(*s.Location), c)
			refusedAsUnknown(t, p)
		})
		// A pre-auth cookie with a challenge-bound state.
		t.Run("cookie for challenge-bound state", func(t *testing.T) {
			// A flow bound by challenge needs its verifier: this browser's
			// valid cookie from another flow does not stand in for it.
			b := newCookieBrowser(t, "https://auth.shop.example")
			startFlow(t, a, fake, b, false)
			f := startFlow(t, a, fake, b, true)
			p, _ := finishFlow(t, a, b, f.back, "")
			refusedAsUnknown(t, p)
		})
		// A newer sign-in replaces the cookie.
		t.Run("newer sign-in", func(t *testing.T) {
			// Two tabs, one cookie jar: the older flow fails, the newer
			// one (whose cookie the refusal leaves alone) works.
			b := newCookieBrowser(t, "https://auth.shop.example")
			older := startFlow(t, a, fake, b, false)
			newer := startFlow(t, a, fake, b, false)
			p, set := finishFlow(t, a, b, older.back, "")
			refusedAsUnknown(t, p)
			if len(set) != 0 {
				t.Errorf("a refused callback set %v", set)
			}
			p, _ = finishFlow(t, a, b, newer.back, "")
			mustTicket(t, p)
		})
		// A state from before bindings.
		t.Run("unbound state", func(t *testing.T) {
			state, _ := secret.New(rand.Reader)
			now := a.Clock.Now()
			if err := a.Store.CreateOAuthState(t.Context(), &gatehouse.OAuthState{ID: secret.Hash(state), ActorType: gatehouse.ActorCustomer,
				Provider: "oidc-test", RedirectURL: shopCallback, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			v, _ := newCallbackVerifier(t)
			p, _ := finishFlow(t, a, newCookieBrowser(t, "https://auth.shop.example"), url.Values{"state": {state}, "code": {"any"}}, v)
			refusedAsUnknown(t, p)
		})
		for _, tc := range []struct{ name, challenge string }{
			{"empty", ""},
			{"too short", strings.Repeat("A", 42)},
			{"too long", strings.Repeat("A", 44)},
			{"padded", strings.Repeat("A", 42) + "="},
			{"not base64url", strings.Repeat("A", 42) + "+"},
			{"non-canonical last character", strings.Repeat("A", 42) + "B"},
			{"a plain verifier", strings.Repeat("A", 64)},
		} {
			t.Run("challenge "+tc.name, func(t *testing.T) {
				r, set := newCookieBrowser(t, "https://auth.shop.example").post(t, a, authQ, map[string]any{"actor": "CUSTOMER", "provider": "oidc-test",
					"input": map[string]any{"redirectUrl": shopCallback, "callbackChallenge": tc.challenge}})
				var p ticketPayload
				r.decode(t, "authenticate", &p)
				e := wantError(t, p.Errors, "INVALID_INPUT")
				if strings.Join(e.Field, ".") != "input.callbackChallenge" || p.Location != nil || len(set) != 0 {
					t.Errorf("payload %+v, cookies %v", p, set)
				}
			})
		}
		for _, tc := range []struct{ name, verifier string }{
			{"too short", strings.Repeat("a", 42)},
			{"too long", strings.Repeat("a", 129)},
			{"outside the alphabet", strings.Repeat("a", 42) + "+"},
			{"with a space", strings.Repeat("a", 42) + " "},
		} {
			t.Run("verifier "+tc.name, func(t *testing.T) {
				app := newCookieBrowser(t, "https://auth.shop.example")
				f := startFlow(t, a, fake, app, true)
				p, _ := finishFlow(t, a, app, f.back, tc.verifier)
				e := wantError(t, p.Errors, "INVALID_INPUT")
				if strings.Join(e.Field, ".") != "input.callbackVerifier" || p.Ticket != nil {
					t.Errorf("payload %+v", p)
				}
				// A malformed verifier is refused before the state is
				// touched: the right one still works.
				p, _ = finishFlow(t, a, app, f.back, f.verifier)
				mustTicket(t, p)
			})
		}
		t.Run("PKCE's longest verifier", func(t *testing.T) {
			app := newCookieBrowser(t, "https://auth.shop.example")
			v := strings.Repeat("a-._~Z9", 19)[:128]
			sum := sha256.Sum256([]byte(v))
			r, _ := app.post(t, a, authQ, map[string]any{"actor": "CUSTOMER", "provider": "oidc-test", "input": map[string]any{"redirectUrl": shopCallback, "callbackChallenge": base64.RawURLEncoding.EncodeToString(sum[:])}})
			var s ticketPayload
			r.decode(t, "authenticate", &s)
			p, _ := finishFlow(t, a, app, fake.Authorize(*s.Location), v)
			mustTicket(t, p)
		})
	})
}

func TestPreAuthCookie(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		fake.SignIn(oauthtest.User{Subject: "ada-1", Email: "ada@example.com", EmailVerified: true})
		for _, tc := range []struct {
			site, name string
			secure     bool
		}{
			{"https://auth.shop.example", "__Host-gatehouse-oauth", true},
			// Development over loopback: no TLS, so no Secure and no prefix.
			{"http://127.0.0.1:8080", "gatehouse-oauth", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := newCookieBrowser(t, tc.site)
				f := startFlow(t, a, fake, b, false)
				if len(f.set) != 1 {
					t.Fatalf("authenticate set %d cookies, want the pre-auth cookie: %v", len(f.set), f.set)
				}
				c := f.set[0]
				if c.Name != tc.name || c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
					c.Path != "/" || c.Domain != "" || c.MaxAge != 600 || !secret.WellFormed(c.Value) {
					t.Errorf("cookie = %s", c)
				}
				if strings.Contains(f.back.Encode(), c.Value) {
					t.Error("the cookie's value is in the provider's URL")
				}
				// Cleared by the callback, on success …
				p, set := finishFlow(t, a, b, f.back, "")
				mustTicket(t, p)
				wantPreAuthCleared(t, set, tc.name)
				if len(b.jar.Cookies(b.site)) != 0 {
					t.Errorf("the browser still holds %v", b.jar.Cookies(b.site))
				}
				// … and on any failure once its state is spent: the
				// provider's error, or an expired state.
				f = startFlow(t, a, fake, b, false)
				f.back.Del("code")
				f.back.Set("error", "access_denied")
				p, set = finishFlow(t, a, b, f.back, "")
				wantError(t, p.Errors, "PROVIDER_ERROR")
				wantPreAuthCleared(t, set, tc.name)
				f = startFlow(t, a, fake, b, false)
				a.Clock.Advance(10*time.Minute + time.Second)
				p, set = finishFlow(t, a, b, f.back, "")
				wantError(t, p.Errors, "STATE_EXPIRED")
				wantPreAuthCleared(t, set, tc.name)
				// A callback whose state it did not bind leaves it to the
				// flow it belongs to.
				f = startFlow(t, a, fake, b, false)
				q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
				p, set = finishFlow(t, a, b, q, "")
				refusedAsUnknown(t, p)
				if len(set) != 0 {
					t.Errorf("a callback for another client's state set %v", set)
				}
				p, _ = finishFlow(t, a, b, f.back, "")
				mustTicket(t, p)
			})
		}
		// A state's cookie is its own.
		t.Run("other flow's cookie", func(t *testing.T) {
			b1, b2 := newCookieBrowser(t, "https://auth.shop.example"), newCookieBrowser(t, "https://auth.shop.example")
			f1, f2 := startFlow(t, a, fake, b1, false), startFlow(t, a, fake, b2, false)
			if f1.set[0].Value == f2.set[0].Value {
				t.Fatal("two sign-ins share a pre-auth cookie")
			}
		})
	})
}

func wantPreAuthCleared(t *testing.T, set []*http.Cookie, name string) {
	t.Helper()
	if len(set) != 1 || set[0].Name != name || set[0].MaxAge >= 0 || set[0].Value != "" {
		t.Errorf("validateCallback set %v, want %s cleared", set, name)
	}
}
