package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// get fetches url, returning its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitReady polls url (a /readyz) until it answers 200, failing after 30 s.
func waitReady(t *testing.T, url string) {
	t.Helper()
	start := time.Now()
	var status int
	var body string
	for time.Since(start) < 30*time.Second {
		if resp, err := http.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if status, body = resp.StatusCode, string(b); status == http.StatusOK {
				t.Logf("%s ready after %v", url, time.Since(start).Round(time.Millisecond))
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became ready: %d %s", url, status, body)
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// With GATEHOUSE_AUTO_MIGRATE off and migrations pending, the server
// starts, says why it is not ready, serves nothing else, and becomes
// ready without a restart once another process has migrated.
func TestServeWithPendingMigrations(t *testing.T) {
	for _, tc := range []struct {
		name       string
		management bool
		partly     bool // all migrations but the last applied
	}{
		{"unmigrated", false, false},
		{"one pending", false, true},
		{"management listener", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDatabase(t, func(t *testing.T, url string) {
				extra := []string{"GATEHOUSE_AUTO_MIGRATE", "false"}
				mgmt := ""
				if tc.management {
					mgmt = freeAddr(t)
					extra = append(extra, "GATEHOUSE_MANAGEMENT_ADDR", mgmt)
				}
				getenv := testEnv(url, extra...)
				if tc.partly {
					for _, args := range [][]string{{"migrate", "up"}, {"migrate", "down", "--yes"}} {
						if _, _, err := runCommand(t, getenv, nil, args...); err != nil {
							t.Fatal(err)
						}
					}
				}
				pending := len(pendingOn(t, url))
				if pending == 0 || tc.partly && pending != 1 {
					t.Fatalf("%d migrations pending before the start", pending)
				}
				addr, logs, _ := serveInBackground(t, getenv)
				public, probes := "http://"+addr, "http://"+addr
				if tc.management {
					probes = "http://" + mgmt
				}

				want := pendingCount(pending) + ": run gatehouse migrate up"
				status, body := get(t, probes+"/readyz")
				var ready struct{ Status, Reason string }
				_ = json.Unmarshal([]byte(body), &ready)
				if status != http.StatusServiceUnavailable || ready.Status != "unavailable" || ready.Reason != want {
					t.Fatalf("/readyz while pending = %d %s, want 503 with reason %q", status, body, want)
				}
				if status, body := get(t, probes+"/healthz"); status != http.StatusOK {
					t.Fatalf("/healthz while pending = %d %s", status, body)
				}
				if status, body := get(t, public+"/graphql?query={__typename}"); status != http.StatusServiceUnavailable {
					t.Fatalf("/graphql while pending = %d %s", status, body)
				}
				if tc.management {
					if status, _ := get(t, public+"/readyz"); status != http.StatusNotFound {
						t.Fatalf("public /readyz while pending = %d, want 404", status)
					}
				}
				if strings.Contains(logs.String(), `"level":"ERROR"`) {
					t.Fatalf("errors logged while waiting:\n%s", logs)
				}

				if _, _, err := runCommand(t, getenv, nil, "migrate", "up"); err != nil {
					t.Fatal(err)
				}
				waitReady(t, probes+"/readyz")
				c := client{t, public}
				var providers []struct{ ID string }
				c.field(c.do("", `{ authProviders(actor: CUSTOMER) { id } }`, nil), "authProviders", &providers)
				if len(providers) == 0 {
					t.Fatal("no providers once migrated")
				}
			})
		})
	}
}

// Stopped while it waits for migrations, the server shuts down cleanly.
func TestStopWhileWaitingForMigrations(t *testing.T) {
	addr, _, stop := serveInBackground(t, testEnv(storetest.SQLite(t), "GATEHOUSE_AUTO_MIGRATE", "false"))
	if status, body := get(t, "http://"+addr+"/readyz"); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d %s", status, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("still listening after the stop")
	}
}

// With GATEHOUSE_MANAGEMENT_ADDR, /healthz, /readyz and /metrics are
// served there and nowhere else; a graceful stop closes both listeners.
func TestManagementListener(t *testing.T) {
	mgmt := freeAddr(t)
	addr, _, stop := serveInBackground(t, testEnv(storetest.SQLite(t), "GATEHOUSE_MANAGEMENT_ADDR", mgmt))
	public, management := "http://"+addr, "http://"+mgmt
	waitReady(t, management+"/readyz")
	for _, tc := range []struct {
		name   string
		url    string
		status int
		body   string
	}{
		{"management healthz", management + "/healthz", 200, `"ok"`},
		{"management readyz", management + "/readyz", 200, `"ok"`},
		{"management metrics", management + "/metrics", 200, "go_goroutines"},
		{"management graphql", management + "/graphql", 404, ""},
		{"public healthz", public + "/healthz", 404, ""},
		{"public readyz", public + "/readyz", 404, ""},
		{"public metrics", public + "/metrics", 404, ""},
		{"public jwks", public + "/.well-known/jwks.json", 200, `"keys"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := get(t, tc.url); status != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("GET %s = %d %.200s", tc.url, status, body)
			}
		})
	}
	t.Run("graceful stop", func(t *testing.T) {
		if err := stop(); err != nil {
			t.Fatalf("serve returned %v", err)
		}
		for _, a := range []string{addr, mgmt} {
			if c, err := net.Dial("tcp", a); err == nil {
				c.Close()
				t.Errorf("%s still listening after the stop", a)
			}
		}
	})
}
