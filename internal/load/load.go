// Package load drives a running gatehouse over HTTP the way its clients
// do, with many concurrent shoppers, and reports throughput, latency
// percentiles, shed requests and failures by code, and the server's memory.
// It is the project's load tool (see cmd/gatehouse-load); it talks only
// GraphQL over HTTP (and reads /metrics), so it measures a deployment as
// its users meet it: every middleware, the database, the hash pool. Beside
// that it times one argon2id hash in its own process, to say how close
// sign-in comes to what the machine's CPUs allow.
//
// It must never print a password or a token.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/password"
)

// Options configure a run.
type Options struct {
	URL string // the GraphQL endpoint
	// MetricsURL is the server's Prometheus endpoint, scraped for its
	// resident set size; "" means /metrics beside URL.
	MetricsURL  string
	Scenarios   []string
	Concurrency []int         // each scenario runs once at each
	Duration    time.Duration // of each run (the probe scenario runs twice: alone, then beside sign-ins)
	// Shoppers are registered once and shared by every run; at least the
	// largest concurrency (the default), so that each worker owns its own.
	Shoppers int
	// SetUpConcurrency is how many shoppers register at once; <=0 means
	// twice the CPUs, about what the server's hash queue takes.
	SetUpConcurrency int
	// Params are the server's argon2id parameters, for the hash ceiling;
	// the zero value means password.OWASP, the server's default.
	Params      password.Params
	HashSamples int // hashes timed for the ceiling; <=0 means 5
	Client      *http.Client
	// Progress, when set, gets one line as each step ends.
	Progress io.Writer
}

func (o *Options) defaults() error {
	if len(o.Scenarios) == 0 {
		return errors.New("no scenario")
	}
	for _, s := range o.Scenarios {
		if !knownScenario(s) {
			return fmt.Errorf("unknown scenario %q: want %s, %s, %s, %s, %s or %s", s, SignIn, Refresh, Me, MeGet, Probe, Mixed)
		}
	}
	if len(o.Concurrency) == 0 {
		o.Concurrency = []int{8}
	}
	for _, c := range o.Concurrency {
		if c <= 0 {
			return fmt.Errorf("concurrency %d: must be positive", c)
		}
	}
	if o.Duration <= 0 {
		return errors.New("duration must be positive")
	}
	most := slices.Max(o.Concurrency)
	if o.Shoppers <= 0 {
		o.Shoppers = most
	}
	if o.Shoppers < most {
		return fmt.Errorf("%d shoppers for %d workers: each worker needs shoppers of its own", o.Shoppers, most)
	}
	if o.SetUpConcurrency <= 0 {
		o.SetUpConcurrency = 2 * runtime.NumCPU()
	}
	if o.Params == (password.Params{}) {
		o.Params = password.OWASP
	}
	if o.HashSamples <= 0 {
		o.HashSamples = 5
	}
	if o.MetricsURL == "" {
		base, err := origin(o.URL)
		if err != nil {
			return fmt.Errorf("url: %w", err)
		}
		o.MetricsURL = base + "/metrics"
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: most + 8, MaxIdleConnsPerHost: most + 8}}
	}
	return nil
}

// Run measures the hash ceiling and the server's idle RSS, registers the
// shoppers, then runs every scenario at every concurrency, in that order.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	rep := &Report{Started: time.Now().UTC(), URL: o.URL, Shoppers: o.Shoppers}
	// The ceiling first, while nothing else runs on the machine.
	var err error
	if rep.Hash, err = measureHash(ctx, o.Params, o.HashSamples); err != nil {
		return nil, err
	}
	progress("hash ceiling: %s per hash, %.1f/s", rep.Hash.PerHash, rep.Hash.PerSecond)
	if rep.RSSIdle, err = scrapeRSS(ctx, o.Client, o.MetricsURL); err != nil {
		rep.RSSError = err.Error()
		progress("server RSS: %v; not measuring it", err)
	}

	c := &caller{url: o.URL, http: o.Client}
	t0 := time.Now()
	shoppers, err := setUp(ctx, c, o.Shoppers, o.SetUpConcurrency)
	if err != nil {
		return nil, err
	}
	rep.SetUp = Millis(time.Since(t0))
	progress("set-up: %d shoppers in %s", len(shoppers), time.Since(t0).Round(time.Millisecond))

	for _, name := range o.Scenarios {
		for _, n := range o.Concurrency {
			var rss *rssSampler
			if rep.RSSError == "" {
				rss = startRSS(ctx, o.Client, o.MetricsURL)
			}
			run, err := c.scenario(ctx, name, n, shoppers, o.Duration)
			if rss != nil {
				peak, samples := rss.stop()
				if run != nil {
					run.RSSPeak, run.RSSSamples = peak, samples
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s at %d workers: %w", name, n, err)
			}
			rep.Runs = append(rep.Runs, run)
			progress("ran %s at %d workers", name, n)
		}
	}
	rep.derive()
	return rep, nil
}
