package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/store"
)

// subscribersCmd is `gatehouse subscribers`: the fleet's subscriber table,
// which every instance owes each event to. An instance declares the
// subscribers it is configured with at start; one that no instance
// delivers to any more (its setting removed everywhere) must be disabled,
// or what it is owed piles up.
func subscribersCmd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "subscribers", `subscribers list|enable NAME|disable NAME

  list     the fleet's subscribers: name, kind, enabled, what it delivers
           to, and how many deliveries it is owed.
  disable  owe the subscriber no new events, and set aside what it is
           owed as dead deliveries (replayable with replayDelivery once it
           is enabled again; deleted after GATEHOUSE_EVENT_RETENTION). For
           a subscriber no instance delivers to any more.
  enable   owe it new events again. An instance starting with the
           subscriber configured never re-enables one you disabled.
`)
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	verb, name := fs.Arg(0), fs.Arg(1)
	switch {
	case verb == "list" && fs.NArg() == 1, (verb == "enable" || verb == "disable") && fs.NArg() == 2:
	default:
		fs.Usage()
		return errUsage
	}
	return withDB(ctx, e, autoMigrate, func(_ *config.Config, _ *slog.Logger, db *store.DB, _ *metrics.Metrics) error {
		s := store.New(db)
		switch verb {
		case "enable", "disable":
			n, err := s.SetSubscriberEnabled(ctx, name, verb == "enable", time.Now())
			if err != nil {
				return fmt.Errorf("%s %s: %w", verb, name, err)
			}
			if verb == "enable" {
				fmt.Fprintf(e.stdout, "%s enabled: owed every new event\n", name)
			} else {
				fmt.Fprintf(e.stdout, "%s disabled: owed no new events; %d deliveries set aside as dead\n", name, n)
			}
			return nil
		}
		subs, err := s.Subscribers(ctx)
		if err != nil {
			return err
		}
		owed, err := s.OwedBySubscriber(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "name\tkind\tenabled\towed\tconfig")
		for _, sub := range subs {
			cfg, _ := json.Marshal(sub.Config)
			fmt.Fprintf(tw, "%s\t%s\t%t\t%d\t%s\n", sub.Name, sub.Kind, sub.Enabled, owed[sub.Name], cfg)
		}
		return tw.Flush()
	})
}
