package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/store"
)

const migrateSynopsis = `migrate up|down|status [--yes]

  up      apply every pending migration
  down    roll back one migration, the last applied, after asking at a
          terminal; without a terminal, only with --yes (else exit 2)
  status  list the migrations, applied and pending, and count the pending
`

func migrateCmd(ctx context.Context, e env, args []string) error {
	flags := newFlagSet(e, "migrate", migrateSynopsis)
	yes := flags.Bool("yes", false, "down: roll back without asking")
	if err := parseFlags(flags, e, args); err != nil {
		return quiet(err)
	}
	// Flags may follow the verb too: `migrate down --yes`.
	verb := flags.Arg(0)
	switch verb {
	case "up", "down", "status":
	default:
		flags.Usage()
		return errUsage
	}
	if err := parseFlags(flags, e, flags.Args()[1:]); err != nil {
		return quiet(err)
	}
	if flags.NArg() != 0 {
		flags.Usage()
		return errUsage
	}
	return withDB(ctx, e, never, func(_ *config.Config, _ *slog.Logger, db *store.DB, _ *metrics.Metrics) error {
		return migrateRun(ctx, e, verb, *yes, db)
	})
}

// never migrates at open: the migrate command does it itself.
func never(*config.Config) bool { return false }

func migrateRun(ctx context.Context, e env, verb string, yes bool, db *store.DB) error {
	switch verb {
	case "up":
		names, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(e.stdout, "no pending migrations")
		}
		for _, n := range names {
			fmt.Fprintln(e.stdout, "applied", n)
		}
	case "down":
		return migrateDown(ctx, e, yes, db)
	case "status":
		ms, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MIGRATION\tSTATUS\tGROUP\tAPPLIED AT")
		pending := 0
		for _, m := range ms {
			status, group, at := "pending", "", ""
			if m.Applied {
				status, group, at = "applied", fmt.Sprint(m.GroupID), m.MigratedAt.UTC().Format("2006-01-02 15:04:05Z")
			} else {
				pending++
			}
			fmt.Fprintf(tw, "%s_%s\t%s\t%s\t%s\n", m.Name, m.Comment, status, group, at)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if pending == 0 {
			fmt.Fprintln(e.stdout, "no pending migrations")
		} else {
			fmt.Fprintf(e.stdout, "%s: run gatehouse migrate up\n", pendingCount(pending))
		}
	}
	return nil
}

// pendingCount says how many migrations are pending: "1 migration
// pending", "2 migrations pending".
func pendingCount(n int) string {
	if n == 1 {
		return "1 migration pending"
	}
	return fmt.Sprintf("%d migrations pending", n)
}

// migrateDown rolls back the last applied migration, once confirmed: by
// --yes, or by "y" at a terminal. Unconfirmed, it changes nothing and
// exits 2, so that a script that forgot --yes learns it at once.
func migrateDown(ctx context.Context, e env, yes bool, db *store.DB) error {
	name, err := db.LastApplied(ctx)
	if err != nil {
		return err
	}
	if name == "" {
		fmt.Fprintln(e.stdout, "nothing to roll back")
		return nil
	}
	if !yes {
		if !terminal(e.stdin) {
			return exitStatus(2, fmt.Errorf("migrate down would roll back %s: confirm with --yes (stdin is not a terminal to ask at)", name))
		}
		fmt.Fprintf(e.stderr, "Roll back %s? [y/N] ", name)
		answer, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return exitStatus(2, fmt.Errorf("not rolled back: %s is still applied", name))
		}
	}
	// Rolled back only if it is still the migration named above.
	rolledBack, err := db.Rollback(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "rolled back", rolledBack)
	return nil
}

// terminal reports whether r is a terminal (a character device, as
// os.Stdin is at an interactive shell). /dev/null is one too: asked there,
// the answer is an empty line, which is no.
func terminal(r io.Reader) bool {
	f, ok := r.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&fs.ModeCharDevice != 0
}

// exitError is an error that asks main for an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitStatus(code int, err error) error { return &exitError{code: code, err: err} }

// exitCode is the exit status for err: what an exitError asks for, else 1.
func exitCode(err error) int {
	if ee, ok := errors.AsType[*exitError](err); ok {
		return ee.code
	}
	return 1
}
