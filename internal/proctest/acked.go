// Package proctest holds what the process-level tests share (the fleet,
// fault and high-availability tests): a write load that records every
// write the server acknowledged, so that a test can check afterwards that
// none was lost, and scratch peers (PostgreSQL, Redis, NATS, HAProxy) on
// free ports that a test may stop, kill or break without touching the
// machine's shared services.
//
// It is test support: the binary never imports it.
package proctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Acked registers customer identities, each with a new email, through a gatehouse
// base URL, and records the emails of those the server answered with a
// ticket: the acknowledged writes. A write that got no answer, or an
// error, may or may not have landed and is not counted either way.
type Acked struct {
	baseMu sync.Mutex
	base   func() string
	client *http.Client
	run    string
	seq    atomic.Int64

	mu       sync.Mutex
	acked    []string
	failures map[string]int
	attempts int
}

// Stats are what an Acked load did.
type Stats struct {
	Attempted, Acked, Failed int
	// Failures counts the failed writes by what went wrong: a GraphQL
	// code, REFUSED when nothing listened, or TRANSPORT when no GraphQL
	// answer came.
	Failures map[string]int
}

func (s Stats) String() string {
	codes := make([]string, 0, len(s.Failures))
	for c, n := range s.Failures {
		codes = append(codes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(codes)
	return fmt.Sprintf("%d attempted, %d acknowledged, %d failed [%s]", s.Attempted, s.Acked, s.Failed, strings.Join(codes, " "))
}

// NewAcked returns a load on the server at base, e.g. http://127.0.0.1:8080.
func NewAcked(base string) *Acked {
	return NewAckedOn(func() string { return base })
}

// NewAckedOn is NewAcked with the base URL chosen for each write (several
// instances, one after the other).
func NewAckedOn(base func() string) *Acked {
	return &Acked{
		base: base,
		// Short: a write stuck on a dead peer fails and the next one
		// tries again.
		client:   &http.Client{Timeout: 10 * time.Second},
		run:      fmt.Sprintf("%x", time.Now().UnixNano()),
		failures: map[string]int{},
	}
}

// SetBase sends the following writes to base (a restarted server on
// another port), keeping the record of the earlier ones.
func (a *Acked) SetBase(base string) {
	a.baseMu.Lock()
	defer a.baseMu.Unlock()
	a.base = func() string { return base }
}

// Run writes from workers goroutines until ctx is done; each worker waits
// pause between writes (0 for none).
func (a *Acked) Run(ctx context.Context, workers int, pause time.Duration) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				a.Once(ctx)
				if pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			}
		})
	}
	wg.Wait()
}

const registerQ = `mutation($email: String!) { register(actor: CUSTOMER, provider: "emailpass", input: {email: $email, password: "acknowledged write pw"}) { ticket { accessToken } errors { code } } }`

// Once makes one write and reports whether it was acknowledged.
func (a *Acked) Once(ctx context.Context) bool {
	email := fmt.Sprintf("acked-%s-%d@example.com", a.run, a.seq.Add(1))
	code := a.register(ctx, email)
	a.mu.Lock()
	defer a.mu.Unlock()
	if ctx.Err() != nil && code != "" {
		// Cut off by the end of the run, not by the server.
		return false
	}
	a.attempts++
	if code != "" {
		a.failures[code]++
		return false
	}
	a.acked = append(a.acked, email)
	return true
}

// register returns "" when the server answered with a ticket, otherwise
// what went wrong.
func (a *Acked) register(ctx context.Context, email string) string {
	body, _ := json.Marshal(map[string]any{"query": registerQ, "variables": map[string]string{"email": email}})
	a.baseMu.Lock()
	base := a.base()
	a.baseMu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return "TRANSPORT"
	}
	req.Header.Set("Content-Type", "application/json")
	// As a careful client sends a mutation: with a key of its own, which
	// also lets Go's transport resend it when a keep-alive connection the
	// server closed at shutdown fails before any answer (net/http resends
	// only requests it may: idempotent ones, or ones with this header).
	req.Header.Set("Idempotency-Key", email)
	res, err := a.client.Do(req)
	if errors.Is(err, syscall.ECONNREFUSED) {
		// Nothing listening: the write was never sent.
		return "REFUSED"
	}
	if err != nil {
		return "TRANSPORT"
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Register *struct {
				Ticket *struct {
					AccessToken string `json:"accessToken"`
				} `json:"ticket"`
				Errors []struct {
					Code string `json:"code"`
				} `json:"errors"`
			} `json:"register"`
		} `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return "TRANSPORT"
	}
	if len(out.Errors) > 0 {
		if c, ok := out.Errors[0].Extensions["code"].(string); ok {
			return c
		}
		return "UNKNOWN"
	}
	r := out.Data.Register
	switch {
	case r == nil:
		return "NULL"
	case len(r.Errors) > 0:
		return r.Errors[0].Code
	case r.Ticket == nil || r.Ticket.AccessToken == "":
		return "NO_TICKET"
	}
	return ""
}

// Stats reports what the load did so far.
func (a *Acked) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := make(map[string]int, len(a.failures))
	failed := 0
	for c, n := range a.failures {
		f[c] = n
		failed += n
	}
	return Stats{Attempted: a.attempts, Acked: len(a.acked), Failed: failed, Failures: f}
}

// Acknowledged is the emails of the acknowledged writes so far.
func (a *Acked) Acknowledged() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.acked...)
}

// Missing returns the acknowledged writes that db does not hold.
func (a *Acked) Missing(ctx context.Context, db *store.DB) ([]string, error) {
	acked := a.Acknowledged()
	present := make(map[string]bool, len(acked))
	for i := 0; i < len(acked); i += 500 {
		batch := acked[i:min(i+500, len(acked))]
		var got []string
		// register makes the identity (a customer comes with
		// createCustomer): its email is the emailpass entity id.
		if err := db.Bun().NewSelect().Table("provider_identity").Column("entity_id").
			Where("provider = 'emailpass' AND entity_id IN (?)", bun.List(batch)).Scan(ctx, &got); err != nil {
			return nil, fmt.Errorf("read acknowledged identities: %w", err)
		}
		for _, e := range got {
			present[e] = true
		}
	}
	var missing []string
	for _, e := range acked {
		if !present[e] {
			missing = append(missing, e)
		}
	}
	return missing, nil
}
