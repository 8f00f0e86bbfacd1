package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestPruneCommand(t *testing.T) {
	eachDatabase(t, func(t *testing.T, url string) {
		db := storetest.MustOpen(t, url)
		// Two OAuth states that expired a day ago: the rest of the
		// database is empty.
		for range 2 {
			exp := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Microsecond)
			st := &gatehouse.OAuthState{ID: gatehouse.NewID("st"), ActorType: gatehouse.ActorCustomer, Provider: "google",
				RedirectURL: "https://shop.example/cb", CreatedAt: exp.Add(-10 * time.Minute), ExpiresAt: exp}
			if err := store.New(db).CreateOAuthState(t.Context(), st); err != nil {
				t.Fatal(err)
			}
		}
		prune := func(t *testing.T, args ...string) string {
			t.Helper()
			var out, errOut bytes.Buffer
			err := pruneCmd(context.Background(), env{getenv: testEnv(url), stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args)
			if err != nil {
				t.Fatalf("prune %v: %v\n%s", args, err, errOut.String())
			}
			return out.String()
		}
		for _, c := range []struct {
			name string
			args []string
			want string
		}{
			{"dry run counts", []string{"--dry-run"}, `(?m)^table +would delete\n(.|\n)*^oauth_state +2\n(.|\n)*^total +2\n`},
			{"pass deletes", nil, `(?m)^table +deleted\n(.|\n)*^oauth_state +2\n(.|\n)*^total +2\n`},
			{"nothing left", nil, `(?m)^oauth_state +0\n(.|\n)*^total +0\n`},
		} {
			t.Run(c.name, func(t *testing.T) {
				out := prune(t, c.args...)
				if !regexp.MustCompile(c.want).MatchString(out) {
					t.Errorf("prune %v printed:\n%s\nwant it to match %s", c.args, out, c.want)
				}
			})
		}
	})
}
