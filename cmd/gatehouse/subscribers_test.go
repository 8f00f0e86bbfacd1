package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// gatehouse subscribers lists the fleet's table with what each is owed,
// and disable sets a subscriber's backlog aside, on both databases.
func TestSubscribersCommand(t *testing.T) {
	eachDatabase(t, func(t *testing.T, url string) {
		s := store.New(storetest.MustOpen(t, url))
		ctx := t.Context()
		now := time.Now()
		if err := s.EnsureSubscribers(ctx, []store.Subscriber{{Name: "webhook", Kind: "webhook", Config: map[string]any{"url": "https://hooks.example/in"}}, {Name: "nats", Kind: "nats"}}, now); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			e := &gatehouse.Event{ID: gatehouse.NewID("evt"), Name: "auth.test", AuthIdentityID: gatehouse.NewID("authid"), CreatedAt: now}
			if err := s.Tx(ctx, func(tx auth.Store) error { return tx.AppendEvent(ctx, e, "", nil) }); err != nil {
				t.Fatal(err)
			}
		}
		run := func(t *testing.T, args ...string) (string, error) {
			t.Helper()
			var out, errOut bytes.Buffer
			err := subscribersCmd(context.Background(), env{getenv: testEnv(url), stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args)
			return out.String(), err
		}
		for _, c := range []struct {
			name string
			args []string
			want string
			err  bool
		}{
			{"list", []string{"list"}, `(?m)^nats +nats +true +2 .*\n^webhook +webhook +true +2 +\{"url":"https://hooks.example/in"\}$`, false},
			{"disable", []string{"disable", "nats"}, `nats disabled: owed no new events; 2 deliveries set aside as dead`, false},
			{"list_after_disable", []string{"list"}, `(?m)^nats +nats +false +0 `, false},
			{"enable", []string{"enable", "nats"}, `nats enabled`, false},
			{"unknown", []string{"disable", "nobody"}, ``, true},
			{"usage", []string{"disable"}, ``, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				out, err := run(t, c.args...)
				if (err != nil) != c.err {
					t.Fatalf("subscribers %v: error %v, want error %t\n%s", c.args, err, c.err, out)
				}
				if !regexp.MustCompile(c.want).MatchString(out) {
					t.Fatalf("subscribers %v printed\n%s\nwant it to match %s", c.args, out, c.want)
				}
			})
		}
	})
}
