// Command gatehouse-load drives a running gatehouse with concurrent
// shoppers and prints throughput, latency percentiles and errors by code:
//
//	go run ./cmd/gatehouse-load -url http://127.0.0.1:8080/graphql -scenario mixed -c 16 -d 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/gatehouse/gatehouse/internal/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatehouse-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o load.Options
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080/graphql", "the GraphQL endpoint")
	fs.StringVar(&o.Scenario, "scenario", load.Mixed, "signin, me, refresh or mixed (1 sign-in : 2 refreshes : 10 reads)")
	fs.IntVar(&o.Concurrency, "c", 8, "concurrent workers")
	fs.DurationVar(&o.Duration, "d", 10*time.Second, "how long to run, after set-up")
	fs.IntVar(&o.Shoppers, "shoppers", 0, "customers registered during set-up (default: one per worker)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rep, err := load.Run(ctx, o)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, rep.String())
	return err
}
