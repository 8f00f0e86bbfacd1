package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/request"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// idemKey is the tests' idempotency key: fixed, as the lead derives one
// from the KEK.
var idemKey = []byte("test-idempotency-key-test-idempotency-key")

// hookedStore is the real store with hooks the tests use to hold a
// request in the middle: it counts claims made (once they return), and
// may block a completion.
type hookedStore struct {
	graph.IdempotencyStore
	claims         atomic.Int32
	beforeComplete func()
}

func (h *hookedStore) ClaimIdempotency(ctx context.Context, r *gatehouse.IdempotencyRecord, now time.Time) (*gatehouse.IdempotencyRecord, error) {
	defer h.claims.Add(1)
	return h.IdempotencyStore.ClaimIdempotency(ctx, r, now)
}

func (h *hookedStore) CompleteIdempotency(ctx context.Context, id, owner string, status int, body, authIdentityID string) error {
	if h.beforeComplete != nil {
		h.beforeComplete()
	}
	return h.IdempotencyStore.CompleteIdempotency(ctx, id, owner, status, body, authIdentityID)
}

// idemAPI is the API with the Idempotency-Key layer on db, on the given
// clock; adjust changes its options further.
func idemAPI(t *testing.T, db *store.DB, clock *clocktest.Clock, adjust func(*graph.HandlerOptions)) (*api, *hookedStore) {
	t.Helper()
	hs := &hookedStore{IdempotencyStore: store.New(db)}
	a := newAPIWith(t, db, func(o *graph.HandlerOptions) {
		o.Idempotency = graph.Idempotency{Store: hs, Key: idemKey, Now: clock.Now}
		if adjust != nil {
			adjust(o)
		}
	})
	return a, hs
}

// keyed posts a GraphQL request with an Idempotency-Key (none when key is
// nil) and headers ("Name: value"), returning what went wrong instead of
// failing, for goroutines.
func (a *api) keyed(bearer string, key *string, query string, vars map[string]any, headers ...string) (*response, error) {
	return a.keyedBody(bearer, key, map[string]any{"query": query, "variables": vars}, headers...)
}

// keyedBody is keyed with a request body of any shape.
func (a *api) keyedBody(bearer string, key *string, params map[string]any, headers ...string) (*response, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if key != nil {
		req.Header.Set(graph.IdempotencyKeyHeader, *key)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Add(name, value)
	}
	return a.serve(req)
}

func (a *api) doKeyed(t *testing.T, bearer, key, query string, vars map[string]any, headers ...string) *response {
	t.Helper()
	r, err := a.keyed(bearer, &key, query, vars, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func replayed(r *response) bool { return r.header.Get(graph.IdempotentReplayedHeader) == "true" }

// wantReplay fails unless second is first replayed: the same status and
// body, byte for byte, marked as replayed (and first not).
func wantReplay(t *testing.T, first, second *response) {
	t.Helper()
	if replayed(first) {
		t.Fatalf("the first answer is marked replayed")
	}
	if !replayed(second) {
		t.Fatalf("the retry is not marked replayed: %s", second.raw)
	}
	if first.status != second.status || !bytes.Equal(first.raw, second.raw) {
		t.Fatalf("the retry's answer differs:\n%d %s\n%d %s", first.status, first.raw, second.status, second.raw)
	}
}

// wantConflict fails unless r is the one top-level CONFLICT with reason.
func wantConflict(t *testing.T, r *response, reason string) gqlError {
	t.Helper()
	e := r.topLevel(t)
	if e.Extensions["code"] != "CONFLICT" || e.Extensions["reason"] != reason || e.Extensions["type"] != "conflict" {
		t.Fatalf("error = %+v, want CONFLICT %s", e, reason)
	}
	if replayed(r) {
		t.Fatalf("a refusal is marked replayed")
	}
	return e
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Bun().NewRaw("SELECT count(*) FROM "+table).Scan(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := clocktest.New(time.Now().UTC())
		a, _ := idemAPI(t, db, clock, nil)
		root := a.admin(t)

		t.Run("createInvite retried makes one invite", func(t *testing.T) {
			before := count(t, db, "invite")
			vars := map[string]any{"email": "once@example.com"}
			first := a.doKeyed(t, root, "invite-once", createInviteQ, vars)
			var p invitePayload
			first.decode(t, "createInvite", &p)
			if len(p.Errors) > 0 || p.InviteToken == nil {
				t.Fatalf("createInvite: %s", first.raw)
			}
			second := a.doKeyed(t, root, "invite-once", createInviteQ, vars)
			wantReplay(t, first, second)
			if n := count(t, db, "invite") - before; n != 1 {
				t.Fatalf("%d invites made, want 1", n)
			}
			// Without the key, the same request runs again.
			if r := a.do(t, root, createInviteQ, vars); replayed(r) || bytes.Equal(r.raw, first.raw) {
				t.Fatalf("a request without the key was replayed: %s", r.raw)
			}
		})

		t.Run("register retried gets its ticket", func(t *testing.T) {
			vars := map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "retry@example.com", "password": "a retried passphrase"}}
			first := a.doKeyed(t, "", "register-once", registerQ, vars)
			var p ticketPayload
			first.decode(t, "register", &p)
			mustTicket(t, p)
			second := a.doKeyed(t, "", "register-once", registerQ, vars)
			wantReplay(t, first, second)
			// Under a new key it runs, and the email is taken.
			var again ticketPayload
			a.doKeyed(t, "", "register-twice", registerQ, vars).decode(t, "register", &again)
			wantError(t, again.Errors, "DUPLICATE")
		})

		t.Run("a payload error is kept", func(t *testing.T) {
			vars := map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "retry@example.com", "password": "a retried passphrase"}}
			first := a.doKeyed(t, "", "register-taken", registerQ, vars)
			var p ticketPayload
			first.decode(t, "register", &p)
			wantError(t, p.Errors, "DUPLICATE")
			wantReplay(t, first, a.doKeyed(t, "", "register-taken", registerQ, vars))
		})

		t.Run("the same key with other variables", func(t *testing.T) {
			a.doKeyed(t, root, "invite-reused", createInviteQ, map[string]any{"email": "first@example.com"})
			before := count(t, db, "invite")
			for _, tc := range []struct {
				accept string
				status int
			}{{request.GraphQLResponseJSON, http.StatusUnprocessableEntity}, {request.JSON, http.StatusOK}} {
				t.Run(tc.accept, func(t *testing.T) {
					r := a.doKeyed(t, root, "invite-reused", createInviteQ, map[string]any{"email": "second@example.com"}, "Accept: "+tc.accept)
					wantConflict(t, r, "IDEMPOTENCY_KEY_REUSED")
					if r.status != tc.status {
						t.Fatalf("status = %d, want %d", r.status, tc.status)
					}
				})
			}
			// Another operation with the key is refused too.
			wantConflict(t, a.doKeyed(t, root, "invite-reused", `mutation { logout { revokedSessions } }`, nil), "IDEMPOTENCY_KEY_REUSED")
			if n := count(t, db, "invite"); n != before {
				t.Fatalf("a refused request made %d invites", n-before)
			}
		})

		// Keys are the credential's: the same key under two tokens is two
		// keys.
		t.Run("scoped per credential", func(t *testing.T) {
			other := mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase")).AccessToken
			if other == root {
				t.Fatal("the second sign-in has the first one's token")
			}
			var p1, p2 invitePayload
			r1 := a.doKeyed(t, root, "shared-key", createInviteQ, map[string]any{"email": "scope1@example.com"})
			r2 := a.doKeyed(t, other, "shared-key", createInviteQ, map[string]any{"email": "scope2@example.com"})
			r1.decode(t, "createInvite", &p1)
			r2.decode(t, "createInvite", &p2)
			if replayed(r2) || len(p1.Errors)+len(p2.Errors) > 0 || p2.Invite.Email != "scope2@example.com" {
				t.Fatalf("answers: %s\n%s", r1.raw, r2.raw)
			}
			// Unauthenticated, the key alone scopes it.
			vars := map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "anon@example.com", "password": "a scoped retry passphrase"}}
			var anon ticketPayload
			a.doKeyed(t, "", "shared-key", registerQ, vars).decode(t, "register", &anon)
			mustTicket(t, anon)
			wantConflict(t, a.doKeyed(t, "", "shared-key", registerQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "anon2@example.com", "password": "a scoped retry passphrase"}}), "IDEMPOTENCY_KEY_REUSED")
		})

		t.Run("malformed keys", func(t *testing.T) {
			for name, key := range map[string]string{
				"empty":         "",
				"too long":      strings.Repeat("k", 256),
				"not printable": "key\x7f",
				"not ASCII":     "clé",
			} {
				t.Run(name, func(t *testing.T) {
					r := a.doKeyed(t, root, key, createInviteQ, map[string]any{"email": "malformed@example.com"}, "Accept: "+request.GraphQLResponseJSON)
					if e := r.topLevel(t); e.Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(e.Message, graph.IdempotencyKeyHeader) || r.status != http.StatusBadRequest || r.Data != nil {
						t.Fatalf("answer %d %s", r.status, r.raw)
					}
				})
			}
			t.Run("twice", func(t *testing.T) {
				r := a.doKeyed(t, root, "one", createInviteQ, map[string]any{"email": "malformed@example.com"}, graph.IdempotencyKeyHeader+": two")
				if e := r.topLevel(t); e.Extensions["code"] != "BAD_USER_INPUT" {
					t.Fatalf("answer %s", r.raw)
				}
			})
			t.Run("the longest", func(t *testing.T) {
				var p invitePayload
				a.doKeyed(t, root, strings.Repeat("~", 255), createInviteQ, map[string]any{"email": "longest@example.com"}).decode(t, "createInvite", &p)
				if len(p.Errors) > 0 {
					t.Fatalf("errors %+v", p.Errors)
				}
			})
			// Queries ignore the header, even malformed.
			t.Run("on a query", func(t *testing.T) {
				var me struct{ Email string }
				a.doKeyed(t, root, "", currentUserQ, nil).decode(t, "currentUser", &me)
				if me.Email != "root@example.com" {
					t.Fatalf("currentUser = %+v", me)
				}
			})
		})

		// A request that never reaches the resolvers claims nothing: the
		// key stays free for the request fixed.
		t.Run("a request error claims nothing", func(t *testing.T) {
			before := count(t, db, "idempotency_record")
			for _, q := range []string{`mutation { createInvite(input: {}) { inviteToken } }`, `mutation {`} {
				if r := a.doKeyed(t, root, "fixed-later", q, nil); len(r.Errors) == 0 || r.Data != nil {
					t.Fatalf("answer %s", r.raw)
				}
			}
			if n := count(t, db, "idempotency_record"); n != before {
				t.Fatalf("%d records kept for request errors", n-before)
			}
			var p invitePayload
			r := a.doKeyed(t, root, "fixed-later", createInviteQ, map[string]any{"email": "fixed@example.com"})
			r.decode(t, "createInvite", &p)
			if replayed(r) || len(p.Errors) > 0 {
				t.Fatalf("answer %s", r.raw)
			}
		})

		// A persisted query is the text its hash names: sent by hash
		// alone, the retry is the same request. The miss claims
		// nothing.
		t.Run("persisted query", func(t *testing.T) {
			sum := sha256.Sum256([]byte(createInviteQ))
			ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
			vars := map[string]any{"email": "persisted@example.com"}
			post := func(params map[string]any) *response {
				t.Helper()
				r, err := a.keyedBody(root, ptr("persisted"), params)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			byHash := map[string]any{"extensions": ext, "variables": vars}
			if e := post(byHash).topLevel(t); e.Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
				t.Fatalf("error = %+v", e)
			}
			first := post(map[string]any{"query": createInviteQ, "extensions": ext, "variables": vars})
			var p invitePayload
			first.decode(t, "createInvite", &p)
			if len(p.Errors) > 0 {
				t.Fatalf("errors %+v", p.Errors)
			}
			wantReplay(t, first, post(byHash))
		})

		// A cookie sign-in's retry gets the cookie too.
		t.Run("cookies are replayed", func(t *testing.T) {
			first := a.doKeyed(t, root, "cookie", createSessionQ, nil)
			second := a.doKeyed(t, root, "cookie", createSessionQ, nil)
			wantReplay(t, first, second)
			c1, c2 := first.header.Values("Set-Cookie"), second.header.Values("Set-Cookie")
			if len(c1) != 1 || !strings.Contains(c1[0], "gatehouse-user-session=") || strings.Join(c1, "\n") != strings.Join(c2, "\n") {
				t.Fatalf("Set-Cookie: %q, then %q", c1, c2)
			}
		})

		t.Run("expired records are not replayed", func(t *testing.T) {
			vars := map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "expiry@example.com", "password": "an expiring passphrase"}}
			first := a.doKeyed(t, "", "expiring", registerQ, vars)
			clock.Advance(24*time.Hour - time.Second)
			wantReplay(t, first, a.doKeyed(t, "", "expiring", registerQ, vars))
			clock.Advance(time.Second)
			r := a.doKeyed(t, "", "expiring", registerQ, vars)
			var p ticketPayload
			r.decode(t, "register", &p)
			if replayed(r) {
				t.Fatal("an expired record was replayed")
			}
			wantError(t, p.Errors, "DUPLICATE")
		})

		// The row holds neither the variables nor the answer's tokens nor
		// the key in clear.
		t.Run("stored sealed", func(t *testing.T) {
			const pw, email, key = "a passphrase to look for", "sealed@example.com", "look-for-this-key"
			r := a.doKeyed(t, root, key, registerQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": email, "password": pw}})
			var p ticketPayload
			r.decode(t, "register", &p)
			tk := mustTicket(t, p)
			rows, err := db.Bun().QueryContext(t.Context(), "SELECT id, fingerprint, state, owner, status, body, locked_until, created_at, expires_at FROM idempotency_record")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var cols [9]any
				ptrs := make([]any, len(cols))
				for i := range cols {
					ptrs[i] = &cols[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				row := fmt.Sprint(cols)
				for _, clear := range []string{pw, email, key, root, tk.AccessToken, "accessToken", "sealed%40example.com"} {
					if strings.Contains(row, clear) {
						t.Fatalf("a row holds %q in clear: %s", clear, row)
					}
				}
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatal("no rows read")
			}
		})
	})
}

// A retry while the first request runs waits for it and replays its
// answer; past the wait it is refused IN_PROGRESS.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := clocktest.New(time.Now().UTC())
		// Long enough for any machine: the test ends the wait itself.
		a, hs := idemAPI(t, db, clock, func(o *graph.HandlerOptions) { o.Idempotency.Wait = time.Minute })
		root := a.admin(t)

		t.Run("waits, then replays", func(t *testing.T) {
			before := count(t, db, "invite")
			// The first request, done, waits to keep its answer until
			// the second has polled the record at least twice.
			start := hs.claims.Load()
			hs.beforeComplete = func() {
				for deadline := time.Now().Add(30 * time.Second); hs.claims.Load() < start+3 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
			}
			defer func() { hs.beforeComplete = nil }()
			vars := map[string]any{"email": "concurrent@example.com"}
			var rs [2]*response
			var errs [2]error
			var wg sync.WaitGroup
			wg.Go(func() { rs[0], errs[0] = a.keyed(root, ptr("concurrent"), createInviteQ, vars) })
			// The second goes once the first holds the key.
			for deadline := time.Now().Add(30 * time.Second); hs.claims.Load() < start+1; {
				if time.Now().After(deadline) {
					t.Fatal("the first request never claimed the key")
				}
				time.Sleep(time.Millisecond)
			}
			wg.Go(func() { rs[1], errs[1] = a.keyed(root, ptr("concurrent"), createInviteQ, vars) })
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if hs.claims.Load() < start+3 {
				t.Fatalf("the second request claimed %d times: it did not wait", hs.claims.Load()-start-1)
			}
			wantReplay(t, rs[0], rs[1])
			if n := count(t, db, "invite") - before; n != 1 {
				t.Fatalf("%d invites made, want 1", n)
			}
		})
	})
}

func TestIdempotencyKeyInProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := clocktest.New(time.Now().UTC())
		a, hs := idemAPI(t, db, clock, func(o *graph.HandlerOptions) { o.Idempotency.Wait = 100 * time.Millisecond })
		root := a.admin(t)
		// The first request holds its answer until the second is
		// answered.
		second := make(chan struct{})
		hs.beforeComplete = func() { <-second }
		vars := map[string]any{"email": "slow@example.com"}
		var first *response
		var firstErr error
		var wg sync.WaitGroup
		wg.Go(func() { first, firstErr = a.keyed(root, ptr("slow"), createInviteQ, vars) })
		for deadline := time.Now().Add(30 * time.Second); hs.claims.Load() < 1; {
			if time.Now().After(deadline) {
				close(second)
				t.Fatal("the first request never claimed the key")
			}
			time.Sleep(time.Millisecond)
		}
		r := a.doKeyed(t, root, "slow", createInviteQ, vars, "Accept: "+request.GraphQLResponseJSON)
		close(second)
		wg.Wait()
		hs.beforeComplete = nil
		e := wantConflict(t, r, "IN_PROGRESS")
		if want := "The request conflicted with another request. You may retry the request with the provided Idempotency-Key."; e.Message != want {
			t.Fatalf("message = %q, want %q", e.Message, want)
		}
		if r.status != http.StatusConflict {
			t.Fatalf("status = %d, want 409", r.status)
		}
		if firstErr != nil {
			t.Fatal(firstErr)
		}
		// Once the first is done, the retry replays it.
		wantReplay(t, first, a.doKeyed(t, root, "slow", createInviteQ, vars))
	})
}

// A shed answer is not kept: the retry runs.
func TestIdempotencyKeyRateLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := clocktest.New(time.Now().UTC())
		a, _ := idemAPI(t, db, clock, func(o *graph.HandlerOptions) {
			o.RateLimits = graph.RateLimits{
				Limiter:    ratelimit.NewMemory(0),
				PerIP:      ratelimit.Rate{Burst: 1, Per: time.Minute},
				Identifier: ratelimit.Rate{Burst: 100, Per: time.Minute},
				Now:        clock.Now,
			}
		})
		reg := func(email string) map[string]any {
			return map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": email, "password": "a limited passphrase"}}
		}
		var p ticketPayload
		a.doKeyed(t, "", "limited-1", registerQ, reg("limited1@example.com")).decode(t, "register", &p)
		mustTicket(t, p)
		kept := count(t, db, "idempotency_record")
		wantRateLimited(t, a.doKeyed(t, "", "limited-2", registerQ, reg("limited2@example.com")))
		if n := count(t, db, "idempotency_record"); n != kept {
			t.Fatalf("a RATE_LIMITED answer was kept (%d records, was %d)", n, kept)
		}
		clock.Advance(time.Minute)
		r := a.doKeyed(t, "", "limited-2", registerQ, reg("limited2@example.com"))
		r.decode(t, "register", &p)
		if replayed(r) {
			t.Fatal("the retry was replayed")
		}
		mustTicket(t, p)
	})
}

func ptr[T any](v T) *T { return &v }
