package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// dump returns every row of every table of db as text.
func dump(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	if db.Dialect() == store.SQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	var tables []string
	if err := db.Bun().NewRaw(q).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: %v", len(tables), tables)
	}
	var out strings.Builder
	for _, table := range tables {
		rows, err := db.Bun().QueryContext(ctx, fmt.Sprintf(`SELECT * FROM %q`, table))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%s:", table)
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&out, " %v", v)
			}
			out.WriteString("\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out.String()
}

// After a full flow, no issued secret is in any table or in the log, and
// no email address is in the log.
func TestNoSecretStoredOrLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// With a subscriber, so the outbox holds its sealed secrets.
		a := eventsAPI(t, db)
		var secrets []string
		keep := func(s ...string) { secrets = append(secrets, s...) }

		reg := mustTicket(t, a.register(t, "CUSTOMER", "secret@example.com", "hidden customer passphrase", ""))
		keep(reg.AccessToken, *reg.RefreshToken, "hidden customer passphrase")
		var p customerPayload
		a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{}}).decode(t, "createCustomer", &p)
		tk := mustTicket(t, a.authenticate(t, "CUSTOMER", "secret@example.com", "hidden customer passphrase"))
		keep(tk.AccessToken, *tk.RefreshToken)
		next := mustTicket(t, a.rotate(t, *tk.RefreshToken))
		keep(next.AccessToken, *next.RefreshToken)
		r := a.browser(t, browserReq{bearer: next.AccessToken}, createSessionQ, nil)
		var sp sessionPayload
		r.decode(t, "createSession", &sp)
		keep((&http.Response{Header: r.header}).Cookies()[0].Value, *sp.Session.CSRFToken)

		root := a.admin(t)
		keep(root, "the first admin passphrase")
		inv := a.invite(t, root, "secret.admin@example.com")
		keep(inv)
		adm := mustTicket(t, a.register(t, "USER", "secret.admin@example.com", "hidden staff passphrase", inv))
		keep(adm.AccessToken, *adm.RefreshToken, "hidden staff passphrase")
		anon := mustKibo(t, a.kibo(t, "", anonymousQ, "createAnonymousShopperAuthTicket", nil))
		keep(anon.AccessToken, *anon.RefreshToken)

		// Reset and verification tokens travel in the outbox, sealed.
		a.requestReset(t, "CUSTOMER", "secret@example.com")
		resetTok := a.lastSecret(t, gatehouse.EventPasswordReset)
		keep(resetTok, "a new hidden passphrase")
		if r := a.reset(t, "CUSTOMER", resetTok, "a new hidden passphrase"); !r.Success {
			t.Fatalf("reset: %+v", r.Errors)
		}
		after := mustTicket(t, a.authenticate(t, "CUSTOMER", "secret@example.com", "a new hidden passphrase"))
		keep(after.AccessToken, *after.RefreshToken)
		a.do(t, after.AccessToken, `mutation { requestEmailVerification { accepted } }`, nil)
		keep(a.lastSecret(t, gatehouse.EventEmailVerification))
		if got := a.lastSecret(t, gatehouse.EventInviteCreated); got != inv {
			t.Fatal("the invite event does not carry the invite token")
		}

		tables, logs := dump(t, db), a.log.String()
		for _, s := range secrets {
			if s == "" {
				t.Fatal("an empty secret was collected")
			}
			// Any 16-character window of the secret will do: tokens are
			// random, so a partial match is a leak too.
			probe := s[len(s)/2:]
			if len(probe) > 16 {
				probe = probe[:16]
			}
			if strings.Contains(tables, probe) {
				t.Errorf("a secret (%.6s…) is stored in plain text", s)
			}
			if strings.Contains(logs, probe) {
				t.Errorf("a secret (%.6s…) is logged", s)
			}
		}
		// Nor is any email address, in any spelling (ASVS 7.1.2).
		for _, e := range []string{"secret@example.com", "secret.admin@example.com"} {
			if strings.Contains(strings.ToLower(logs), e) {
				t.Errorf("%s is logged", e)
			}
		}
	})
}
