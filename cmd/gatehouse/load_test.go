package main

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/load"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The load tool runs every scenario against the real server without an
// error. (It measures; this test only checks that it works.)
func TestLoadTool(t *testing.T) {
	base, _ := startServer(t, testEnv(storetest.SQLite(t)))
	for _, scenario := range []string{load.SignIn, load.Me, load.Refresh, load.Mixed} {
		t.Run(scenario, func(t *testing.T) {
			rep, err := load.Run(t.Context(), load.Options{URL: base + "/graphql", Scenario: scenario, Concurrency: 2, Shoppers: 2, Duration: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for op, s := range rep.Ops {
				total += s.Count
				if len(s.Errors) > 0 {
					t.Errorf("%s: errors %v", op, s.Errors)
				}
			}
			if total == 0 {
				t.Fatalf("no operation ran:\n%s", rep)
			}
		})
	}
}
