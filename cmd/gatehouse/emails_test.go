package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestEmailsCheck(t *testing.T) {
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{
		{"sqlite", storetest.SQLite},
		{"postgres", storetest.Postgres},
	} {
		t.Run("database="+d.name, func(t *testing.T) {
			url := d.url(t)
			db := storetest.MustOpen(t, url)
			getenv := testEnv(url)
			check := func(t *testing.T) (string, error) {
				t.Helper()
				var out, errOut bytes.Buffer
				err := runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, []string{"emails", "check"})
				return out.String(), err
			}

			t.Run("clean database", func(t *testing.T) {
				out, err := check(t)
				if err != nil || !strings.Contains(out, "no collisions") {
					t.Fatalf("emails check = %v, stdout:\n%s", err, out)
				}
			})

			// Rows as the old normalization (trim, lower case) stored them.
			insertEmailRows(t, db)
			out, err := check(t)
			t.Logf("emails check: %v\n%s", err, out)
			if err == nil || err.Error() != "found 2 collisions, 2 invalid emails, 1 changed email" {
				t.Errorf("emails check = %v, want the findings as its error (exit status 1)", err)
			}
			for _, want := range []string{
				"collision: provider_identity (customer): 2 rows normalize to \"alice@example.com\"\n  pi_1  \"alice@example.com\"\n  pi_2  \"ａｌｉｃｅ@example.com\"\n",
				"collision: customer: 2 rows normalize to \"alice@example.com\"\n  cus_1  \"alice@example.com\"\n  cus_2  \"ａｌｉｃｅ@example.com\"\n",
				"invalid: customer: cus_3  \"ali\\u200bce@example.com\"\n",
				"invalid: invite: inv_1  \"carol\\ufeff@example.com\"\n",
				"changed: user: user_1  \"bob@bücher.example\" is now \"bob@xn--bcher-kva.example\"\n",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			for _, not := range []string{"pi_3", "cus_4", "user_2", "inv_2", "no collisions"} {
				if strings.Contains(out, not) {
					t.Errorf("stdout reports %s:\n%s", not, out)
				}
			}

			var stored string
			if err := db.Bun().NewRaw("SELECT email FROM customer WHERE id = 'cus_2'").Scan(context.Background(), &stored); err != nil || stored != "ａｌｉｃｅ@example.com" {
				t.Errorf("after the check, cus_2's email = %q (%v): the check changed it", stored, err)
			}
		})
	}
}

// insertEmailRows writes, with SQL, rows that collide, are invalid or
// change under today's normalization, and rows that do not.
func insertEmailRows(t *testing.T, db *store.DB) {
	t.Helper()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO auth_identity (id, actor_type, created_at, updated_at) VALUES ('ai_1', 'customer', ?0, ?0), ('ai_2', 'customer', ?0, ?0), ('ai_3', 'user', ?0, ?0)", []any{now}},
		{"INSERT INTO provider_identity (id, auth_identity_id, actor_type, provider, entity_id, created_at, updated_at) VALUES " +
			"('pi_1', 'ai_1', 'customer', 'emailpass', 'alice@example.com', ?0, ?0), " +
			"('pi_2', 'ai_2', 'customer', 'emailpass', 'ａｌｉｃｅ@example.com', ?0, ?0), " +
			// The same email as another actor type's is no collision.
			"('pi_3', 'ai_3', 'user', 'emailpass', 'alice@example.com', ?0, ?0)", []any{now}},
		{"INSERT INTO customer (id, email, has_account, created_at, updated_at) VALUES " +
			"('cus_1', 'alice@example.com', TRUE, ?0, ?0), " +
			"('cus_2', 'ａｌｉｃｅ@example.com', TRUE, ?0, ?0), " +
			"('cus_3', 'ali\u200bce@example.com', TRUE, ?0, ?0), " +
			// Guests may share an email.
			"('cus_4', 'ＡＬＩＣＥ@example.com', FALSE, ?0, ?0)", []any{now}},
		{"INSERT INTO \"user\" (id, email, created_at, updated_at) VALUES ('user_1', 'bob@bücher.example', ?0, ?0), ('user_2', 'dave@example.com', ?0, ?0)", []any{now}},
		{"INSERT INTO invite (id, email, token_hash, expires_at, created_at, updated_at) VALUES " +
			"('inv_1', 'carol\ufeff@example.com', 'h1', ?0, ?0, ?0), ('inv_2', 'erin@example.com', 'h2', ?0, ?0, ?0)", []any{now}},
	} {
		if _, err := db.Bun().ExecContext(context.Background(), q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
}

func TestEmailsCommand(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr bool
		stdout  string
	}{
		{"help", []string{"emails", "--help"}, false, "emails check"},
		{"listed in the usage", []string{"--help"}, false, "emails"},
		{"no verb", []string{"emails"}, true, ""},
		{"unknown verb", []string{"emails", "merge"}, true, ""},
		{"two verbs", []string{"emails", "check", "check"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runEnv(context.Background(), env{getenv: testEnv(storetest.SQLite(t)), stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard}, tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(out.String(), tc.stdout) {
				t.Fatalf("stdout = %q, want it to contain %q", out.String(), tc.stdout)
			}
		})
	}
}
