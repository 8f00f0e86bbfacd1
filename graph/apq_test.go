package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/servicetest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// getQuery sends a GET as an Apollo client does for a persisted query.
func (a *api) getQuery(t *testing.T, bearer string, params url.Values) *response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/graphql?"+params.Encode(), nil)
	req.Header.Set("Apollo-Require-Preflight", "true")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return a.send(t, req)
}

func TestPersistedQueriesAndGETCaching(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		tk := mustTicket(t, a.register(t, "CUSTOMER", "apq@example.com", "apq password 12", ""))
		a.do(t, tk.AccessToken, `mutation { createCustomer(input: {firstName: "P"}) { errors { code } } }`, nil)
		tk = mustTicket(t, a.refresh(t, tk.AccessToken))
		const query = `query Me { currentCustomer { id email } }`
		sum := sha256.Sum256([]byte(query))
		ext := func(hash string) string {
			b, _ := json.Marshal(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}})
			return string(b)
		}
		hashOnly := url.Values{"extensions": {ext(hex.EncodeToString(sum[:]))}, "operationName": {"Me"}}

		// An unknown hash asks for the query.
		t.Run("unknown hash", func(t *testing.T) {
			e := a.getQuery(t, tk.AccessToken, hashOnly).topLevel(t)
			if e.Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" || e.Message != "PersistedQueryNotFound" {
				t.Fatalf("error = %+v", e)
			}
		})
		// register sends the full query with its hash, as an Apollo client
		// does after PERSISTED_QUERY_NOT_FOUND; the subtests that need the
		// hash known call it, so that each runs alone.
		register := func(t *testing.T) {
			t.Helper()
			full := url.Values{"query": {query}, "extensions": hashOnly["extensions"], "operationName": {"Me"}}
			var c struct{ Email string }
			a.getQuery(t, tk.AccessToken, full).decode(t, "currentCustomer", &c)
			if c.Email != "apq@example.com" {
				t.Fatalf("customer = %+v", c)
			}
		}
		// The full query registers the hash.
		t.Run("register", func(t *testing.T) { register(t) })
		// Then the hash alone answers, over GET, uncacheable.
		t.Run("hash only over GET", func(t *testing.T) {
			register(t)
			r := a.getQuery(t, tk.AccessToken, hashOnly)
			var c struct{ Email string }
			r.decode(t, "currentCustomer", &c)
			if c.Email != "apq@example.com" {
				t.Fatalf("customer = %+v", c)
			}
			if got := r.header.Get("Cache-Control"); got != "private, no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
			if vary := strings.Join(r.header.Values("Vary"), ", "); !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Cookie") {
				t.Errorf("Vary = %q", vary)
			}
		})
		// A hash that does not match its query is refused.
		t.Run("mismatched hash", func(t *testing.T) {
			bad := url.Values{"query": {`{ authProviders(actor: CUSTOMER) { id } }`}, "extensions": hashOnly["extensions"]}
			if e := a.getQuery(t, "", bad).topLevel(t); e.Extensions["code"] != "BAD_USER_INPUT" {
				t.Fatalf("error = %+v", e)
			}
		})
		// An expired or invalid token is a top-level UNAUTHENTICATED with a reason.
		t.Run("invalid token", func(t *testing.T) {
			register(t)
			for _, bearer := range []string{"not-a-jwt", tk.AccessToken + "x"} {
				e := a.getQuery(t, bearer, hashOnly).topLevel(t)
				if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["reason"] == nil {
					t.Fatalf("error = %+v", e)
				}
			}
			a.Clock.Advance(16 * time.Minute)
			e := a.getQuery(t, tk.AccessToken, hashOnly).topLevel(t)
			if e.Extensions["code"] != "UNAUTHENTICATED" || e.Extensions["reason"] != "EXPIRED" {
				t.Fatalf("expired token: %+v", e)
			}
		})
	})
}

// With Redis, a query registered on one instance is known to the others.
func TestPersistedQueriesInRedis(t *testing.T) {
	rurl := servicetest.URL(t, servicetest.Redis)
	opt, err := redis.ParseURL(rurl)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	// SQLite only: this is about the Redis cache of persisted queries;
	// TestPersistedQueriesAndGETCaching covers both databases.
	db := storetest.MustOpen(t, storetest.SQLite(t))
	withRedis := func(o *graph.HandlerOptions) { o.APQCache = graph.NewAPQCache(rdb) }
	one, two := newAPIWith(t, db, withRedis), newAPIWith(t, db, withRedis)
	query := fmt.Sprintf(`query Providers%d { authProviders(actor: CUSTOMER) { id } }`, time.Now().UnixNano())
	sum := sha256.Sum256([]byte(query))
	ext, _ := json.Marshal(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}})
	hashOnly := url.Values{"extensions": {string(ext)}}
	if e := two.getQuery(t, "", hashOnly).topLevel(t); e.Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("error = %+v", e)
	}
	full := url.Values{"query": {query}, "extensions": {string(ext)}}
	var ps []struct{ ID string }
	one.getQuery(t, "", full).decode(t, "authProviders", &ps)
	two.getQuery(t, "", hashOnly).decode(t, "authProviders", &ps)
	if len(ps) == 0 || ps[0].ID != "emailpass" {
		t.Fatalf("providers = %+v", ps)
	}
}
