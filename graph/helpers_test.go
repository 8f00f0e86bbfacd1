package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/request"
	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/store"
)

// api is the real HTTP handler (middleware, GraphQL handler, service,
// store) on a real database, with the log captured.
type api struct {
	*authtest.Env
	h   http.Handler
	log *syncBuffer
	// verifiers holds the callbackVerifier of each third-party sign-in
	// startOAuth began, by state (oauth_test.go).
	verifiers sync.Map
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newAPI builds the API on db; opts adjust the server's options.
func newAPI(t testing.TB, db *store.DB, opts ...func(*server.Options)) *api {
	t.Helper()
	return newAPIWith(t, db, nil, opts...)
}

// newAPIWith builds the API on db; gopts adjusts the GraphQL handler's
// options, opts the server's.
func newAPIWith(t testing.TB, db *store.DB, gopts func(*graph.HandlerOptions), opts ...func(*server.Options)) *api {
	t.Helper()
	return buildAPI(t, db, nil, gopts, opts...)
}

// buildAPI builds the API on db; aopts adjusts the auth service's options,
// gopts the GraphQL handler's, opts the server's.
func buildAPI(t testing.TB, db *store.DB, aopts func(*auth.Options), gopts func(*graph.HandlerOptions), opts ...func(*server.Options)) *api {
	t.Helper()
	var env *authtest.Env
	if aopts != nil {
		env = authtest.New(t, db, aopts)
	} else {
		env = authtest.New(t, db)
	}
	logs := &syncBuffer{}
	log := slog.New(request.LogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ho := graph.HandlerOptions{Auth: env.Service, Logger: log, Introspection: true}
	if gopts != nil {
		gopts(&ho)
	}
	gql := graph.NewHandler(ho)
	o := server.Options{Logger: log, GraphQL: gql, Playground: true, AllowedOrigins: []string{"https://shop.example"}}
	for _, f := range opts {
		f(&o)
	}
	h := server.New(o)
	return &api{Env: env, h: h, log: logs}
}

// gqlError is a top-level GraphQL error as a client sees it.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	raw    []byte
	header http.Header
	status int
}

// do posts a GraphQL request with an optional bearer token.
func (a *api) do(t testing.TB, bearer, query string, vars map[string]any) *response {
	t.Helper()
	r, err := a.post(bearer, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// post is do without a test: it returns what went wrong instead of
// failing, so that goroutines may call it and report back to the test's
// own goroutine (FailNow must not run anywhere else).
func (a *api) post(bearer, query string, vars map[string]any) (*response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return a.serve(req)
}

func (a *api) send(t testing.TB, req *http.Request) *response {
	t.Helper()
	r, err := a.serve(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (a *api) serve(req *http.Request) (*response, error) {
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	r := &response{raw: raw, header: rec.Header(), status: rec.Code}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("response is not JSON: %v\n%s", err, raw)
	}
	return r, nil
}

// decode reads data.<field> into v and fails on any top-level error.
func (r *response) decode(t testing.TB, field string, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %s", r.raw)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("data: %v\n%s", err, r.raw)
	}
	if err := json.Unmarshal(data[field], v); err != nil {
		t.Fatalf("data.%s: %v\n%s", field, err, r.raw)
	}
}

// topLevel returns the only top-level error, failing otherwise.
func (r *response) topLevel(t testing.TB) gqlError {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want exactly one top-level error, got: %s", r.raw)
	}
	return r.Errors[0]
}

type authError struct {
	Code    string   `json:"code"`
	Type    string   `json:"type"`
	Message string   `json:"message"`
	Field   []string `json:"field"`
}

type ticket struct {
	AccessToken           string  `json:"accessToken"`
	AccessTokenExpiration string  `json:"accessTokenExpiration"`
	RefreshToken          *string `json:"refreshToken"`
	RefreshExpiration     *string `json:"refreshTokenExpiration"`
	SessionID             string  `json:"sessionId"`
	UserID                string  `json:"userId"`
	ActorType             string  `json:"actorType"`
	ActorID               *string `json:"actorId"`
	CustomerAccount       *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"customerAccount"`
	User *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
}

type ticketPayload struct {
	Ticket   *ticket     `json:"ticket"`
	Location *string     `json:"location"`
	Errors   []authError `json:"errors"`
}

const ticketFields = `ticket { accessToken accessTokenExpiration refreshToken refreshTokenExpiration sessionId userId actorType actorId customerAccount { id email } user { id email } } errors { code type message field }`

const (
	registerQ = `mutation($actor: ActorType!, $input: RegisterInput!) { register(actor: $actor, provider: "emailpass", input: $input) { ` + ticketFields + ` } }`
	authQ     = `mutation($actor: ActorType!, $provider: String! = "emailpass", $input: AuthenticateInput) { authenticate(actor: $actor, provider: $provider, input: $input) { location ` + ticketFields + ` } }`
	refreshQ  = `mutation($input: RefreshTokenInput) { refreshToken(input: $input) { ` + ticketFields + ` } }`
	logoutQ   = `mutation($all: Boolean) { logout(input: {allSessions: $all}) { revokedSessions errors { code type message field } } }`
)

func (a *api) register(t testing.TB, actor, email, pw, invite string) ticketPayload {
	t.Helper()
	in := map[string]any{"email": email, "password": pw}
	if invite != "" {
		in["inviteToken"] = invite
	}
	var p ticketPayload
	a.do(t, "", registerQ, map[string]any{"actor": actor, "input": in}).decode(t, "register", &p)
	return p
}

func (a *api) authenticate(t testing.TB, actor, email, pw string) ticketPayload {
	t.Helper()
	var p ticketPayload
	a.do(t, "", authQ, map[string]any{"actor": actor, "input": map[string]any{"email": email, "password": pw}}).decode(t, "authenticate", &p)
	return p
}

// refresh re-signs a bearer token (no refresh token).
func (a *api) refresh(t testing.TB, bearer string) ticketPayload {
	t.Helper()
	var p ticketPayload
	a.do(t, bearer, refreshQ, nil).decode(t, "refreshToken", &p)
	return p
}

// rotate exchanges a refresh token, without a bearer token.
func (a *api) rotate(t testing.TB, refreshToken string) ticketPayload {
	t.Helper()
	var p ticketPayload
	a.do(t, "", refreshQ, map[string]any{"input": map[string]any{"refreshToken": refreshToken}}).decode(t, "refreshToken", &p)
	return p
}

// mustTicket fails unless p succeeded.
func mustTicket(t testing.TB, p ticketPayload) *ticket {
	t.Helper()
	if len(p.Errors) > 0 || p.Ticket == nil {
		t.Fatalf("want a ticket, got errors %+v", p.Errors)
	}
	return p.Ticket
}

// wantError fails unless errs is exactly one error with the given code.
func wantError(t testing.TB, errs []authError, code string) authError {
	t.Helper()
	if len(errs) != 1 || errs[0].Code != code {
		t.Fatalf("want one %s error, got %+v", code, errs)
	}
	return errs[0]
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
