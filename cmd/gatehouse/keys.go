package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/store"
)

func keysCmd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "keys", `keys rotate [--now] | keys list

  rotate  add a new token-signing key. It is published in the JWKS at once
          and signs after GATEHOUSE_KEY_ACTIVATION_DELAY, when the current
          key retires; a retired key verifies until every token it signed
          has expired. Running instances learn of it within about a
          second.
  list    list the signing keys and their state (pending, active, retired,
          expired)
`)
	now := fs.Bool("now", false, "rotate: activate the new key at once (after a compromise); verifiers that cached the key set meet its tokens before its key")
	// The verb comes first (keys rotate --now); the flag package stops at
	// the first argument that is not a flag.
	var verb string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	if verb == "" && fs.NArg() == 1 {
		verb = fs.Arg(0)
	} else if fs.NArg() > 0 {
		verb = ""
	}
	if verb != "rotate" && verb != "list" || *now && verb != "rotate" {
		fs.Usage()
		return errUsage
	}
	return withDB(ctx, e, autoMigrate, func(cfg *config.Config, log *slog.Logger, db *store.DB, _ *metrics.Metrics) error {
		st := store.New(db)
		if verb == "list" {
			return keysList(ctx, e, cfg, st)
		}
		return keysRotate(ctx, e, cfg, log, st, *now)
	})
}

func keysRotate(ctx context.Context, e env, cfg *config.Config, log *slog.Logger, st *store.Store, now bool) error {
	switch {
	case cfg.SigningAlg == keys.HS256:
		return errors.New("GATEHOUSE_SIGNING_ALG is HS256: its key is GATEHOUSE_JWT_SECRET, rotated by changing it")
	case len(cfg.SigningKeyFiles) > 0:
		return errors.New("the signing keys come from GATEHOUSE_SIGNING_KEY_FILES: rotate them by changing the files")
	}
	kek, err := keyEncryptionKey(ctx, cfg, log, st)
	if err != nil {
		return err
	}
	delay := cfg.KeyActivationDelay
	if now {
		delay = 0
	}
	k, err := keys.Rotate(ctx, st, keys.RotateOptions{
		Alg:       cfg.SigningAlg,
		KEK:       kek,
		Delay:     delay,
		VerifyFor: retiredKeysVerifyFor(cfg),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added signing key %s (%s): published now, signing from %s\n", k.ID, k.Alg, listTime(&k.ActivatesAt))
	return nil
}

func keysList(ctx context.Context, e env, cfg *config.Config, st *store.Store) error {
	switch {
	case cfg.SigningAlg == keys.HS256:
		fmt.Fprintln(e.stderr, "note: GATEHOUSE_SIGNING_ALG is HS256; tokens are signed with GATEHOUSE_JWT_SECRET and these keys are not used")
	case len(cfg.SigningKeyFiles) > 0:
		fmt.Fprintln(e.stderr, "note: the keys of GATEHOUSE_SIGNING_KEY_FILES sign; these database keys only verify")
	}
	ks, err := keys.List(ctx, st, time.Time{})
	if err != nil {
		return err
	}
	at := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tACTIVATES\tRETIRED\tEXPIRES")
	for _, k := range ks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.State(at),
			listTime(&k.CreatedAt), listTime(&k.ActivatesAt), listTime(k.RetiredAt), listTime(k.ExpiresAt))
	}
	return tw.Flush()
}

func listTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
