package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// testEnv returns a getenv for a test instance on databaseURL: port 0, fast
// password hashing, a fixed secret.
func testEnv(databaseURL string, extra ...string) func(string) string {
	vars := testEnvVars(databaseURL, extra...)
	return func(k string) string { return vars[k] }
}

// testEnvVars is testEnv's variables: the test defaults, then extra's
// name, value pairs.
func testEnvVars(databaseURL string, extra ...string) map[string]string {
	vars := map[string]string{
		"GATEHOUSE_ADDR":               "127.0.0.1:0",
		"GATEHOUSE_DATABASE_URL":       databaseURL,
		"GATEHOUSE_ARGON2_MEMORY_KIB":  "64",
		"GATEHOUSE_ARGON2_ITERATIONS":  "1",
		"GATEHOUSE_JWT_SECRET":         "an-end-to-end-test-secret-of-40-bytes!!",
		"GATEHOUSE_SHUTDOWN_TIMEOUT":   "15s",
		"GATEHOUSE_ARGON2_PARALLELISM": "1",
		// In-process servers would each add niced threads and Go
		// processors to the test binary; TestHashThreadsNiced covers it.
		"GATEHOUSE_HASH_NICE": "0",
		// Tests sign in far faster than people; the limits have tests
		// of their own.
		"GATEHOUSE_RATE_LIMIT_IP":         "100000/1m",
		"GATEHOUSE_RATE_LIMIT_IDENTIFIER": "100000/1m",
		// Under the race detector on a busy machine a healthy take can
		// outlast the 100 ms default and open the breaker; the outage
		// tests still see a dead backend refused at once.
		"GATEHOUSE_RATE_LIMIT_TIMEOUT": "2s",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return vars
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs the real `serve` command on port 0 and returns its base
// URL and captured log. The server stops when the test ends.
func startServer(t *testing.T, getenv func(string) string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	e := env{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs,
		listening: func(addr string) { addrc <- addr }}
	go func() { done <- runEnv(ctx, e, []string{"serve"}) }()
	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("server stopped before listening: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start\n%s", logs)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	waitHealthy(t, base)
	return base, logs
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

// client speaks GraphQL to a running server.
type client struct {
	t    *testing.T
	base string
}

type result struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (c client) do(bearer, query string, vars map[string]any) result {
	c.t.Helper()
	r, err := c.post(bearer, query, vars)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// post is do without failing the test, for goroutines: they report the
// error back to the test's own goroutine.
func (c client) post(bearer, query string, vars map[string]any) (result, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		return result{}, fmt.Errorf("not JSON: %s", raw)
	}
	return r, nil
}

// field decodes data.<name> into v, failing on top-level errors or a
// non-empty errors list in the payload.
func (c client) field(r result, name string, v any) {
	c.t.Helper()
	if len(r.Errors) > 0 {
		c.t.Fatalf("%s: top-level errors %+v", name, r.Errors)
	}
	if err := json.Unmarshal(r.Data[name], v); err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	var p struct {
		Errors []map[string]any `json:"errors"`
	}
	_ = json.Unmarshal(r.Data[name], &p)
	if len(p.Errors) > 0 {
		c.t.Fatalf("%s: payload errors %+v", name, p.Errors)
	}
}

// payloadCode returns the code of the single payload error of data.<name>.
func (c client) payloadCode(r result, name string) string {
	c.t.Helper()
	var p struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if err := json.Unmarshal(r.Data[name], &p); err != nil || len(p.Errors) != 1 {
		c.t.Fatalf("%s: want one payload error, got %s %+v", name, r.Data[name], r.Errors)
	}
	return p.Errors[0].Code
}

type tk struct {
	Ticket struct {
		AccessToken  string  `json:"accessToken"`
		RefreshToken string  `json:"refreshToken"`
		ActorID      *string `json:"actorId"`
		UserID       string  `json:"userId"`
	} `json:"ticket"`
}

const (
	ticketQ = `ticket { accessToken refreshToken actorId userId } errors { code message field }`
	rotateQ = `mutation($t: String) { refreshToken(input: {refreshToken: $t}) { ` + ticketQ + ` } }`
)

func TestEndToEnd(t *testing.T) {
	for _, db := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run("database="+db.name, func(t *testing.T) {
			url := db.url(t)
			// The development log subscriber prints events with their
			// tokens by design (an invite's, here): off, so that the
			// log is checked for secrets whenever the outbox runs.
			getenv := testEnv(url, "GATEHOUSE_LOG_EVENTS", "false")
			base, logs := startServer(t, getenv)
			const ticket = `ticket { accessToken actorId userId } errors { code message field }`
			secrets := []string{}

			t.Run("customer", func(t *testing.T) {
				c := client{t, base} // this subtest's t: FailNow must not reach the parent
				var reg tk
				c.field(c.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "e2e@example.com", password: "end to end password"}) { `+ticket+` } }`, nil), "register", &reg)
				if reg.Ticket.ActorID != nil {
					t.Fatal("registration ticket has an actor")
				}
				var created struct{ Customer struct{ ID string } }
				c.field(c.do(reg.Ticket.AccessToken, `mutation { createCustomer(input: {firstName: "E", lastName: "Two"}) { customer { id email } errors { code } } }`, nil), "createCustomer", &created)
				var refreshed tk
				c.field(c.do(reg.Ticket.AccessToken, `mutation { refreshToken { `+ticket+` } }`, nil), "refreshToken", &refreshed)
				if refreshed.Ticket.ActorID == nil || *refreshed.Ticket.ActorID != created.Customer.ID {
					t.Fatalf("refreshed ticket has actor %v, want %s", refreshed.Ticket.ActorID, created.Customer.ID)
				}
				var signedIn tk
				c.field(c.do("", `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "E2E@example.com", password: "end to end password"}) { `+ticket+` } }`, nil), "authenticate", &signedIn)
				bearer := signedIn.Ticket.AccessToken
				secrets = append(secrets, reg.Ticket.AccessToken, refreshed.Ticket.AccessToken, bearer, "end to end password")

				var me struct {
					ID        string
					Email     string
					Addresses []any
				}
				c.field(c.do(bearer, `{ currentCustomer { id email addresses { id } } }`, nil), "currentCustomer", &me)
				if me.ID != created.Customer.ID || me.Email != "e2e@example.com" || len(me.Addresses) != 0 {
					t.Fatalf("currentCustomer = %+v", me)
				}
				var added struct{ Address struct{ ID string } }
				c.field(c.do(bearer, `mutation { addCustomerAddress(input: {city: "Oslo", countryCode: "no"}) { address { id } errors { code } } }`, nil), "addCustomerAddress", &added)
				var updated struct{ Address struct{ City string } }
				c.field(c.do(bearer, `mutation($id: ID!) { updateCustomerAddress(id: $id, input: {city: "Bergen"}) { address { city } errors { code } } }`, map[string]any{"id": added.Address.ID}), "updateCustomerAddress", &updated)
				if updated.Address.City != "Bergen" {
					t.Fatalf("city = %q", updated.Address.City)
				}
				var deleted struct {
					ID      string
					Deleted bool
				}
				c.field(c.do(bearer, `mutation($id: ID!) { deleteCustomerAddress(id: $id) { id deleted errors { code } } }`, map[string]any{"id": added.Address.ID}), "deleteCustomerAddress", &deleted)
				if !deleted.Deleted || deleted.ID != added.Address.ID {
					t.Fatalf("delete = %+v", deleted)
				}

				// Error paths, end to end.
				if code := c.payloadCode(c.do("", `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "e2e@example.com", password: "wrong password"}) { `+ticket+` } }`, nil), "authenticate"); code != "INVALID_CREDENTIALS" {
					t.Fatalf("wrong password: %s", code)
				}
				if code := c.payloadCode(c.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "e2e@example.com", password: "end to end password"}) { `+ticket+` } }`, nil), "register"); code != "DUPLICATE" {
					t.Fatalf("duplicate: %s", code)
				}
				if r := c.do("", `{ currentCustomer { id } }`, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
					t.Fatalf("no token: %+v", r.Errors)
				}
			})

			t.Run("user", func(t *testing.T) {
				c := client{t, base} // this subtest's t: FailNow must not reach the parent
				var out bytes.Buffer
				e := env{getenv: getenv, stdin: strings.NewReader("first admin password\n"), stdout: &out, stderr: io.Discard}
				if err := runEnv(context.Background(), e, []string{"users", "create", "--email", "Root@Example.com", "--password-stdin", "--first-name", "Root"}); err != nil {
					t.Fatalf("users create: %v", err)
				}
				if !strings.Contains(out.String(), "created admin user user_") {
					t.Fatalf("users create printed %q", out.String())
				}
				var root tk
				c.field(c.do("", `mutation { authenticate(actor: USER, provider: "emailpass", input: {email: "root@example.com", password: "first admin password"}) { `+ticket+` } }`, nil), "authenticate", &root)
				var inv struct{ InviteToken string }
				c.field(c.do(root.Ticket.AccessToken, `mutation { createInvite(input: {email: "second@example.com"}) { inviteToken errors { code } } }`, nil), "createInvite", &inv)
				var reg tk
				c.field(c.do("", `mutation($t: String) { register(actor: USER, provider: "emailpass", input: {email: "second@example.com", password: "another admin passphrase", inviteToken: $t}) { `+ticket+` } }`, map[string]any{"t": inv.InviteToken}), "register", &reg)
				var acc struct{ User struct{ ID string } }
				c.field(c.do(reg.Ticket.AccessToken, `mutation($t: String!) { acceptInvite(input: {inviteToken: $t, firstName: "Second"}) { user { id } errors { code } } }`, map[string]any{"t": inv.InviteToken}), "acceptInvite", &acc)
				var refreshed tk
				c.field(c.do(reg.Ticket.AccessToken, `mutation { refreshToken { `+ticket+` } }`, nil), "refreshToken", &refreshed)
				var me struct{ ID, Email string }
				c.field(c.do(refreshed.Ticket.AccessToken, `{ currentUser { id email } }`, nil), "currentUser", &me)
				if me.ID != acc.User.ID || me.Email != "second@example.com" {
					t.Fatalf("currentUser = %+v", me)
				}
				if code := c.payloadCode(c.do(reg.Ticket.AccessToken, `mutation($t: String!) { acceptInvite(input: {inviteToken: $t}) { user { id } errors { code } } }`, map[string]any{"t": inv.InviteToken}), "acceptInvite"); code != "NOT_ALLOWED" {
					t.Fatalf("accept twice: %s", code)
				}
				secrets = append(secrets, root.Ticket.AccessToken, inv.InviteToken, reg.Ticket.AccessToken, refreshed.Ticket.AccessToken, "first admin password", "another admin passphrase")
			})

			t.Run("sessions", func(t *testing.T) {
				c := client{t, base} // this subtest's t: FailNow must not reach the parent
				// A customer of its own, so that the subtest runs alone.
				var reg tk
				c.field(c.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "sessions@example.com", password: "many tabs passphrase"}) { `+ticket+` } }`, nil), "register", &reg)
				var customer struct{ Customer struct{ ID string } }
				c.field(c.do(reg.Ticket.AccessToken, `mutation { createCustomer(input: {firstName: "S"}) { customer { id } errors { code } } }`, nil), "createCustomer", &customer)
				secrets = append(secrets, reg.Ticket.AccessToken, "many tabs passphrase")
				var signedIn tk
				c.field(c.do("", `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "sessions@example.com", password: "many tabs passphrase"}) { `+ticketQ+` } }`, nil), "authenticate", &signedIn)
				var rotated tk
				c.field(c.do("", rotateQ, map[string]any{"t": signedIn.Ticket.RefreshToken}), "refreshToken", &rotated)
				if rotated.Ticket.RefreshToken == signedIn.Ticket.RefreshToken {
					t.Fatal("the refresh token did not rotate")
				}
				secrets = append(secrets, signedIn.Ticket.AccessToken, signedIn.Ticket.RefreshToken, rotated.Ticket.AccessToken, rotated.Ticket.RefreshToken)

				// Reuse: another sign-in's family is rotated twice; replaying
				// its first token (the parent of a used child) is reuse at
				// once, grace window or not, and ends that session.
				var victim, v2, v3 tk
				c.field(c.do("", `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "sessions@example.com", password: "many tabs passphrase"}) { `+ticketQ+` } }`, nil), "authenticate", &victim)
				c.field(c.do("", rotateQ, map[string]any{"t": victim.Ticket.RefreshToken}), "refreshToken", &v2)
				c.field(c.do("", rotateQ, map[string]any{"t": v2.Ticket.RefreshToken}), "refreshToken", &v3)
				if code := c.payloadCode(c.do("", rotateQ, map[string]any{"t": victim.Ticket.RefreshToken}), "refreshToken"); code != "TOKEN_INVALID" {
					t.Fatalf("reuse: %s", code)
				}
				if r := c.do(v3.Ticket.AccessToken, `{ currentCustomer { id } }`, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "REVOKED" {
					t.Fatalf("after reuse: %+v", r.Errors)
				}

				// A cookie session, driven by a browser-like client.
				jar, _ := cookiejar.New(nil)
				browser := &http.Client{Jar: jar}
				post := func(csrf, query string) (result, *http.Response) {
					body, _ := json.Marshal(map[string]any{"query": query})
					req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					if csrf != "" {
						req.Header.Set("X-CSRF-Token", csrf)
					}
					if strings.Contains(query, "createSession") {
						req.Header.Set("Authorization", "Bearer "+rotated.Ticket.AccessToken)
					}
					resp, err := browser.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					var r result
					if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
						t.Fatal(err)
					}
					return r, resp
				}
				r, resp := post("", `mutation { createSession { session { csrfToken customer { id } } errors { code } } }`)
				var created struct{ Session struct{ CSRFToken string } }
				c.field(r, "createSession", &created)
				cookies := resp.Cookies()
				if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode || created.Session.CSRFToken == "" {
					t.Fatalf("createSession cookies = %v", resp.Header.Values("Set-Cookie"))
				}
				secrets = append(secrets, cookies[0].Value, created.Session.CSRFToken)

				const update = `mutation { updateCustomer(input: {firstName: "Cookie"}) { customer { firstName } errors { code } } }`
				if r, _ := post("", update); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
					t.Fatalf("cookie mutation without CSRF: %+v", r)
				}
				r, _ = post(created.Session.CSRFToken, update)
				var updated struct{ Customer struct{ FirstName string } }
				c.field(r, "updateCustomer", &updated)
				if updated.Customer.FirstName != "Cookie" {
					t.Fatalf("cookie mutation with CSRF: %+v", updated)
				}

				var out struct{ RevokedSessions int }
				c.field(c.do(rotated.Ticket.AccessToken, `mutation { logout { revokedSessions errors { code } } }`, nil), "logout", &out)
				if out.RevokedSessions != 1 {
					t.Fatalf("logout = %+v", out)
				}
				if r, _ := post("", `{ currentCustomer { id } }`); len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "REVOKED" {
					t.Fatalf("cookie after logout: %+v", r.Errors)
				}
			})

			// The log holds no secret.
			t.Run("secrets in log", func(t *testing.T) {
				l := logs.String()
				for _, s := range secrets {
					if s != "" && strings.Contains(l, s) {
						t.Fatalf("log contains a secret (%.10s…)", s)
					}
				}
				if !strings.Contains(l, `"request_id"`) {
					t.Fatal("log lines lack request ids")
				}
			})
		})
	}
}

func TestServeRoutes(t *testing.T) {
	base, _ := startServer(t, testEnv(storetest.SQLite(t)))
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, `"ok"`},
		{"/readyz", 200, `"ok"`},
		{"/", 200, "graphiql"},
		{"/nope", 404, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(base + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(strings.ToLower(string(b)), strings.ToLower(tc.body)) {
				t.Fatalf("GET %s = %d %.200s", tc.path, resp.StatusCode, b)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Request-Id") == "" {
				t.Fatalf("headers = %v", resp.Header)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	runCmd := func(getenv func(string) string, stdin string, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}, args)
		return out.String(), errOut.String(), err
	}
	// The rows are a session at a terminal: each subtest replays the
	// commands before it on a database of its own, then checks its own,
	// so that it runs alone.
	rows := []struct {
		name    string
		stdin   string
		args    []string
		wantErr bool
		stdout  string
	}{
		{"help", "", []string{"--help"}, false, "Commands:"},
		{"serve help lists settings", "", []string{"serve", "--help"}, false, "GATEHOUSE_JWT_SECRET"},
		{"migrate help", "", []string{"migrate", "--help"}, false, "migrate up|down|status"},
		{"users help", "", []string{"users", "--help"}, false, "users create|import"},
		{"users create help", "", []string{"users", "create", "--help"}, false, "--password-stdin"},
		{"users import help", "", []string{"users", "import", "--help"}, false, "password_hash"},
		{"import help", "", []string{"import", "--help"}, false, "medusa"},
		{"import medusa help", "", []string{"import", "medusa", "--help"}, false, "--dry-run"},
		{"version", "", []string{"version"}, false, "gatehouse "},
		{"version help", "", []string{"version", "--help"}, false, "Usage: gatehouse version"},
		{"migrate status before", "", []string{"migrate", "status"}, false, "pending"},
		{"migrate up", "", []string{"migrate", "up"}, false, "applied 2026"},
		{"migrate up again", "", []string{"migrate", "up"}, false, "no pending migrations"},
		{"migrate status after", "", []string{"migrate", "status"}, false, "applied"},
		{"migrate down unconfirmed", "", []string{"migrate", "down"}, true, ""},
		{"migrate down", "", []string{"migrate", "down", "--yes"}, false, "rolled back"},
		{"migrate up after down", "", []string{"migrate", "up"}, false, "applied"},
		{"unknown command", "", []string{"fly"}, true, ""},
		{"migrate without verb", "", []string{"migrate"}, true, ""},
		{"users create without password-stdin", "", []string{"users", "create", "--email", "a@example.com"}, true, ""},
		{"users create with a short password", "short\n", []string{"users", "create", "--email", "a@example.com", "--password-stdin"}, true, ""},
		{"users create", "long enough password\n", []string{"users", "create", "--email", "a@example.com", "--password-stdin"}, false, "created admin user"},
		{"users create duplicate", "long enough password\n", []string{"users", "create", "--email", "A@example.com", "--password-stdin"}, true, ""},
		{"users import", `{"email":"imp@example.com","password_hash":"$2a$04$wYhj1jqzKmSbd7vCS0A1duxM3QwhCoBdpC0nsYv6gBwXHcb/3mWGK","first_name":"Imp"}` + "\n\n" + `{"email":"bad@example.com","password_hash":"nope"}` + "\nnot json\n",
			[]string{"users", "import", "--actor", "customer", "--file", "-"}, true, "imported 1 customers, 0 skipped, 2 failed"},
	}
	for i, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			getenv := testEnv(storetest.SQLite(t))
			for _, prev := range rows[:i] {
				_, _, _ = runCmd(getenv, prev.stdin, prev.args...)
			}
			out, errOut, err := runCmd(getenv, tc.stdin, tc.args...)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, stderr:\n%s", err, errOut)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Fatalf("stdout = %q, want it to contain %q", out, tc.stdout)
			}
		})
	}
}

func TestConfigProblemsReportedAtOnce(t *testing.T) {
	getenv := testEnv("sqlite::memory:", "GATEHOUSE_ENV", "production", "GATEHOUSE_JWT_SECRET", "", "GATEHOUSE_ADDR", "nowhere", "GATEHOUSE_ARGON2_ITERATIONS", "0")
	err := runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}, nil)
	if err == nil {
		t.Fatal("want a configuration error")
	}
	for _, want := range []string{"GATEHOUSE_ADDR", "GATEHOUSE_ARGON2_ITERATIONS", "GATEHOUSE_KEY_ENCRYPTION_KEY", "GATEHOUSE_ISSUER"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	fmt.Fprint(io.Discard, err)
}
