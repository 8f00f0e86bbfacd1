// Package load drives a running gatehouse over HTTP the way its clients
// do, with many concurrent shoppers, and reports throughput, latency
// percentiles and errors by code. It is the project's load tool (see
// cmd/gatehouse-load); it talks only GraphQL over HTTP, so it measures a
// deployment as its users meet it: every middleware, the database, the
// hash pool.
//
// It must never print a password or a token.
package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Scenarios.
const (
	SignIn  = "signin"  // authenticate with email and password
	Me      = "me"      // currentCustomer with a bearer token
	Refresh = "refresh" // rotate a refresh token, chaining the new one
	Mixed   = "mixed"   // 1 sign-in : 2 refreshes : 10 reads
)

// Options configure a run.
type Options struct {
	URL         string // the GraphQL endpoint
	Scenario    string
	Concurrency int           // workers running at once
	Duration    time.Duration // how long to run after set-up
	Shoppers    int           // customers registered during set-up
	Client      *http.Client
}

// Report is what a run measured.
type Report struct {
	Scenario    string
	Concurrency int
	Duration    time.Duration
	Ops         map[string]*OpStats
}

// OpStats are one operation's figures.
type OpStats struct {
	Count     int
	Errors    map[string]int // by error code
	latencies []time.Duration
}

// Percentile returns the p-th percentile latency (0 < p ≤ 100).
func (s *OpStats) Percentile(p float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	i := int(float64(len(l))*p/100+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// String renders the report as a table.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s, %d workers, %s\n", r.Scenario, r.Concurrency, r.Duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "%-16s %8s %9s %9s %9s %9s %9s  %s\n", "operation", "count", "ops/s", "p50", "p90", "p99", "max", "errors")
	names := make([]string, 0, len(r.Ops))
	for n := range r.Ops {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := r.Ops[n]
		var errs []string
		for code, c := range s.Errors {
			errs = append(errs, fmt.Sprintf("%s=%d", code, c))
		}
		sort.Strings(errs)
		fmt.Fprintf(&b, "%-16s %8d %9.1f %9s %9s %9s %9s  %s\n", n, s.Count, float64(s.Count)/r.Duration.Seconds(),
			ms(s.Percentile(50)), ms(s.Percentile(90)), ms(s.Percentile(99)), ms(s.Percentile(100)), strings.Join(errs, " "))
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// shopper is one registered customer and its current tokens.
type shopper struct {
	email, password string
	access, refresh string
}

// Run registers the shoppers, then runs the scenario until the duration
// ends or ctx does.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Shoppers <= 0 {
		o.Shoppers = o.Concurrency
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency}}
	}
	switch o.Scenario {
	case SignIn, Me, Refresh, Mixed:
	default:
		return nil, fmt.Errorf("unknown scenario %q: want %s, %s, %s or %s", o.Scenario, SignIn, Me, Refresh, Mixed)
	}
	c := &caller{url: o.URL, http: o.Client}
	shoppers := make([]*shopper, o.Shoppers)
	run := make([]byte, 6)
	_, _ = rand.Read(run)
	for i := range shoppers {
		s := &shopper{email: fmt.Sprintf("load-%s-%d@example.com", hex.EncodeToString(run), i), password: "load test password " + hex.EncodeToString(run)}
		if err := c.register(ctx, s); err != nil {
			if errors.Is(err, codeError("RATE_LIMITED")) {
				return nil, fmt.Errorf("set-up: register shopper %d: RATE_LIMITED: raise GATEHOUSE_RATE_LIMIT_IP and GATEHOUSE_RATE_LIMIT_IDENTIFIER on the server under test", i)
			}
			return nil, fmt.Errorf("set-up: register shopper %d: %w", i, err)
		}
		shoppers[i] = s
	}

	rep := &Report{Scenario: o.Scenario, Concurrency: o.Concurrency, Ops: map[string]*OpStats{}}
	var mu sync.Mutex
	record := func(op string, d time.Duration, code string) {
		mu.Lock()
		defer mu.Unlock()
		s := rep.Ops[op]
		if s == nil {
			s = &OpStats{Errors: map[string]int{}}
			rep.Ops[op] = s
		}
		s.Count++
		s.latencies = append(s.latencies, d)
		if code != "" {
			s.Errors[code]++
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker owns the shoppers w, w+Concurrency, …, so that
			// refresh chains never race each other.
			var mine []*shopper
			for i := w; i < len(shoppers); i += o.Concurrency {
				mine = append(mine, shoppers[i])
			}
			if len(mine) == 0 {
				mine = []*shopper{shoppers[w%len(shoppers)]}
			}
			for n := 0; ctx.Err() == nil; n++ {
				s := mine[n%len(mine)]
				op := o.Scenario
				if op == Mixed {
					op = [...]string{SignIn, Refresh, Me, Me, Me, Me, Me, Refresh, Me, Me, Me, Me, Me}[n%13]
				}
				t0 := time.Now()
				code := c.step(ctx, op, s)
				if ctx.Err() != nil && code != "" {
					return // cut off by the end of the run: not a result
				}
				record(op, time.Since(t0), code)
			}
		}()
	}
	wg.Wait()
	rep.Duration = time.Since(start)
	return rep, nil
}

// caller speaks GraphQL.
type caller struct {
	url  string
	http *http.Client
}

const ticketFields = `ticket { accessToken refreshToken } errors { code }`

func (c *caller) register(ctx context.Context, s *shopper) error {
	var reg payload
	if err := c.do(ctx, "", `mutation($e: String!, $p: String!) { p: register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { `+ticketFields+` } }`,
		map[string]any{"e": s.email, "p": s.password}, &reg); err != nil {
		return err
	}
	var cust payload
	if err := c.do(ctx, reg.Ticket.AccessToken, `mutation { p: createCustomer(input: {firstName: "Load"}) { errors { code } } }`, nil, &cust); err != nil {
		return err
	}
	return c.signIn(ctx, s)
}

func (c *caller) signIn(ctx context.Context, s *shopper) error {
	var p payload
	if err := c.do(ctx, "", `mutation($e: String!, $p: String!) { p: authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: $p}) { `+ticketFields+` } }`,
		map[string]any{"e": s.email, "p": s.password}, &p); err != nil {
		return err
	}
	s.access, s.refresh = p.Ticket.AccessToken, p.Ticket.RefreshToken
	return nil
}

// step runs one operation and returns "" or an error code.
func (c *caller) step(ctx context.Context, op string, s *shopper) string {
	var err error
	switch op {
	case SignIn:
		err = c.signIn(ctx, s)
	case Me:
		var p struct {
			ID string `json:"id"`
		}
		err = c.do(ctx, s.access, `{ p: currentCustomer { id } }`, nil, &p)
	case Refresh:
		var p payload
		err = c.do(ctx, "", `mutation($t: String) { p: refreshToken(input: {refreshToken: $t}) { `+ticketFields+` } }`, map[string]any{"t": s.refresh}, &p)
		if err == nil {
			s.access, s.refresh = p.Ticket.AccessToken, p.Ticket.RefreshToken
		}
	}
	if err == nil {
		return ""
	}
	var ce codeError
	if errors.As(err, &ce) {
		if ce == "UNAUTHENTICATED" || ce == "TOKEN_INVALID" || ce == "TOKEN_EXPIRED" {
			// An expired token or ended session: sign in again, as a
			// client would.
			_ = c.signIn(ctx, s)
		}
		return string(ce)
	}
	return "TRANSPORT"
}

type payload struct {
	Ticket struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
	} `json:"ticket"`
	Errors []struct {
		Code string `json:"code"`
	} `json:"errors"`
}

// codeError is a GraphQL error code.
type codeError string

func (e codeError) Error() string { return string(e) }

// do sends one operation whose root field is aliased p and decodes it into
// v; a top-level or payload error comes back as a codeError.
func (c *caller) do(ctx context.Context, bearer, query string, vars map[string]any, v any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data struct {
			P json.RawMessage `json:"p"`
		} `json:"data"`
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("HTTP %d: not a GraphQL response", resp.StatusCode)
	}
	if len(r.Errors) > 0 {
		return codeError(r.Errors[0].Extensions.Code)
	}
	var pe struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(r.Data.P, &pe) == nil && len(pe.Errors) > 0 {
		return codeError(pe.Errors[0].Code)
	}
	if string(r.Data.P) == "null" {
		return codeError("NULL")
	}
	return json.Unmarshal(r.Data.P, v)
}
