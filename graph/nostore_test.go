package graph_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestTokenAnswersAreNotStored: every answer that carries a token or a
// CSRF token, and every authenticated answer, is Cache-Control: no-store,
// so that no shared cache or browser history keeps one.
func TestTokenAnswersAreNotStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		reg := mustTicket(t, a.register(t, "CUSTOMER", "cache@example.com", "correct horse battery", ""))
		signedIn := mustTicket(t, a.authenticate(t, "CUSTOMER", "cache@example.com", "correct horse battery"))
		customer, _ := a.signUpCustomer(t, "customer@example.com")
		for _, tc := range []struct {
			name string
			send func(t *testing.T) *response
		}{
			{"register", func(t *testing.T) *response {
				return a.do(t, "", registerQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "cache2@example.com", "password": "correct horse battery"}})
			}},
			{"authenticate", func(t *testing.T) *response {
				return a.do(t, "", authQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "cache@example.com", "password": "correct horse battery"}})
			}},
			{"refreshToken with a bearer", func(t *testing.T) *response { return a.do(t, reg.AccessToken, refreshQ, nil) }},
			{"refreshToken with a refresh token", func(t *testing.T) *response {
				return a.do(t, "", refreshQ, map[string]any{"input": map[string]any{"refreshToken": *signedIn.RefreshToken}})
			}},
			{"createSession", func(t *testing.T) *response {
				return a.browser(t, browserReq{bearer: reg.AccessToken}, createSessionQ, nil)
			}},
			{"createAnonymousShopperAuthTicket", func(t *testing.T) *response { return a.do(t, "", anonymousQ, nil) }},
			{"createUserAuthTicket", func(t *testing.T) *response {
				return a.do(t, "", userTicketQ, map[string]any{"input": map[string]any{"emailAddress": "cache@example.com", "password": "correct horse battery"}})
			}},
			{"authenticated query", func(t *testing.T) *response { return a.do(t, customer, `{ currentCustomer { id email } }`, nil) }},
			{"refused", func(t *testing.T) *response { return a.do(t, "", `{ nope }`, nil) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.send(t)
				if tc.name != "refused" && (r.status != 200 || len(r.Errors) > 0) {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				if got := r.header.Get("Cache-Control"); got != "no-store" {
					t.Fatalf("Cache-Control = %q, want no-store", got)
				}
			})
		}
	})
}
