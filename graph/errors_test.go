package graph_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/graph/model"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
	"github.com/gatehouse/gatehouse/internal/token"
)

func TestUnauthenticated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		customerTok, c := a.signUpCustomer(t, "who@example.com")
		userTok := a.admin(t)
		regTok := mustTicket(t, a.register(t, "CUSTOMER", "reg@example.com", "correct horse battery", "")).AccessToken
		forged := forge(t, a)

		for _, tc := range []struct {
			name, bearer, query, code, reason string
		}{
			{"no token", "", currentQ, "UNAUTHENTICATED", "MISSING"},
			{"garbage", "not-a-jwt", currentQ, "UNAUTHENTICATED", "INVALID"},
			{"forged with an unknown key", forged, currentQ, "UNAUTHENTICATED", "INVALID"},
			{"tampered", customerTok[:len(customerTok)-2] + "xx", currentQ, "UNAUTHENTICATED", "INVALID"},
			{"user token for a customer field", userTok, currentQ, "FORBIDDEN", ""},
			{"customer token for a user field", customerTok, currentUserQ, "FORBIDDEN", ""},
			{"registration token for a linked-only field", regTok, currentQ, "FORBIDDEN", ""},
			{"no token on refresh", "", refreshQ, "UNAUTHENTICATED", "MISSING"},
			{"no token on createCustomer", "", createCustomerQ, "UNAUTHENTICATED", "MISSING"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				vars := map[string]any{}
				if tc.query == createCustomerQ {
					vars["input"] = map[string]any{}
				}
				e := a.do(t, tc.bearer, tc.query, vars).topLevel(t)
				if e.Extensions["code"] != tc.code || (tc.reason != "" && e.Extensions["reason"] != tc.reason) {
					t.Fatalf("error = %+v", e)
				}
				if e.Extensions["type"] == "" || e.Extensions["requestId"] == nil {
					t.Fatalf("extensions lack type or requestId: %+v", e.Extensions)
				}
			})
		}

		t.Run("deleted customer", func(t *testing.T) {
			ctx := context.Background()
			row, err := a.Store.Customer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			now := a.Clock.Now()
			row.DeletedAt = &now
			if err := a.Store.UpdateCustomer(ctx, row); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{currentQ, refreshQ} {
				e := a.do(t, customerTok, q, nil).topLevel(t)
				if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["reason"] != "REVOKED" {
					t.Fatalf("error = %+v", e)
				}
			}
		})

		t.Run("expired", func(t *testing.T) {
			a.Clock.Advance(16 * time.Minute)
			for _, q := range []string{currentUserQ, refreshQ} {
				e := a.do(t, userTok, q, nil).topLevel(t)
				if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["reason"] != "EXPIRED" {
					t.Fatalf("error = %+v", e)
				}
			}
		})
	})
}

// forge signs a well-formed token with a key the service does not know.
func forge(t *testing.T, a *api) string {
	t.Helper()
	k, err := keys.Generate(keys.EdDSA, a.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keys.NewRing(t.Context(), keys.Options{Fixed: []*keys.Key{k}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := token.NewSigner(token.Config{
		Keys: ring, Issuer: "http://gatehouse.test", Now: a.Clock.Now,
		Audiences: map[gatehouse.ActorType]string{gatehouse.ActorCustomer: "gatehouse:customer", gatehouse.ActorUser: "gatehouse:user"},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Sign(token.Subject{ActorType: gatehouse.ActorCustomer, ActorID: "cus_x", AuthIdentityID: "authid_x", SessionID: "sess_x", ExpiresAt: a.Clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestRefreshNeverPassesSessionMaxAge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		a.admin(t) // root@example.com
		signIn := a.Clock.Now()
		tok := mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase")).AccessToken
		limit := signIn.Add(7 * 24 * time.Hour)
		// Refresh every 9 minutes for a week: expiry slides, auth_time
		// stays, and nothing outlives the max age.
		for a.Clock.Now().Add(9 * time.Minute).Before(limit) {
			a.Clock.Advance(9 * time.Minute)
			tk := mustTicket(t, a.refresh(t, tok))
			c, err := a.Signer.Verify(tk.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if !c.AuthTime.Equal(signIn) || c.ExpiresAt.After(limit) {
				t.Fatalf("auth_time %v (want %v), exp %v past %v", c.AuthTime, signIn, c.ExpiresAt, limit)
			}
			tok = tk.AccessToken
		}
		a.Clock.Advance(9 * time.Minute)
		e := a.do(t, tok, refreshQ, nil).topLevel(t)
		if e.Extensions["reason"] != "EXPIRED" {
			t.Fatalf("error = %+v", e)
		}
	})
}

func TestTransportErrors(t *testing.T) {
	// SQLite only: these requests are refused before any statement runs.
	db := storetest.MustOpen(t, storetest.SQLite(t))
	a := newAPI(t, db)
	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		code   string
		absent string // what the answer must not echo
		msg    string // what the message must say, when it matters
	}{
		{"parse error", post(`{"query":"{ currentCustomer { id "}`), "GRAPHQL_PARSE_FAILED", "", ""},
		{"unknown field", post(`{"query":"{ nope }"}`), "GRAPHQL_VALIDATION_FAILED", "", ""},
		{"variable of the wrong type", post(`{"query":"query($a: ActorType!) { authProviders(actor: $a) { id } }","variables":{"a":"ROBOT"}}`), "BAD_USER_INPUT", "", ""},
		{"missing required variable", post(`{"query":"query($a: ActorType!) { authProviders(actor: $a) { id } }"}`), "BAD_USER_INPUT", "", ""},
		{"body is not JSON", post(`{"query": "mutation { x }", "password": "hunter2-secret`), "BAD_USER_INPUT", "hunter2-secret", ""},
		{"batch", post(`[{"query":"{ authProviders(actor: USER) { id } }"}]`), "BAD_USER_INPUT", "authProviders", "Batched requests"},
		{"form post", preflighted(httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("query=%7B__typename%7D")), "application/x-www-form-urlencoded"), "BAD_USER_INPUT", "", "Content-Type: application/json"},
		{"PUT", preflighted(httptest.NewRequest(http.MethodPut, "/graphql", strings.NewReader("{}")), "application/json"), "BAD_USER_INPUT", "", "Content-Type: application/json"},
		{"mutation over GET", preflighted(httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`mutation { refreshToken { errors { code } } }`), nil), ""), "BAD_USER_INPUT", "", "Only queries may be sent with GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.send(t, tc.req)
			e := r.topLevel(t)
			if e.Extensions["code"] != tc.code || e.Extensions["type"] != "invalid_data" || e.Extensions["requestId"] == nil {
				t.Fatalf("error = %s", r.raw)
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("message %q lacks %q", e.Message, tc.msg)
			}
			if tc.absent != "" && bytes.Contains(r.raw, []byte(tc.absent)) {
				t.Fatalf("answer echoes %q: %s", tc.absent, r.raw)
			}
			if r.header.Get("X-Request-Id") != e.Extensions["requestId"] {
				t.Fatalf("request id header %q != %v", r.header.Get("X-Request-Id"), e.Extensions["requestId"])
			}
		})
	}
}

// preflighted marks r as an Apollo client does, so it passes the CSRF
// guard and reaches the GraphQL transports.
func preflighted(r *http.Request, contentType string) *http.Request {
	r.Header.Set("Apollo-Require-Preflight", "true")
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestInternalErrorsAreHidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		tok := mustTicket(t, a.register(t, "CUSTOMER", "gone@example.com", "correct horse battery", "")).AccessToken
		// Break the database under the service: every query now fails in
		// the driver. (PostgreSQL drops the foreign keys with CASCADE;
		// SQLite has no such word and does not check them on DROP.)
		cascade := ""
		if db.Dialect() == store.Postgres {
			cascade = " CASCADE"
		}
		for _, table := range []string{"customer_address", "customer"} {
			if _, err := db.Bun().ExecContext(context.Background(), "DROP TABLE "+table+cascade); err != nil {
				t.Fatal(err)
			}
		}
		r := a.do(t, tok, createCustomerQ, map[string]any{"input": map[string]any{}})
		e := r.topLevel(t)
		if e.Extensions["code"] != "INTERNAL_SERVER_ERROR" || e.Extensions["type"] != "unknown_error" || e.Message != "An internal error occurred." {
			t.Fatalf("error = %s", r.raw)
		}
		if contains(strings.ToLower(string(r.raw)), "sql", "table", "no such", "goroutine", ".go:") {
			t.Fatalf("answer leaks internals: %s", r.raw)
		}
		logs := a.log.String()
		id, _ := e.Extensions["requestId"].(string)
		var lines []string
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, `"internal error"`) {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], id) || !strings.Contains(lines[0], "customer") {
			t.Fatalf("want the cause logged once with request id %s, got:\n%s", id, logs)
		}
		if strings.Contains(logs, tok) || strings.Contains(logs, "correct horse battery") {
			t.Fatal("the log holds a token or a password")
		}
		// And nothing of the failed mutation was kept: the identity is unlinked.
		a2, err := a.Store.ProviderIdentity(context.Background(), gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, "gone@example.com")
		if err != nil {
			t.Fatal(err)
		}
		ai, err := a.Store.AuthIdentity(context.Background(), a2.AuthIdentityID)
		if err != nil || ai.ActorID() != "" {
			t.Fatalf("identity = %+v, %v", ai, err)
		}
	})
}

// The payload codes of gatehouse's one table and the schema's
// AuthErrorCode enum are the same set, so that a new code cannot be
// missed on either side.
func TestEveryPayloadCodeIsInTheSchema(t *testing.T) {
	payload := map[model.AuthErrorCode]bool{}
	for _, c := range gatehouse.Codes() {
		if !c.Payload {
			continue
		}
		payload[model.AuthErrorCode(c.Code)] = true
		t.Run(string(c.Code), func(t *testing.T) {
			if !model.AuthErrorCode(c.Code).IsValid() {
				t.Fatalf("%s is a payload code but not an AuthErrorCode", c.Code)
			}
		})
	}
	for _, c := range model.AllAuthErrorCode {
		if !payload[c] {
			t.Errorf("AuthErrorCode %s is not a payload code of gatehouse.Codes", c)
		}
	}
	if len(payload) < 10 {
		t.Fatalf("%d payload codes in the table", len(payload))
	}
}

// A value that fails to decode is the caller's input: BAD_USER_INPUT with
// our message naming the input path, never the decoder's text.
func TestUndecodableInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		tok, _ := a.signUpCustomer(t, "decode@example.com")
		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"a JSON object that is a list, inline", `mutation { updateCustomer(input: {metadata: [1, 2]}) { errors { code } } }`, nil},
			{"a JSON object that is a string, inline", `mutation { updateCustomer(input: {metadata: "x"}) { errors { code } } }`, nil},
			{"a JSON object that is a list, in a variable", `mutation($m: JSON) { updateCustomer(input: {metadata: $m}) { errors { code } } }`, map[string]any{"m": []any{1}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := a.do(t, tok, tc.query, tc.vars)
				e := r.topLevel(t)
				if e.Extensions["code"] != "BAD_USER_INPUT" || e.Message != "The value of input.metadata is not of the type the schema expects." {
					t.Fatalf("error = %+v", e)
				}
				if strings.Contains(string(r.raw), "interface") || strings.Contains(string(r.raw), "not a map") {
					t.Fatalf("the decoder's text reached the client: %s", r.raw)
				}
			})
		}
	})
}
