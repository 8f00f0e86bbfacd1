package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/load"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The load tool runs every scenario at two concurrencies against the real
// server, with the server's own argon2id parameters, and every operation
// it should run succeeds at least once and never fails; the hash ceiling,
// the probe ratios and the server's RSS are measured. (It measures; this
// test only checks that it works, never how fast.)
func TestLoadTool(t *testing.T) {
	base, _ := startServer(t, testEnv(storetest.SQLite(t)))
	scenarios := append(load.StandardSuite(), load.Mixed)
	concurrency := []int{2, 4}
	rep, err := load.Run(t.Context(), load.Options{
		URL:         base + "/graphql",
		Scenarios:   scenarios,
		Concurrency: concurrency,
		Duration:    300 * time.Millisecond,
		// testEnv's parameters.
		Params:      password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1},
		HashSamples: 3,
	})
	if err != nil {
		t.Fatal(err)
	}

	if rep.Shoppers != 4 {
		t.Errorf("shoppers = %d, want the largest concurrency, 4", rep.Shoppers)
	}
	if rep.Hash.PerHash <= 0 || rep.Hash.PerSecond <= 0 || rep.Hash.MemoryKiB != 64 {
		t.Errorf("hash ceiling not measured: %+v", rep.Hash)
	}
	if rep.RSSError != "" || rep.RSSIdle <= 0 {
		t.Errorf("idle RSS = %d (%s), want > 0", rep.RSSIdle, rep.RSSError)
	}

	wantOps := map[string][]string{
		load.SignIn:  {load.SignIn},
		load.Refresh: {load.Refresh},
		load.Me:      {load.Me},
		load.MeGet:   {load.MeGet},
		load.Probe:   {load.SignIn, load.RefreshAlone, load.Refresh, load.MeAlone, load.Me},
		load.Mixed:   {load.SignIn, load.Refresh, load.Me},
	}
	for _, scenario := range scenarios {
		for _, c := range concurrency {
			run := rep.Run(scenario, c)
			if run == nil {
				t.Errorf("%s c=%d: no run", scenario, c)
				continue
			}
			if run.RSSPeak <= 0 || run.RSSSamples == 0 {
				t.Errorf("%s c=%d: RSS peak %d from %d samples, want > 0", scenario, c, run.RSSPeak, run.RSSSamples)
			}
			var got []string
			for _, s := range run.Ops {
				got = append(got, s.Op)
				if s.OK == 0 || s.PerSecond <= 0 || s.P99 <= 0 || s.Max < s.P50 {
					t.Errorf("%s c=%d %s: %d ok, %.1f/s, p50 %s, p99 %s, max %s", scenario, c, s.Op, s.OK, s.PerSecond, s.P50, s.P99, s.Max)
				}
				if s.Shed+s.Failures > 0 || len(s.Errors) > 0 {
					t.Errorf("%s c=%d %s: %d shed, %d failures: %v", scenario, c, s.Op, s.Shed, s.Failures, s.Errors)
				}
				if s.Op == load.SignIn && s.CeilingPercent <= 0 {
					t.Errorf("%s c=%d: sign-in not set against the hash ceiling", scenario, c)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(wantOps[scenario]))
			if !slices.Equal(got, want) {
				t.Errorf("%s c=%d: operations %v, want %v", scenario, c, got, want)
			}
			if scenario == load.Probe {
				for _, op := range []string{load.Refresh, load.Me} {
					if s := run.Op(op); s != nil && (s.P99Ratio <= 0 || s.P99Alone <= 0) {
						t.Errorf("probe c=%d %s: p99 ratio %.2f, alone %s: want both > 0", c, op, s.P99Ratio, s.P99Alone)
					}
				}
			}
		}
	}

	table := rep.String()
	for _, want := range append(scenarios, "hash ceiling", "server RSS idle", "refresh-alone", "of hash ceiling", "of alone") {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Runs []struct {
			Scenario string `json:"scenario"`
			Ops      []struct {
				OK  int     `json:"ok"`
				P99 float64 `json:"p99Ms"`
			} `json:"ops"`
		} `json:"runs"`
		RSSIdle int64 `json:"rssIdleBytes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, buf.String())
	}
	if len(decoded.Runs) != len(scenarios)*len(concurrency) || decoded.RSSIdle <= 0 || decoded.Runs[0].Ops[0].OK == 0 || decoded.Runs[0].Ops[0].P99 <= 0 {
		t.Errorf("JSON report lacks figures:\n%s", buf.String())
	}
	if testing.Verbose() {
		t.Logf("\n%s", table)
	}
}
