package load

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Scenarios.
const (
	SignIn  = "signin"  // authenticate with email and password
	Refresh = "refresh" // rotate a refresh token, chaining the new one
	Me      = "me"      // currentCustomer with its addresses, by POST
	MeGet   = "me-get"  // the same query by GET, as an automatic persisted query (hash only)
	// Probe runs refresh and me probes on half the workers alone, then
	// again while the other half sign in continuously, saturating the
	// server's hash workers; the report sets the probes' p99 under load
	// beside their p99 alone.
	Probe = "probe"
	Mixed = "mixed" // every worker: 1 sign-in : 2 refreshes : 10 reads
)

// Operations that appear in reports besides the scenarios' own names.
const (
	RefreshAlone = "refresh-alone" // Probe's refresh probes with nothing else running
	MeAlone      = "me-alone"      // Probe's me probes with nothing else running
)

// StandardSuite is what `-suite standard` runs.
func StandardSuite() []string { return []string{SignIn, Refresh, Me, MeGet, Probe} }

func knownScenario(s string) bool {
	switch s {
	case SignIn, Refresh, Me, MeGet, Probe, Mixed:
		return true
	}
	return false
}

// worker is one simulated client: it cycles through plan, each shopper in
// turn running the whole plan, and records each operation under its name
// plus suffix.
type worker struct {
	mine   []*shopper
	plan   []string
	suffix string
}

// phase runs workers until d has passed and returns the figures by
// operation and the phase's length. Requests in flight when d ends are
// finished, not cut off: a refresh whose answer was lost would leave its
// chain holding a spent token.
func (c *caller) phase(ctx context.Context, d time.Duration, workers []worker) (map[string]*OpStats, time.Duration) {
	start := time.Now()
	deadline := start.Add(d)
	results := make([]map[string]*OpStats, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ops := map[string]*OpStats{}
			results[i] = ops
			// At least one pass of the plan, however short d is, so that
			// every operation of the scenario is measured once even on a
			// slow machine.
			for n := 0; ctx.Err() == nil && (n < len(w.plan) || time.Now().Before(deadline)); n++ {
				op := w.plan[n%len(w.plan)]
				s := w.mine[(n/len(w.plan))%len(w.mine)]
				t0 := time.Now()
				code, wait := c.step(ctx, op, s)
				took := time.Since(t0)
				if ctx.Err() != nil {
					return // interrupted: not a result
				}
				name := op + w.suffix
				st := ops[name]
				if st == nil {
					st = newOpStats(name)
					ops[name] = st
				}
				st.add(took, code)
				if Shed(code) {
					// Wait as a well-behaved client would, so that shed
					// counts how often clients are turned away rather
					// than how fast this loop can spin.
					_ = sleep(ctx, min(shedWait(wait), time.Until(deadline)))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	merged := map[string]*OpStats{}
	for _, ops := range results {
		for name, st := range ops {
			if m := merged[name]; m != nil {
				m.merge(st)
			} else {
				merged[name] = st
			}
		}
	}
	for _, st := range merged {
		st.finish(elapsed)
	}
	return merged, elapsed
}

// step runs one operation and returns "" or its error code, and the wait
// the server asked for.
func (c *caller) step(ctx context.Context, op string, s *shopper) (string, time.Duration) {
	var err error
	switch op {
	case SignIn:
		err = c.signIn(ctx, s)
	case Refresh:
		err = c.refreshChain(ctx, s)
	case Me:
		err = c.me(ctx, s)
	case MeGet:
		err = c.meGet(ctx, s)
	default:
		panic("load: unknown operation " + op)
	}
	if err == nil {
		return "", 0
	}
	code, wait := codeOf(err)
	switch code {
	case "UNAUTHENTICATED", "TOKEN_INVALID", "TOKEN_EXPIRED":
		// An expired token or an ended session: sign in again, as a
		// client would. It is a failure all the same: in a run of
		// seconds no token should expire.
		_ = c.signIn(ctx, s)
	case "PERSISTED_QUERY_NOT_FOUND":
		// Evicted from the server's cache (or another instance's):
		// send the text again, as Apollo does.
		_ = c.registerMe(ctx, s)
	}
	return code, wait
}

// scenario runs one scenario with n workers over shoppers, which must hold
// at least n. Worker w owns shoppers w, w+n, w+2n, …, so no two workers
// ever share a refresh chain.
func (c *caller) scenario(ctx context.Context, name string, n int, shoppers []*shopper, d time.Duration) (*RunReport, error) {
	if len(shoppers) < n {
		return nil, fmt.Errorf("%d shoppers for %d workers: each worker needs its own", len(shoppers), n)
	}
	owned := make([][]*shopper, n)
	for i, s := range shoppers {
		owned[i%n] = append(owned[i%n], s)
	}
	rep := &RunReport{Scenario: name, Concurrency: n}
	all := func(plan ...string) []worker {
		ws := make([]worker, n)
		for w := range ws {
			ws[w] = worker{mine: owned[w], plan: plan}
		}
		return ws
	}
	switch name {
	case SignIn, Refresh, Me:
		ops, took := c.phase(ctx, d, all(name))
		rep.add(ops, took)
	case MeGet:
		if err := c.registerMe(ctx, shoppers[0]); err != nil {
			return nil, fmt.Errorf("register the persisted query: %w", err)
		}
		ops, took := c.phase(ctx, d, all(MeGet))
		rep.add(ops, took)
	case Mixed:
		ops, took := c.phase(ctx, d, all(SignIn, Refresh, Me, Me, Me, Me, Me, Refresh, Me, Me, Me, Me, Me))
		rep.add(ops, took)
	case Probe:
		// Workers below signers sign in; the rest probe. The probes keep
		// their shoppers in both phases.
		signers := n / 2
		probe := []string{Refresh, Me}
		var alone, loaded []worker
		for w := range n {
			if w < signers {
				loaded = append(loaded, worker{mine: owned[w], plan: []string{SignIn}})
				continue
			}
			alone = append(alone, worker{mine: owned[w], plan: probe, suffix: "-alone"})
			loaded = append(loaded, worker{mine: owned[w], plan: probe})
		}
		ops, took := c.phase(ctx, d, alone)
		rep.add(ops, took)
		ops, took = c.phase(ctx, d, loaded)
		rep.add(ops, took)
	default:
		return nil, fmt.Errorf("unknown scenario %q", name)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rep, nil
}
