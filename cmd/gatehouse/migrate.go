package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/store"
)

func migrateCmd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "migrate", "migrate up|down|status\n\n  up      apply every pending migration\n  down    roll back the last group of migrations\n  status  list migrations and whether they are applied\n")
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	return withDB(ctx, e, never, func(_ *config.Config, _ *slog.Logger, db *store.DB, _ *metrics.Metrics) error {
		return migrateRun(ctx, e, fs, db)
	})
}

// never migrates at open: the migrate command does it itself.
func never(*config.Config) bool { return false }

func migrateRun(ctx context.Context, e env, fs *flag.FlagSet, db *store.DB) error {
	switch fs.Arg(0) {
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
		names, err := db.Rollback(ctx)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(e.stdout, "nothing to roll back")
		}
		for _, n := range names {
			fmt.Fprintln(e.stdout, "rolled back", n)
		}
	case "status":
		ms, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MIGRATION\tSTATUS\tGROUP\tAPPLIED AT")
		for _, m := range ms {
			status, group, at := "pending", "", ""
			if m.Applied {
				status, group, at = "applied", fmt.Sprint(m.GroupID), m.MigratedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, status, group, at)
		}
		return tw.Flush()
	default:
		fs.Usage()
		return errUsage
	}
	return nil
}
