package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// cutProxy forwards TCP to a server until cut, which closes every
// connection and refuses new ones: a database outage for this test alone,
// leaving the shared server running.
type cutProxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.down.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() { p.down.Store(false) }

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
	p := newCutProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	db := storetest.MustOpen(t, u.String())
	a := newAPI(t, db)
	tok, _ := a.signUpCustomer(t, "outage@example.com")

	p.cut()
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

	p.restore()
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
