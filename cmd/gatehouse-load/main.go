// Command gatehouse-load drives a running gatehouse with concurrent
// shoppers and prints throughput, latency percentiles, shed requests,
// failures by code and the server's memory, beside the sign-in ceiling that
// password hashing sets on this machine:
//
//	go run ./cmd/gatehouse-load -url http://127.0.0.1:8080/graphql -scenario mixed -c 16 -d 20s
//	go run ./cmd/gatehouse-load -url http://127.0.0.1:8080/graphql -suite standard -json report.json
//
// make bench runs the standard suite against a fresh server on PostgreSQL
// and on SQLite (scripts/bench.sh; docs/perf.md says what each column means).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/load"
	"github.com/gatehouse/gatehouse/internal/password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-load:", err)
		os.Exit(1)
	}
}

// standardConcurrency is what -suite standard runs at unless -c says.
const standardConcurrency = "8,64,256"

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// The argon2id flags default to the server's: its defaults, or the
	// GATEHOUSE_ARGON2_* variables when this shell has them too.
	cfg, err := config.Load(func(name string) string {
		if strings.HasPrefix(name, "GATEHOUSE_ARGON2_") {
			return getenv(name)
		}
		return ""
	}, nil)
	if err != nil {
		return err
	}

	fs := flag.NewFlagSet("gatehouse-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o load.Options
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080/graphql", "the GraphQL endpoint")
	fs.StringVar(&o.MetricsURL, "metrics-url", "", "the server's Prometheus endpoint, for its RSS (default: /metrics beside -url)")
	scenarios := fs.String("scenario", load.Mixed, "comma-separated scenarios: "+strings.Join(append(load.StandardSuite(), load.Mixed), ", "))
	suite := fs.String("suite", "", "standard: every scenario but mixed, at -c "+standardConcurrency+" unless -c is given")
	conc := fs.String("c", "8", "comma-separated concurrencies (workers at once), each run in turn")
	fs.DurationVar(&o.Duration, "d", 10*time.Second, "how long each scenario runs at each concurrency, after set-up")
	fs.IntVar(&o.Shoppers, "shoppers", 0, "customers registered during set-up, shared by every run (default: the largest -c)")
	fs.IntVar(&o.SetUpConcurrency, "setup-c", 0, "registrations at once during set-up (default: twice the CPUs)")
	memory := fs.Uint("argon2-memory-kib", uint(cfg.Argon2MemoryKiB), "the server's argon2id memory, for the hash ceiling")
	iterations := fs.Uint("argon2-iterations", uint(cfg.Argon2Iterations), "the server's argon2id iterations")
	parallelism := fs.Uint("argon2-parallelism", uint(cfg.Argon2Parallelism), "the server's argon2id parallelism")
	fs.IntVar(&o.HashSamples, "hash-samples", 5, "hashes timed for the ceiling (the median counts)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file; - writes only JSON, to stdout")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	strict := fs.Bool("fail-on-failures", false, "exit 1 when any operation failed (shed ones excepted): for CI")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	switch *suite {
	case "":
		o.Scenarios = splitList(*scenarios)
	case "standard":
		if set["scenario"] {
			return errors.New("-suite and -scenario: give one or the other")
		}
		o.Scenarios = load.StandardSuite()
		if !set["c"] {
			*conc = standardConcurrency
		}
	default:
		return fmt.Errorf("-suite %q: the only suite is standard", *suite)
	}
	for _, s := range splitList(*conc) {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return fmt.Errorf("-c: %q is not a positive number", s)
		}
		o.Concurrency = append(o.Concurrency, n)
	}
	if *memory > 1<<32-1 || *iterations > 1<<32-1 || *parallelism > 255 {
		return errors.New("argon2id parameters out of range")
	}
	o.Params = password.Params{MemoryKiB: uint32(*memory), Iterations: uint32(*iterations), Parallelism: uint8(*parallelism)}
	if err := o.Params.Validate(); err != nil {
		return err
	}
	if !*quiet {
		o.Progress = stderr
	}

	rep, err := load.Run(ctx, o)
	if err != nil {
		return err
	}
	switch *jsonOut {
	case "-":
		return rep.WriteJSON(stdout)
	case "":
	default:
		if err := writeJSON(*jsonOut, rep); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(stdout, rep.String()); err != nil {
		return err
	}
	if n := rep.Failures(); *strict && n > 0 {
		return fmt.Errorf("%d operations failed (see errors by code)", n)
	}
	return nil
}

func writeJSON(path string, rep *load.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
