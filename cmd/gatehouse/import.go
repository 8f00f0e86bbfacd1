package main

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/medusa"
)

// importCmd is `gatehouse import medusa`: accounts read from another
// store's database, keeping their ids.
func importCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		w := e.stdout
		if len(args) == 0 {
			w = e.stderr
		}
		fmt.Fprintln(w, "Usage: gatehouse import medusa --from postgres://… [--dry-run]")
		fmt.Fprintln(w, "\n  medusa  import a Medusa v2 database's customers, addresses, admin users and identities, keeping their ids")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	if args[0] != "medusa" {
		return fmt.Errorf("unknown import source %q (want medusa)", args[0])
	}
	return quiet(importMedusa(ctx, e, args[1:]))
}

func importMedusa(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "import medusa", `import medusa --from postgres://… [--dry-run]

Reads the Medusa v2 database at --from (only reads it: its auth_identity,
provider_identity, customer, customer_address and "user" tables) and
imports every undeleted customer (with its addresses, company and
metadata) and admin user, with the auth and provider identities that sign
them in, keeping Medusa's ids and its scrypt password hashes (upgraded to
argon2id at each first sign-in). Each account is one transaction: it
imports whole or not at all. An account whose id gatehouse already has
is skipped, so a second run changes nothing. --dry-run does the work and
rolls every account back. The summary counts imported, skipped and failed
accounts; each skip and failure is listed with its reason.
`)
	from := fs.String("from", "", "the Medusa database, as a postgres:// URL (required)")
	dry := fs.Bool("dry-run", false, "report what would be imported, writing nothing")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *from == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	src, err := medusa.Open(ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	accounts, orphans, err := medusa.Accounts(ctx, src)
	if err != nil {
		return err
	}
	return withApp(ctx, e, func(a *app) error {
		verb := "imported"
		if *dry {
			verb = "would import"
		}
		counts := map[gatehouse.ActorType]int{}
		skipped, failed := 0, 0
		for _, acc := range accounts {
			outcome, err := a.auth.ImportAccount(ctx, acc, *dry)
			switch {
			case err != nil:
				failed++
				fmt.Fprintf(e.stdout, "failed  %s %s: %v\n", acc.ActorType, acc.ID(), userFacing(err))
			case outcome == auth.AlreadyImported:
				skipped++
				fmt.Fprintf(e.stdout, "skipped %s %s: already imported\n", acc.ActorType, acc.ID())
			default:
				counts[acc.ActorType]++
				fmt.Fprintf(e.stdout, "%s %s %s%s\n", verb, acc.ActorType, acc.ID(), importDetail(acc))
			}
		}
		for _, o := range orphans {
			skipped++
			why := "no customer or user in its app_metadata"
			if o.ActorID != "" {
				why = o.ActorID + " is not in the database (deleted)"
			}
			fmt.Fprintf(e.stdout, "skipped auth identity %s: %s\n", o.AuthIdentityID, why)
		}
		fmt.Fprintf(e.stdout, "%s %d customers and %d users; skipped %d; failed %d\n",
			verb, counts[gatehouse.ActorCustomer], counts[gatehouse.ActorUser], skipped, failed)
		if failed > 0 {
			return fmt.Errorf("%d accounts failed", failed)
		}
		return nil
	})
}

// importDetail says what an account brings: its email, addresses and ways
// to sign in.
func importDetail(acc auth.ImportedAccount) string {
	email := ""
	switch {
	case acc.User != nil:
		email = acc.User.Email
	case acc.Customer != nil && acc.Customer.Email != nil:
		email = *acc.Customer.Email
	}
	out := " " + email
	if acc.ActorType == gatehouse.ActorCustomer {
		out += fmt.Sprintf(", %d addresses", len(acc.Addresses))
		if !acc.Customer.HasAccount {
			out += ", a guest"
		}
	}
	for _, p := range acc.Identities {
		out += ", " + p.Provider
	}
	return out
}
