// Command gatehouse is the authentication service: `gatehouse serve` runs
// it, `gatehouse migrate` manages its schema, `gatehouse users` creates
// and imports accounts, `gatehouse keys` rotates its signing keys.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Environ, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "gatehouse:", err)
		}
		os.Exit(exitCode(err))
	}
}
