package main

import (
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// scrape reads /metrics into series name{labels} → value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	series := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// sum adds the series named name whose labels include every one of labels
// (each `key="value"`).
func sum(series map[string]float64, name string, labels ...string) float64 {
	var total float64
	for k, v := range series {
		n, rest, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				ok = false
			}
		}
		if ok {
			total += v
		}
	}
	return total
}

func TestMetrics(t *testing.T) {
	base, _ := startServer(t, testEnv(storetest.SQLite(t)))
	c := client{t: t, base: base}
	before := scrape(t, base)

	const authQ = `mutation($e: String!, $p: String!) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { ` + ticketQ + ` } }`
	var reg tk
	c.field(c.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "m@example.com", password: "metrics password 1"}) { `+ticketQ+` } }`, nil), "register", &reg)
	if code := c.payloadCode(c.do("", authQ, map[string]any{"e": "m@example.com", "p": "wrong password 1"}), "authenticate"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("wrong password: %s", code)
	}
	if code := c.payloadCode(c.do("", authQ, map[string]any{"e": "nobody@example.com", "p": "wrong password 1"}), "authenticate"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("unknown email: %s", code)
	}
	var ok tk
	c.field(c.do("", authQ, map[string]any{"e": "m@example.com", "p": "metrics password 1"}), "authenticate", &ok)
	c.do("", `{ nope }`, nil)
	// A lockout and a refresh-token reuse.
	var locked tk
	c.field(c.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "lock-m@example.com", password: "metrics password 2"}) { `+ticketQ+` } }`, nil), "register", &locked)
	for range 5 {
		c.do("", authQ, map[string]any{"e": "lock-m@example.com", "p": "wrong password 2"})
	}
	var rot tk
	c.field(c.do("", rotateQ, map[string]any{"t": ok.Ticket.RefreshToken}), "refreshToken", &rot)
	c.do("", rotateQ, map[string]any{"t": rot.Ticket.RefreshToken})
	c.do("", rotateQ, map[string]any{"t": ok.Ticket.RefreshToken}) // the parent of a used child
	c.do("", `mutation { authenticate(actor: CUSTOMER, provider: "no-such-provider-123", input: {email: "a@b.c", password: "x"}) { errors { code } } }`, nil)

	after := scrape(t, base)
	for _, tc := range []struct {
		name   string
		series string
		labels []string
		want   float64 // the exact delta; -1: any positive delta
	}{
		{"failed sign-ins", "gatehouse_sign_ins_total", []string{`actor="customer"`, `provider="emailpass"`, `outcome="INVALID_CREDENTIALS"`}, 7},
		{"successful sign-ins", "gatehouse_sign_ins_total", []string{`actor="customer"`, `provider="emailpass"`, `outcome="success"`}, 1},
		{"an unknown provider names no series", "gatehouse_sign_ins_total", []string{`provider="unknown"`, `outcome="PROVIDER_NOT_FOUND"`}, 1},
		{"operations by root field", "gatehouse_graphql_operations_total", []string{`operation="authenticate"`, `type="mutation"`, `outcome="ok"`}, 9},
		{"operation latency", "gatehouse_graphql_operation_duration_seconds_count", []string{`operation="authenticate"`}, 9},
		{"invalid operations", "gatehouse_graphql_operations_total", []string{`operation="invalid"`, `outcome="error"`}, 1},
		{"root field outcomes", "gatehouse_graphql_root_fields_total", []string{`field="authenticate"`, `outcome="INVALID_CREDENTIALS"`}, 7},
		{"register", "gatehouse_graphql_root_fields_total", []string{`field="register"`, `outcome="ok"`}, 2},
		{"hash pool waits", "gatehouse_password_hash_wait_seconds_count", nil, 10},
		{"lockouts", "gatehouse_auth_events_total", []string{`event="auth.account_locked"`}, 1},
		{"refresh-token reuse", "gatehouse_auth_events_total", []string{`event="auth.refresh_token_reused"`}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sum(after, tc.series, tc.labels...) - sum(before, tc.series, tc.labels...)
			if d != tc.want {
				t.Errorf("%s%v: delta %v, want %v", tc.series, tc.labels, d, tc.want)
			}
		})
	}
	t.Run("build info", func(t *testing.T) {
		// Constant, so not a delta: one series, 1, naming this binary.
		if got := sum(after, "gatehouse_build_info", `version="devel"`, `goversion="`+runtime.Version()+`"`); got != 1 {
			t.Errorf("gatehouse_build_info = %v, want one series of 1", got)
		}
	})
	t.Run("gauges", func(t *testing.T) {
		for _, name := range []string{"gatehouse_password_hash_queue_length", "gatehouse_password_hash_workers_busy", "gatehouse_outbox_backlog", "go_sql_open_connections", "go_goroutines"} {
			found := false
			for k := range after {
				if k == name || strings.HasPrefix(k, name+"{") {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s series", name)
			}
		}
	})
	// No secret is in a label.
	t.Run("secrets in labels", func(t *testing.T) {
		for k := range after {
			for _, s := range []string{"m@example.com", "metrics password 1", ok.Ticket.AccessToken, ok.Ticket.RefreshToken, "no-such-provider-123"} {
				if s != "" && strings.Contains(k, s) {
					t.Errorf("series %q holds %q", k, s)
				}
			}
		}
	})
}
