package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/store"
)

func emailsCmd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "emails", `emails check

  check  report the stored emails that today's normalization (NFKC, lower
         case, A-label domains, no invisible characters) makes collide with
         another row's, makes invalid, or changes (lookups no longer find
         them as stored). Nothing is changed. Exits 1 when it finds any.
`)
	if err := parseFlags(fs, e, args); err != nil {
		return quiet(err)
	}
	if fs.NArg() != 1 || fs.Arg(0) != "check" {
		fs.Usage()
		return errUsage
	}
	// Never migrate: a check changes nothing.
	return withDB(ctx, e, never, func(_ *config.Config, _ *slog.Logger, db *store.DB, _ *metrics.Metrics) error {
		var r emailReport
		if err := store.New(db).StoredEmails(ctx, r.add); err != nil {
			return err
		}
		return r.print(e.stdout)
	})
}

// emailKey is the set a normalized email must be unique in.
type emailKey struct{ table, scope, email string }

// emailReport groups stored emails by their normalized form.
type emailReport struct {
	groups  map[emailKey][]store.StoredEmail
	order   []emailKey // in the order rows came, so the output is stable
	invalid []store.StoredEmail
}

func (r *emailReport) add(s store.StoredEmail) error {
	n := gatehouse.NormalizeEmail(s.Email)
	if !gatehouse.ValidEmail(n) {
		r.invalid = append(r.invalid, s)
		return nil
	}
	if r.groups == nil {
		r.groups = map[emailKey][]store.StoredEmail{}
	}
	k := emailKey{s.Table, s.Scope, n}
	if _, ok := r.groups[k]; !ok {
		r.order = append(r.order, k)
	}
	r.groups[k] = append(r.groups[k], s)
	return nil
}

// print writes the report; its error says what was found, for the exit
// status.
func (r *emailReport) print(w io.Writer) error {
	var collisions, changed int
	for _, k := range r.order {
		g := r.groups[k]
		if len(g) < 2 {
			continue
		}
		collisions++
		fmt.Fprintf(w, "collision: %s: %d rows normalize to %q\n", where(k.table, k.scope), len(g), k.email)
		for _, s := range g {
			fmt.Fprintf(w, "  %s  %q\n", s.ID, s.Email)
		}
	}
	for _, s := range r.invalid {
		fmt.Fprintf(w, "invalid: %s: %s  %q\n", where(s.Table, s.Scope), s.ID, s.Email)
	}
	for _, k := range r.order {
		if g := r.groups[k]; len(g) == 1 && g[0].Email != k.email {
			changed++
			fmt.Fprintf(w, "changed: %s: %s  %q is now %q\n", where(k.table, k.scope), g[0].ID, g[0].Email, k.email)
		}
	}
	if collisions+len(r.invalid)+changed == 0 {
		fmt.Fprintln(w, "no collisions, no invalid or changed emails")
		return nil
	}
	var found []string
	for _, c := range []struct {
		n    int
		what string
	}{{collisions, "collision"}, {len(r.invalid), "invalid email"}, {changed, "changed email"}} {
		switch {
		case c.n == 1:
			found = append(found, "1 "+c.what)
		case c.n > 1:
			found = append(found, fmt.Sprintf("%d %ss", c.n, c.what))
		}
	}
	return fmt.Errorf("found %s", strings.Join(found, ", "))
}

// where names a uniqueness scope: the table, and for provider identities
// the actor type.
func where(table, scope string) string {
	if scope == table {
		return table
	}
	return table + " (" + scope + ")"
}
