package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/ratelimit"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// queryCounter counts the statements a database runs.
type queryCounter struct {
	n atomic.Int64
	// mu guards log and what it writes: a query's root fields run side
	// by side.
	mu  sync.Mutex
	log func(string)
}

func (q *queryCounter) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	q.n.Add(1)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.log != nil {
		q.log(e.Query)
	}
	return ctx
}

// setLog has every statement from now on passed to log (nil: none).
func (q *queryCounter) setLog(log func(string)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.log = log
}
func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// Known and unknown accounts cost the same statements and the same hashing,
// for a sign-in with a wrong password and for a reset request.
func TestEnumerationWork(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		mustTicket(t, a.register(t, "CUSTOMER", "known@example.com", "the stored password", ""))
		mover, _ := a.signUpCustomer(t, "mover@example.com")
		counter := &queryCounter{}
		//lint:ignore SA1019 the hook must reach the *bun.DB the API already holds; WithQueryHook returns a copy
		db.Bun().AddQueryHook(counter)
		work := func(f func()) (queries int64, hashes uint64) {
			q0, h0 := counter.n.Load(), a.Hasher.Derivations()
			f()
			return counter.n.Load() - q0, a.Hasher.Derivations() - h0
		}
		for _, tc := range []struct {
			name string
			// hashes says the operation checks a password: then both
			// sides must hash, not merely hash equally (0 = 0).
			hashes bool
			run    func(email string) func()
		}{
			{"authenticate with a wrong password", true, func(email string) func() {
				return func() { a.authenticate(t, "CUSTOMER", email, "a wrong password") }
			}},
			{"createUserAuthTicket with a wrong password", true, func(email string) func() {
				return func() {
					a.do(t, "", `mutation($e: String) { createUserAuthTicket(input: {emailAddress: $e, password: "a wrong password"}) { ticket { accessToken } errors { code } } }`, map[string]any{"e": email})
				}
			}},
			{"generateResetPasswordToken", false, func(email string) func() {
				return func() { a.requestReset(t, "CUSTOMER", email) }
			}},
			{"requestEmailCode", false, func(email string) func() {
				return func() {
					a.do(t, "", `mutation($e: String!) { requestEmailCode(actor: CUSTOMER, input: {email: $e}) { accepted } }`, map[string]any{"e": email})
				}
			}},
			{"requestEmailChange", false, func(email string) func() {
				return func() {
					if p := a.requestEmailChange(t, mover, email, nil); !p.Accepted {
						t.Fatalf("requestEmailChange: %+v", p.Errors)
					}
				}
			}},
			{"sendEmailVerification", false, func(email string) func() {
				return func() {
					a.do(t, "", `mutation($e: String!) { sendEmailVerification(actor: CUSTOMER, provider: "emailpass", input: {identifier: $e}) { accepted } }`, map[string]any{"e": email})
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				kq, kh := work(tc.run("known@example.com"))
				uq, uh := work(tc.run("unknown@example.com"))
				if kq != uq || kh != uh || kq < 1 || (tc.hashes && kh < 1) {
					t.Fatalf("known account: %d statements, %d hashes; unknown: %d statements, %d hashes (want equal, and not none)", kq, kh, uq, uh)
				}
			})
		}
		// An admin address without an account gets no code, after the
		// same work as one with an account.
		t.Run("requestEmailCode for admin users", func(t *testing.T) {
			a.admin(t)
			ask := func(email string) func() {
				return func() {
					r := a.do(t, "", `mutation($e: String!) { requestEmailCode(actor: USER, input: {email: $e}) { accepted } }`, map[string]any{"e": email})
					if !strings.Contains(string(r.raw), `"accepted":true`) {
						t.Fatalf("requestEmailCode: %s", r.raw)
					}
				}
			}
			before := len(a.events(t, "auth.email_code"))
			kq, _ := work(ask("root@example.com"))
			uq, _ := work(ask("nobody-admin@example.com"))
			if kq != uq || kq < 1 {
				t.Fatalf("known admin: %d statements; unknown: %d (want equal, and not none)", kq, uq)
			}
			if n := len(a.events(t, "auth.email_code")) - before; n != 1 {
				t.Fatalf("%d auth.email_code events, want 1 (the known admin's)", n)
			}
		})
	})
}

// statementCounts are the statements each hot operation runs, exactly, as
// PostgreSQL's log_statement = all would log them (BEGIN and COMMIT
// included), on both databases. More is a regression; fewer, lower the
// count here. A refresh is the rate limiter's one statement and one
// transaction of six (BEGIN, the token with its session and identity, the
// claim, the next token, the session's activity, COMMIT); a sign-in is the
// limiter, the identity found and the attempt counted in one, then
// BEGIN, the attempts forgotten with the identity loaded, the session, its
// refresh token, auth.login_succeeded and its deliveries, COMMIT.
var statementCounts = []struct {
	name  string
	query string
	// vars and bearer are filled in by the test from a signed-in
	// customer with one address.
	vars   func(f *countFixture) map[string]any
	bearer bool
	// admin sends an owner's bearer token instead.
	admin bool
	want  int
}{
	{"currentCustomer with addresses", `{ currentCustomer { id email firstName addresses { id city } } }`, nil, true, false, 2},
	{"currentCustomer without addresses", `{ currentCustomer { id email firstName } }`, nil, true, false, 1},
	{"refreshToken without the customer", `mutation($t: String) { refreshToken(input: {refreshToken: $t}) { ticket { accessToken refreshToken } errors { code } } }`,
		func(f *countFixture) map[string]any { return map[string]any{"t": f.refresh} }, false, false, 7},
	{"password sign-in, limiter included", `mutation($e: String!) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: "correct horse battery"}) { ticket { accessToken refreshToken } errors { code } } }`,
		func(f *countFixture) map[string]any { return map[string]any{"e": f.email} }, false, false, 10},
	// A dashboard screen of three admin fields loads the admin (session,
	// user, roles) once: 3, then the customer 1, the search's page and
	// count 2, the audit log's page and count 2.
	{"dashboard screen of three admin fields", `query($id: ID!) { customer(id: $id) { id email } customers(first: 5) { totalCount nodes { id } } auditLog(first: 5) { totalCount nodes { id } } }`,
		func(f *countFixture) map[string]any { return map[string]any{"id": f.customerID} }, false, true, 8},
}

// countFixture is a signed-in customer with one address.
type countFixture struct {
	email      string
	customerID string
	admin      string
	access     string
	refresh    string
}

func TestStatementsPerOperation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPIWith(t, db, func(o *graph.HandlerOptions) {
			o.RateLimits = graph.RateLimits{Limiter: db.RateLimiter(),
				PerIP: ratelimit.Rate{Burst: 1000, Per: time.Minute}, Identifier: ratelimit.Rate{Burst: 1000, Per: time.Minute}}
		})
		f := &countFixture{email: "count@example.com"}
		var cus *customer
		f.access, cus = a.signUpCustomer(t, f.email)
		f.customerID = cus.ID
		f.admin = a.admin(t)
		if r := a.do(t, f.access, addAddressQ, map[string]any{"input": map[string]any{"addressName": "home", "city": "Lyon", "countryCode": "fr"}}); len(r.Errors) > 0 {
			t.Fatalf("add address: %s", r.raw)
		}
		f.refresh = *mustTicket(t, a.authenticate(t, "CUSTOMER", f.email, "correct horse battery")).RefreshToken
		counter := &queryCounter{}
		//lint:ignore SA1019 the hook must reach the *bun.DB the API already holds; WithQueryHook returns a copy
		db.Bun().AddQueryHook(counter)
		for _, tc := range statementCounts {
			t.Run(tc.name, func(t *testing.T) {
				var vars map[string]any
				if tc.vars != nil {
					vars = tc.vars(f)
				}
				bearer := ""
				if tc.bearer {
					bearer = f.access
				}
				if tc.admin {
					bearer = f.admin
				}
				before := counter.n.Load()
				var statements []string
				counter.setLog(func(q string) { statements = append(statements, q) })
				r := a.do(t, bearer, tc.query, vars)
				counter.setLog(nil)
				n := counter.n.Load() - before
				if len(r.Errors) > 0 || bytes.Contains(r.Data, []byte(`"code"`)) {
					t.Fatalf("answer: %s", r.raw)
				}
				if rt := newRefresh(r.Data); rt != "" {
					f.refresh = rt
				}
				want := tc.want
				if db.Dialect() == "sqlite" && strings.HasPrefix(tc.name, "password sign-in") {
					// Recording the sign-in's time on the provider
					// identity and the customer is one statement on
					// PostgreSQL (a CTE), two on SQLite.
					want++
				}
				if n < 1 || n != int64(want) {
					t.Errorf("%d statements, want %d:\n%s", n, want, strings.Join(statements, "\n"))
				}
			})
		}
	})
}

// newRefresh finds a rotated refresh token in an answer's data.
func newRefresh(data []byte) string {
	var d map[string]struct {
		Ticket *struct {
			RefreshToken string `json:"refreshToken"`
		} `json:"ticket"`
	}
	if json.Unmarshal(data, &d) != nil {
		return ""
	}
	for _, p := range d {
		if p.Ticket != nil && p.Ticket.RefreshToken != "" {
			return p.Ticket.RefreshToken
		}
	}
	return ""
}
