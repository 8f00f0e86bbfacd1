package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/store"
)

// pruneCmd is `gatehouse prune`: one full housekeeping pass now, the one
// serve's loop runs every GATEHOUSE_HOUSEKEEPING_INTERVAL on one instance.
func pruneCmd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "prune", `prune [--dry-run]

  Delete now what has expired, as the housekeeping loop of serve does:
  sessions and refresh tokens past their grace, used and expired action
  tokens, expired invites and OAuth states, idle rate-limit buckets,
  settled deliveries and sealed event secrets older than
  GATEHOUSE_EVENT_RETENTION, auth events
  older than GATEHOUSE_AUDIT_RETENTION, anonymous shoppers idle for
  GATEHOUSE_ANONYMOUS_RETENTION. Prints the rows deleted per table. It
  waits for no one: while a pass runs on an instance it exits 1.
`)
	dry := fs.Bool("dry-run", false, "count the rows a pass would delete, deleting nothing")
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	return withDB(ctx, e, autoMigrate, func(cfg *config.Config, log *slog.Logger, db *store.DB, m *metrics.Metrics) error {
		pending, err := db.Pending(ctx)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("%s: run gatehouse migrate up", pendingCount(len(pending)))
		}
		h, err := housekeeping.New(db, housekeepingOptions(cfg, log, m))
		if err != nil {
			return err
		}
		pass, verb := h.PassNow, "deleted"
		if *dry {
			pass, verb = h.DryRun, "would delete"
		}
		r, err := pass(ctx)
		if err != nil {
			return err
		}
		if !r.Ran {
			return errors.New("a housekeeping pass is running on another instance; try again in a few minutes")
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "table\t%s\n", verb)
		for _, t := range r.Rows {
			fmt.Fprintf(tw, "%s\t%d\n", t.Table, t.Rows)
		}
		fmt.Fprintf(tw, "total\t%d\n", r.Total())
		return tw.Flush()
	})
}

// housekeepingOptions are the housekeeping settings, for serve's loop and
// the prune command alike; m is nil without metrics.
func housekeepingOptions(cfg *config.Config, log *slog.Logger, m *metrics.Metrics) housekeeping.Options {
	return housekeeping.Options{
		EventRetention:     cfg.EventRetention,
		AuditRetention:     cfg.AuditRetention,
		AnonymousRetention: cfg.AnonymousRetention,
		SessionGrace:       cfg.SessionGrace,
		Interval:           cfg.HousekeepingInterval,
		Logger:             log,
		OnPurged:           m.HousekeepingPurged(),
	}
}

// deletionTask is the housekeeping task carrying out the account
// deletions scheduled under GATEHOUSE_DELETION_GRACE that are due: a
// serving instance's pass runs it (gatehouse prune does not: it has no
// service to emit customer.deleted with).
func deletionTask(svc *auth.Service) housekeeping.Pruner {
	return housekeeping.Pruner{
		Table: "scheduled_deletion",
		Batch: func(ctx context.Context, now time.Time, limit int) (map[string]int, error) {
			n, err := svc.RunDueDeletions(ctx, now, limit)
			return map[string]int{"scheduled_deletion": n}, err
		},
		Count: func(ctx context.Context, now time.Time) (map[string]int, error) {
			n, err := svc.CountDueDeletions(ctx, now, 1000)
			return map[string]int{"scheduled_deletion": n}, err
		},
	}
}
