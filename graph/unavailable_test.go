package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// With every database connection taken, a request waits the acquire
// timeout and is shed: top-level UNAVAILABLE with retryAfterSeconds and a
// Retry-After header, HTTP 503 under application/graphql-response+json when
// data is null and 200 otherwise (data that is not null is always 200, as
// the GraphQL-over-HTTP spec requires) and under application/json; never
// INTERNAL_SERVER_ERROR, and nothing logged as an internal error.
func TestUnavailableWhenNoConnection(t *testing.T) {
	// SQLite only: this is about the answer; the store's
	// TestPoolAcquireTimeout sheds on both databases.
	url := storetest.SQLite(t)
	storetest.MustOpen(t, url)
	db, err := store.OpenPool(context.Background(), url, store.Pool{MaxOpen: 1, MaxIdle: 1, AcquireTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := newAPI(t, db)
	tok, _ := a.signUpCustomer(t, "shed@example.com")

	// Hold the only connection.
	tx, err := db.Bun().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	for _, tc := range []struct {
		name, accept string
		status       int
		query        string
		bearer       string
	}{
		// currentCustomer is nullable: data is {"currentCustomer": null}.
		{"graphql-response+json read", "application/graphql-response+json", http.StatusOK, currentQ, tok},
		{"json read", "application/json", http.StatusOK, currentQ, tok},
		{"graphql-response+json sign-in", "application/graphql-response+json", http.StatusServiceUnavailable,
			`mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "shed@example.com", password: "correct horse battery"}) { ticket { accessToken } } }`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tc.query})
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", tc.accept)
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			r := a.send(t, req)
			if r.status != tc.status {
				t.Errorf("status = %d, want %d", r.status, tc.status)
			}
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAVAILABLE" {
				t.Fatalf("errors = %s, want one UNAVAILABLE", r.raw)
			}
			if s, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64); s < 1 {
				t.Errorf("retryAfterSeconds = %v, want at least 1", r.Errors[0].Extensions["retryAfterSeconds"])
			}
			if got := r.header.Get("Retry-After"); got == "" || got == "0" {
				t.Errorf("Retry-After = %q, want whole seconds", got)
			}
		})
	}
	if strings.Contains(a.log.String(), "internal error") {
		t.Errorf("a shed request was logged as an internal error:\n%s", a.log.String())
	}

	tx.Rollback()
	if r := a.do(t, tok, currentQ, nil); len(r.Errors) != 0 {
		t.Fatalf("after the connection is free: %s", r.raw)
	}
}
