package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// serveChildEnv, when set, makes the test binary run the server itself:
// tests start it as a separate process to prove that server processes
// share nothing but the database.
const serveChildEnv = "GATEHOUSE_TEST_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(serveChildEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		e := env{getenv: os.Getenv, stdin: os.Stdin, stdout: io.Discard, stderr: os.Stderr,
			listening: func(addr string) { fmt.Println("LISTENING", addr) }}
		if err := runEnv(ctx, e, []string{"serve"}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startProcess starts the server in a separate process on databaseURL and
// returns its base URL; it is stopped with SIGTERM when the test ends.
func startProcess(t *testing.T, databaseURL string, extra ...string) string {
	t.Helper()
	base, _ := startProcessCmd(t, databaseURL, extra...)
	return base
}

// startProcessCmd is startProcess, also returning the process.
func startProcessCmd(t *testing.T, databaseURL string, extra ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveChildEnv+"=1")
	// Every test variable, extra's included; GATEHOUSE_HASH_NICE stays
	// unset as before: a child process of its own may nice its threads.
	for k, v := range testEnvVars(databaseURL, extra...) {
		if k != "GATEHOUSE_HASH_NICE" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				addr <- a
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			// A spare connection the client dialled but never used counts
			// as in flight for 5 s (net/http's rule for new connections):
			// close it, so that shutdown does not wait for it.
			http.DefaultClient.CloseIdleConnections()
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if err := cmd.Wait(); err != nil {
				t.Errorf("server process: %v\n%s", err, stderr.String())
			}
		}
	})
	select {
	case a := <-addr:
		base := "http://" + a
		waitHealthy(t, base)
		return base, cmd
	case <-time.After(60 * time.Second):
		t.Fatalf("server process did not start:\n%s", stderr.String())
	}
	return "", nil
}

// Two server processes over one PostgreSQL database: a token rotated by
// one is reuse to the other, concurrent rotations across both agree on
// one child, and a revocation by one is seen by the other at once.
func TestTwoServerProcesses(t *testing.T) {
	url := storetest.Postgres(t)
	// Migrate once, so the two processes start on a ready database.
	storetest.MustOpen(t, url)
	one, two := client{t, startProcess(t, url)}, client{t, startProcess(t, url)}

	var reg tk
	one.field(one.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "procs@example.com", password: "two processes pw"}) { `+ticketQ+` } }`, nil), "register", &reg)

	// Concurrent rotations of one token, half on each process.
	const n = 20
	children := make([]string, n)
	results := make([]result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		c := one
		if i%2 == 1 {
			c = two
		}
		wg.Go(func() {
			results[i], errs[i] = c.post("", rotateQ, map[string]any{"t": reg.Ticket.RefreshToken})
		})
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("rotation %d: %v", i, errs[i])
		}
		var p tk
		one.field(results[i], "refreshToken", &p)
		children[i] = p.Ticket.RefreshToken
	}
	for i, ch := range children {
		if ch == "" || ch != children[0] {
			t.Fatalf("rotation %d got another child", i)
		}
	}

	var next tk
	two.field(two.do("", rotateQ, map[string]any{"t": children[0]}), "refreshToken", &next)
	// The first token, long since rotated twice, is reuse: the session ends
	// on both processes.
	if code := one.payloadCode(one.do("", rotateQ, map[string]any{"t": reg.Ticket.RefreshToken}), "refreshToken"); code != "TOKEN_INVALID" {
		t.Fatalf("reuse: %s", code)
	}
	if code := two.payloadCode(two.do("", rotateQ, map[string]any{"t": next.Ticket.RefreshToken}), "refreshToken"); code != "TOKEN_INVALID" {
		t.Fatalf("child after reuse: %s", code)
	}
	for _, c := range []client{one, two} {
		r := c.do(next.Ticket.AccessToken, `mutation { refreshToken { ticket { accessToken } errors { code } } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "REVOKED" {
			t.Fatalf("access token of the revoked session: %+v", r.Errors)
		}
	}
}

// Rate limits hold across two server processes over one PostgreSQL: the
// buckets are in the database, not in either process.
func TestRateLimitsAcrossProcesses(t *testing.T) {
	url := storetest.Postgres(t)
	storetest.MustOpen(t, url)
	limits := []string{"GATEHOUSE_RATE_LIMIT_IP", "1000/1m", "GATEHOUSE_RATE_LIMIT_IDENTIFIER", "4/1h"}
	one, two := client{t, startProcess(t, url, limits...)}, client{t, startProcess(t, url, limits...)}
	const q = `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "limited@example.com", password: "some password 1"}) { errors { code } } }`
	for i, c := range []client{one, two, one, two} {
		if r := c.do("", q, nil); len(r.Errors) > 0 {
			t.Fatalf("attempt %d: %+v", i+1, r.Errors)
		}
	}
	for _, c := range []client{one, two} {
		r := c.do("", q, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "RATE_LIMITED" {
			t.Fatalf("the 5th attempt: %+v", r.Errors)
		}
	}
}
