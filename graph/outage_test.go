package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestDatabaseOutage: while the database cannot be reached, requests that
// need it answer UNAVAILABLE with retryAfterSeconds and type
// database_error (503 under graphql-response+json), never
// INTERNAL_SERVER_ERROR, and are logged as an outage; once it is back,
// they succeed without a restart. PostgreSQL only: an SQLite file has no
// connection to lose.
func TestDatabaseOutage(t *testing.T) {
	direct := storetest.Postgres(t)
	storetest.MustOpen(t, direct) // migrated over a direct connection
	u, _ := url.Parse(direct)
	p := proctest.NewProxy(t, u.Host)
	u.Host = p.Addr
	db := storetest.MustOpen(t, u.String())
	a := newAPI(t, db)
	tok, _ := a.signUpCustomer(t, "outage@example.com")

	p.Cut()
	for _, tc := range []struct {
		name   string
		bearer string
		query  string
		status int // 503 when no data is returned, 200 when some is (a null field)
	}{
		{"signed-in query", tok, `{ currentCustomer { id } }`, http.StatusOK},
		{"sign-in", "", `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "outage@example.com", password: "correct horse battery"}) { errors { code } } }`, http.StatusServiceUnavailable},
		{"registration", "", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "new-outage@example.com", password: "correct horse battery"}) { errors { code } } }`, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tc.query})
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/graphql-response+json")
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			r := a.send(t, req)
			e := r.topLevel(t)
			if e.Extensions["code"] != "UNAVAILABLE" || e.Extensions["type"] != "database_error" || e.Extensions["retryAfterSeconds"] == nil {
				t.Fatalf("error = %+v, want UNAVAILABLE, database_error, retryAfterSeconds", e)
			}
			if r.status != tc.status || r.header.Get("Retry-After") == "" {
				t.Errorf("status %d, Retry-After %q; want %d with Retry-After", r.status, r.header.Get("Retry-After"), tc.status)
			}
		})
	}
	if logs := a.log.String(); strings.Contains(logs, `"internal error"`) || !strings.Contains(logs, "database unreachable") {
		t.Errorf("the outage is logged as an internal error, or not at all:\n%s", logs)
	}

	p.Restore()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := a.do(t, tok, `{ currentCustomer { id } }`, nil)
		if len(r.Errors) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 10 s after the database came back: %s", r.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
