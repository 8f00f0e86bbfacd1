package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	createSessionQ  = `mutation { createSession { session { id actorType expiresAt idleExpiresAt csrfToken customer { id email addresses { id } } user { id } } errors { code message } } }`
	deleteSessionQ  = `mutation($a: ActorType!) { deleteSession(actor: $a) { deleted errors { code message } } }`
	currentSessionQ = `query($a: ActorType!) { currentSession(actor: $a) { id csrfToken customer { id } } }`
)

// browserReq is a request as a browser page would send it.
type browserReq struct {
	host, origin, contentType, bearer, csrf string
	cookies                                 []*http.Cookie
}

func (a *api) browser(t testing.TB, b browserReq, query string, vars map[string]any) *response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	if b.host != "" {
		req.Host = b.host
	}
	ct := b.contentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	if b.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+b.bearer)
	}
	if b.csrf != "" {
		req.Header.Set(server.CSRFHeader, b.csrf)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	return a.send(t, req)
}

type sessionPayload struct {
	Session *struct {
		ID        string  `json:"id"`
		CSRFToken *string `json:"csrfToken"`
		Customer  *struct {
			ID        string `json:"id"`
			Addresses []any  `json:"addresses"`
		} `json:"customer"`
	} `json:"session"`
	Errors []authError `json:"errors"`
}

// cookieSession signs a customer in, turns the session into a cookie
// session, and returns the cookie, the CSRF token and the ticket.
func (a *api) cookieSession(t testing.TB, email string, b browserReq) (*http.Cookie, string, *ticket) {
	t.Helper()
	tk := a.signedIn(t, email)
	b.bearer = tk.AccessToken
	r := a.browser(t, b, createSessionQ, nil)
	var p sessionPayload
	r.decode(t, "createSession", &p)
	if len(p.Errors) > 0 || p.Session == nil || p.Session.CSRFToken == nil || p.Session.Customer == nil || p.Session.Customer.Addresses == nil {
		t.Fatalf("createSession = %s", r.raw)
	}
	cookies := (&http.Response{Header: r.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Set-Cookie = %v", r.header.Values("Set-Cookie"))
	}
	return cookies[0], *p.Session.CSRFToken, tk
}

func TestCookieSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		cookie, csrf, tk := a.cookieSession(t, "cookie@example.com", browserReq{})

		t.Run("cookie attributes", func(t *testing.T) {
			if cookie.Name != "__Host-gatehouse-customer-session" || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode ||
				cookie.Path != "/" || cookie.Domain != "" || cookie.MaxAge <= 0 || cookie.Value == "" {
				t.Fatalf("cookie = %+v", cookie)
			}
			if strings.Contains(cookie.Value, tk.AccessToken) || strings.Contains(cookie.Value, *tk.RefreshToken) {
				t.Fatal("the cookie carries a token")
			}
		})

		// A query needs no CSRF token.
		t.Run("query without CSRF token", func(t *testing.T) {
			var c customer
			a.browser(t, browserReq{cookies: []*http.Cookie{cookie}}, currentQ, nil).decode(t, "currentCustomer", &c)
			if c.ID == "" {
				t.Fatal("no customer")
			}
			var s struct {
				CSRFToken *string `json:"csrfToken"`
			}
			a.browser(t, browserReq{cookies: []*http.Cookie{cookie}}, currentSessionQ, map[string]any{"a": "CUSTOMER"}).decode(t, "currentSession", &s)
			if s.CSRFToken == nil || *s.CSRFToken != csrf {
				t.Fatalf("currentSession csrfToken = %v, want the session's", s.CSRFToken)
			}
		})

		update := map[string]any{"input": map[string]any{"firstName": "Cookie"}}
		for _, tc := range []struct {
			name, csrf string
		}{
			// A mutation without the CSRF token is refused.
			{"mutation without CSRF token", ""},
			// A mutation with a wrong CSRF token is refused.
			{"wrong CSRF token", csrf[:len(csrf)-2] + "xx"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := browserReq{cookies: []*http.Cookie{cookie}, csrf: tc.csrf}
				e := a.browser(t, b, updateCustomerQ, update).topLevel(t)
				if e.Extensions["code"] != "FORBIDDEN" {
					t.Fatalf("error = %+v", e)
				}
			})
		}

		// A mutation with the CSRF token is allowed.
		t.Run("CSRF token", func(t *testing.T) {
			var p customerPayload
			a.browser(t, browserReq{cookies: []*http.Cookie{cookie}, csrf: csrf}, updateCustomerQ, update).decode(t, "updateCustomer", &p)
			if len(p.Errors) > 0 || *p.Customer.FirstName != "Cookie" {
				t.Fatalf("update = %+v", p)
			}
		})

		// The bearer token wins over the cookie.
		t.Run("bearer over cookie", func(t *testing.T) {
			other := a.signedIn(t, "bearer@example.com")
			var c customer
			a.browser(t, browserReq{cookies: []*http.Cookie{cookie}, bearer: other.AccessToken}, currentQ, nil).decode(t, "currentCustomer", &c)
			if c.Email == nil || *c.Email != "bearer@example.com" {
				t.Fatalf("currentCustomer = %+v", c)
			}
		})

		// A customer cookie is no admin credential.
		t.Run("customer cookie on admin API", func(t *testing.T) {
			e := a.browser(t, browserReq{cookies: []*http.Cookie{cookie}}, currentUserQ, nil).topLevel(t)
			if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["reason"] != "MISSING" {
				t.Fatalf("error = %+v", e)
			}
		})

		// A new createSession retires the old cookie.
		t.Run("second createSession", func(t *testing.T) {
			old, _, tk := a.cookieSession(t, "twice@example.com", browserReq{})
			r := a.browser(t, browserReq{bearer: tk.AccessToken}, createSessionQ, nil)
			fresh := (&http.Response{Header: r.header}).Cookies()[0]
			if fresh.Value == old.Value {
				t.Fatal("the cookie value did not change")
			}
			e := a.browser(t, browserReq{cookies: []*http.Cookie{old}}, currentQ, nil).topLevel(t)
			if e.Extensions["reason"] != "INVALID" {
				t.Fatalf("old cookie: %+v", e)
			}
			a.browser(t, browserReq{cookies: []*http.Cookie{fresh}}, currentQ, nil).decode(t, "currentCustomer", &customer{})
		})

		// deleteSession ends the session and clears the cookie.
		t.Run("deleteSession", func(t *testing.T) {
			ck, token, tk := a.cookieSession(t, "bye@example.com", browserReq{})
			r := a.browser(t, browserReq{cookies: []*http.Cookie{ck}, csrf: token}, deleteSessionQ, map[string]any{"a": "CUSTOMER"})
			var p struct {
				Deleted bool        `json:"deleted"`
				Errors  []authError `json:"errors"`
			}
			r.decode(t, "deleteSession", &p)
			cleared := (&http.Response{Header: r.header}).Cookies()
			if !p.Deleted || len(cleared) != 1 || cleared[0].Name != ck.Name || cleared[0].MaxAge >= 0 {
				t.Fatalf("deleteSession = %+v, Set-Cookie %v", p, r.header.Values("Set-Cookie"))
			}
			a.wantUnauthenticated(t, tk.AccessToken, currentQ, "REVOKED")
			e := a.browser(t, browserReq{cookies: []*http.Cookie{ck}}, currentQ, nil).topLevel(t)
			if e.Extensions["reason"] != "REVOKED" {
				t.Fatalf("cookie after deleteSession: %+v", e)
			}
		})

		// Logout and refresh-token reuse end the cookie too.
		t.Run("logout and reuse", func(t *testing.T) {
			ck1, _, tk1 := a.cookieSession(t, "out1@example.com", browserReq{})
			a.do(t, tk1.AccessToken, logoutQ, nil)
			ck2, _, tk2 := a.cookieSession(t, "out2@example.com", browserReq{})
			mustTicket(t, a.rotate(t, *tk2.RefreshToken))
			a.Clock.Advance(11 * time.Second)
			wantError(t, a.rotate(t, *tk2.RefreshToken).Errors, "TOKEN_INVALID")
			for _, ck := range []*http.Cookie{ck1, ck2} {
				e := a.browser(t, browserReq{cookies: []*http.Cookie{ck}}, currentQ, nil).topLevel(t)
				if e.Extensions["reason"] != "REVOKED" {
					t.Fatalf("cookie: %+v", e)
				}
			}
		})
	})
}

func TestCookieSecureOnlyRelaxedForLocalDevelopment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tc := range []struct {
			name, host string
			production bool
			wantName   string
			wantSecure bool
		}{
			{"development, public host", "auth.example.com", false, "__Host-gatehouse-customer-session", true},
			{"development, localhost", "localhost:8080", false, "gatehouse-customer-session", false},
			{"development, 127.0.0.1", "127.0.0.1:8080", false, "gatehouse-customer-session", false},
			{"development, [::1]", "[::1]:8080", false, "gatehouse-customer-session", false},
			{"production, localhost", "localhost:8080", true, "__Host-gatehouse-customer-session", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := newAPI(t, db, func(o *server.Options) { o.Production = tc.production })
				ck, csrf, _ := a.cookieSession(t, strings.NewReplacer(" ", "", ",", "", "[", "", "]", "", ":", "").Replace(tc.name)+"@example.com", browserReq{host: tc.host})
				if ck.Name != tc.wantName || ck.Secure != tc.wantSecure {
					t.Fatalf("cookie %s secure=%v, want %s secure=%v", ck.Name, ck.Secure, tc.wantName, tc.wantSecure)
				}
				var p customerPayload
				a.browser(t, browserReq{host: tc.host, cookies: []*http.Cookie{ck}, csrf: csrf}, updateCustomerQ, map[string]any{"input": map[string]any{"phone": "1"}}).decode(t, "updateCustomer", &p)
				if len(p.Errors) > 0 {
					t.Fatalf("update: %+v", p.Errors)
				}
			})
		}
	})
}

func TestCrossSiteRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		ck, csrf, _ := a.cookieSession(t, "cors@example.com", browserReq{})
		update := map[string]any{"input": map[string]any{"firstName": "Mallory"}}

		t.Run("CORS", func(t *testing.T) {
			for _, tc := range []struct {
				name, origin string
				status       int
				acao         string
			}{
				{"same origin", "http://example.com", 200, ""},
				{"allowed origin", "https://shop.example", 200, "https://shop.example"},
				{"foreign origin", "https://evil.example", 403, ""},
				{"look-alike origin", "https://shop.example.evil.example", 403, ""},
				{"null origin", "null", 403, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					// Each request names itself; only the allowed ones may land.
					named := map[string]any{"input": map[string]any{"firstName": tc.name}}
					r := a.browser(t, browserReq{origin: tc.origin, cookies: []*http.Cookie{ck}, csrf: csrf}, updateCustomerQ, named)
					if r.status != tc.status || r.header.Get("Access-Control-Allow-Origin") != tc.acao || !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
						t.Fatalf("status %d, headers %v: %s", r.status, r.header, r.raw)
					}
					if tc.acao != "" && r.header.Get("Access-Control-Allow-Credentials") != "true" {
						t.Fatal("credentials not allowed for an allowed origin")
					}
					if tc.status == 403 && r.topLevel(t).Extensions["code"] != "FORBIDDEN" {
						t.Fatalf("refusal = %s", r.raw)
					}
				})
			}
			// The last request that landed is the last allowed one: no
			// refused request changed the customer.
			var c customer
			a.browser(t, browserReq{cookies: []*http.Cookie{ck}}, currentQ, nil).decode(t, "currentCustomer", &c)
			if c.FirstName == nil || *c.FirstName != "allowed origin" {
				t.Fatalf("firstName = %v: a refused request changed the customer", c.FirstName)
			}
		})

		t.Run("preflight", func(t *testing.T) {
			for _, tc := range []struct {
				origin string
				status int
			}{{"https://shop.example", 204}, {"https://evil.example", 403}} {
				t.Run(tc.origin, func(t *testing.T) {
					req := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
					req.Header.Set("Origin", tc.origin)
					req.Header.Set("Access-Control-Request-Method", "POST")
					req.Header.Set("Access-Control-Request-Headers", "content-type, x-csrf-token")
					rec := httptest.NewRecorder()
					a.h.ServeHTTP(rec, req)
					h := rec.Header()
					if rec.Code != tc.status {
						t.Fatalf("status %d", rec.Code)
					}
					if tc.status == 204 && (h.Get("Access-Control-Allow-Origin") != tc.origin || !strings.Contains(h.Get("Access-Control-Allow-Headers"), server.CSRFHeader) || h.Get("Access-Control-Allow-Origin") == "*") {
						t.Fatalf("headers = %v", h)
					}
				})
			}
		})

		// Requests a browser sends without a preflight are refused.
		t.Run("simple requests", func(t *testing.T) {
			for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain; charset=utf-8"} {
				t.Run(ct, func(t *testing.T) {
					// Even with the CSRF token guessed right, a simple request is refused before it runs.
					r := a.browser(t, browserReq{contentType: ct, cookies: []*http.Cookie{ck}}, updateCustomerQ, update)
					if r.status != 400 || r.topLevel(t).Extensions["code"] != "BAD_USER_INPUT" {
						t.Fatalf("status %d: %s", r.status, r.raw)
					}
				})
			}
			// A GET without a preflight header is refused; with one, it runs.
			t.Run("GET", func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, "/graphql?query=%7B__typename%7D", nil)
				if r := a.send(t, req); r.status != 400 {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				req = httptest.NewRequest(http.MethodGet, "/graphql?query=%7B__typename%7D", nil)
				req.Header.Set("Apollo-Require-Preflight", "true")
				if r := a.send(t, req); r.status != 200 || len(r.Errors) > 0 {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
			})
		})
	})
}
