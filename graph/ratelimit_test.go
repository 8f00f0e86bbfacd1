package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// from posts a request as if from peer, with an optional X-Forwarded-For.
func (a *api) from(t *testing.T, peer, forwarded, query string, vars map[string]any) *response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = peer + ":40000"
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	return a.send(t, req)
}

func wantRateLimited(t *testing.T, r *response) {
	t.Helper()
	e := r.topLevel(t)
	if e.Extensions["code"] != "RATE_LIMITED" {
		t.Fatalf("error = %+v, want RATE_LIMITED", e)
	}
	if s, ok := e.Extensions["retryAfterSeconds"].(float64); !ok || s < 1 || s > 60 {
		t.Fatalf("retryAfterSeconds = %v", e.Extensions["retryAfterSeconds"])
	}
}

func TestRateLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPIWith(t, db, func(o *graph.HandlerOptions) {
			o.RateLimits = graph.RateLimits{
				Limiter:    db.RateLimiter(),
				PerIP:      ratelimit.Rate{Burst: 3, Per: time.Minute},
				Identifier: ratelimit.Rate{Burst: 2, Per: time.Minute},
			}
		}, func(o *server.Options) { o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
		signIn := func(email string) map[string]any {
			return map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": email, "password": "some password 1"}}
		}

		// Per identifier, whatever the IP.
		t.Run("per identifier", func(t *testing.T) {
			a.from(t, "198.51.100.1", "", authQ, signIn("target@example.com"))
			a.from(t, "198.51.100.2", "", authQ, signIn("Target@Example.com"))
			wantRateLimited(t, a.from(t, "198.51.100.3", "", authQ, signIn(" target@example.com")))
		})
		// SendEmailVerification per identifier, whatever the IP.
		t.Run("sendEmailVerification per identifier", func(t *testing.T) {
			const q = `mutation($e: String!) { sendEmailVerification(actor: CUSTOMER, provider: "emailpass", input: {identifier: $e}) { accepted } }`
			a.from(t, "198.51.100.11", "", q, map[string]any{"e": "verify-me@example.com"})
			a.from(t, "198.51.100.12", "", q, map[string]any{"e": "Verify-Me@example.com"})
			wantRateLimited(t, a.from(t, "198.51.100.13", "", q, map[string]any{"e": "verify-me@example.com"}))
		})
		// requestEmailCode per address, whatever the IP, and per IP.
		t.Run("requestEmailCode per identifier", func(t *testing.T) {
			const q = `mutation($e: String!) { requestEmailCode(actor: CUSTOMER, input: {email: $e}) { accepted } }`
			a.from(t, "198.51.100.21", "", q, map[string]any{"e": "code-me@example.com"})
			a.from(t, "198.51.100.22", "", q, map[string]any{"e": "Code-Me@example.com"})
			wantRateLimited(t, a.from(t, "198.51.100.23", "", q, map[string]any{"e": "code-me@example.com"}))
			for _, e := range []string{"x1@example.com", "x2@example.com", "x3@example.com"} {
				a.from(t, "198.51.100.24", "", q, map[string]any{"e": e})
			}
			wantRateLimited(t, a.from(t, "198.51.100.24", "", q, map[string]any{"e": "x4@example.com"}))
		})
		// Per IP, whatever the identifier.
		t.Run("per IP", func(t *testing.T) {
			for i, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
				if r := a.from(t, "203.0.113.7", "", authQ, signIn(e)); len(r.Errors) > 0 {
					t.Fatalf("attempt %d refused: %s", i+1, r.raw)
				}
			}
			wantRateLimited(t, a.from(t, "203.0.113.7", "", authQ, signIn("d@example.com")))
		})
		t.Run("IPv6 per /64", func(t *testing.T) {
			for i, peer := range []string{"[2001:db8:1:2::1]", "[2001:db8:1:2::2]", "[2001:db8:1:2:ffff:ffff:ffff:ffff]"} {
				if r := a.from(t, peer, "", authQ, signIn(fmt.Sprintf("v6-%d@example.com", i))); len(r.Errors) > 0 {
					t.Fatalf("attempt %d refused: %s", i+1, r.raw)
				}
			}
			wantRateLimited(t, a.from(t, "[2001:db8:1:2:abcd::9]", "", authQ, signIn("v6-3@example.com")))
			// The next /64 is another network.
			if r := a.from(t, "[2001:db8:1:3::1]", "", authQ, signIn("v6-4@example.com")); len(r.Errors) > 0 {
				t.Fatalf("another /64 was limited: %s", r.raw)
			}
		})
		// A forwarded address from an untrusted peer is ignored.
		t.Run("untrusted forwarded address", func(t *testing.T) {
			for i, e := range []string{"e@example.com", "f@example.com", "g@example.com"} {
				a.from(t, "203.0.113.8", "192.0.2."+string(rune('1'+i)), authQ, signIn(e))
			}
			wantRateLimited(t, a.from(t, "203.0.113.8", "192.0.2.9", authQ, signIn("h@example.com")))
		})
		// A trusted proxy's forwarded address is the client's.
		t.Run("trusted proxy", func(t *testing.T) {
			for i := range 4 {
				r := a.from(t, "10.1.2.3", "192.0.2.77, 10.9.9.9", authQ, signIn("proxied"+string(rune('a'+i))+"@example.com"))
				if i < 3 && len(r.Errors) > 0 {
					t.Fatalf("attempt %d refused: %s", i+1, r.raw)
				}
				if i == 3 {
					wantRateLimited(t, r)
				}
			}
			// Another client behind the same proxy has its own bucket.
			if r := a.from(t, "10.1.2.3", "192.0.2.78", authQ, signIn("other-client@example.com")); len(r.Errors) > 0 {
				t.Fatalf("another client behind the proxy was limited: %s", r.raw)
			}
		})
		// One credential mutation per operation.
		t.Run("credential mutations batched", func(t *testing.T) {
			r := a.from(t, "203.0.113.50", "", `mutation { a: authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "x@example.com", password: "p1 password"}) { errors { code } }
				b: authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "x@example.com", password: "p2 password"}) { errors { code } } }`, nil)
			e := r.topLevel(t)
			if e.Extensions["code"] != "LIMIT_EXCEEDED" || e.Extensions["limit"] != "credentialMutations" {
				t.Fatalf("error = %+v", e)
			}
		})
		t.Run("each aliased refresh counts", func(t *testing.T) {
			r := a.from(t, "203.0.113.60", "", `mutation { a: refreshToken(input: {refreshToken: "x"}) { errors { code } } b: refreshToken(input: {refreshToken: "y"}) { errors { code } }
				c: refreshToken(input: {refreshToken: "z"}) { errors { code } } d: refreshToken(input: {refreshToken: "w"}) { errors { code } } }`, nil)
			limited := 0
			for _, e := range r.Errors {
				if e.Extensions["code"] == "RATE_LIMITED" {
					limited++
				}
			}
			if limited != 1 {
				t.Fatalf("want the 4th alias limited: %s", r.raw)
			}
		})
	})
}

// When the limiter cannot be asked (here a Redis with nothing listening),
// credential mutations are shed with UNAVAILABLE by default, and let
// through with FailOpen; token mutations always go through.
func TestRateLimiterFailure(t *testing.T) {
	down := ratelimit.Redis{Client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})}
	t.Cleanup(func() { down.Client.Close() })
	signIn := map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "down@example.com", "password": "some password 1"}}
	for _, tc := range []struct {
		name     string
		failOpen bool
		signIn   string // the top-level code authenticate gets, "" for none
	}{
		{"closed", false, "UNAVAILABLE"},
		{"open", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var shed int
			// SQLite only: the failure is the limiter's, not the database's.
			db := storetest.MustOpen(t, storetest.SQLite(t))
			tok := *newAPI(t, db).signedIn(t, "down-refresh@example.com").RefreshToken
			a := newAPIWith(t, db, func(o *graph.HandlerOptions) {
				o.RateLimits = graph.RateLimits{
					Limiter: down, FailOpen: tc.failOpen, OnShed: func() { shed++ },
					PerIP:      ratelimit.Rate{Burst: 3, Per: time.Minute},
					Identifier: ratelimit.Rate{Burst: 2, Per: time.Minute},
				}
			})

			r := a.do(t, "", authQ, signIn)
			code := ""
			if len(r.Errors) > 0 {
				code, _ = r.Errors[0].Extensions["code"].(string)
			}
			if code != tc.signIn {
				t.Fatalf("authenticate: top-level code %q, want %q: %s", code, tc.signIn, r.raw)
			}
			if code == "UNAVAILABLE" && (r.header.Get("Retry-After") == "" || shed != 1) {
				t.Fatalf("shed without Retry-After (%q) or not counted (%d)", r.header.Get("Retry-After"), shed)
			}
			if p := a.rotate(t, tok); p.Ticket == nil {
				t.Fatalf("refresh while the limiter is down: %+v", p)
			}
		})
	}
}
