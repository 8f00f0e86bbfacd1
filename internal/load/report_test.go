package load

import (
	"strings"
	"testing"
	"time"
)

func TestShed(t *testing.T) {
	for code, want := range map[string]bool{
		"RATE_LIMITED":          true,
		"UNAVAILABLE":           true,
		"INTERNAL_SERVER_ERROR": false,
		codeTransport:           false,
		"UNAUTHENTICATED":       false,
		"":                      false,
	} {
		t.Run(code, func(t *testing.T) {
			if got := Shed(code); got != want {
				t.Errorf("Shed(%q) = %v, want %v", code, got, want)
			}
		})
	}
}

// Shed requests and failures are counted apart, and neither enters the
// latencies or the rate.
func TestOpStatsCounts(t *testing.T) {
	a, b := newOpStats(SignIn), newOpStats(SignIn)
	for i := 1; i <= 100; i++ {
		a.add(time.Duration(i)*time.Millisecond, "")
	}
	b.add(time.Microsecond, "RATE_LIMITED")
	b.add(time.Microsecond, "UNAVAILABLE")
	b.add(time.Microsecond, "UNAVAILABLE")
	b.add(time.Second, "INTERNAL_SERVER_ERROR")
	b.add(time.Second, codeTransport)
	a.merge(b)
	a.finish(10 * time.Second)

	if a.OK != 100 || a.Shed != 3 || a.Failures != 2 {
		t.Errorf("ok %d, shed %d, failures %d; want 100, 3, 2", a.OK, a.Shed, a.Failures)
	}
	if a.Errors["UNAVAILABLE"] != 2 || a.Errors["RATE_LIMITED"] != 1 || a.Errors[codeTransport] != 1 || len(a.Errors) != 4 {
		t.Errorf("errors by code: %v", a.Errors)
	}
	if a.PerSecond != 10 {
		t.Errorf("ops/s = %v, want 10 (successes only)", a.PerSecond)
	}
	for _, c := range []struct {
		name string
		got  Millis
		want time.Duration
	}{
		{"p50", a.P50, 50 * time.Millisecond},
		{"p90", a.P90, 90 * time.Millisecond},
		{"p99", a.P99, 99 * time.Millisecond},
		{"max", a.Max, 100 * time.Millisecond},
	} {
		if time.Duration(c.got) != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
}

func TestPercentileEmpty(t *testing.T) {
	if p := newOpStats(Me).Percentile(99); p != 0 {
		t.Errorf("p99 of nothing = %s", p)
	}
}

func TestParseRSS(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       int64
		wantErr    bool
	}{
		{"exposition", "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 4.5678592e+07\nprocess_virtual_memory_bytes 1.2e+09\n", 45678592, false},
		{"no collector", "go_goroutines 12\n", 0, true},
		{"not a number", "process_resident_memory_bytes lots\n", 0, true},
		{"prefix only", "process_resident_memory_bytes_total 5\n", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseRSS(strings.NewReader(c.text))
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("parseRSS = %d, %v; want %d, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

// The probe scenario's loaded p99 is set against its p99 alone, and
// sign-in against the hash ceiling.
func TestDerive(t *testing.T) {
	stats := func(op string, ms ...int) *OpStats {
		s := newOpStats(op)
		for _, m := range ms {
			s.add(time.Duration(m)*time.Millisecond, "")
		}
		s.finish(time.Second)
		return s
	}
	rep := &Report{Hash: HashCeiling{PerSecond: 80}}
	run := &RunReport{Scenario: Probe, Concurrency: 8}
	run.add(map[string]*OpStats{
		RefreshAlone: stats(RefreshAlone, 2, 4),
		Refresh:      stats(Refresh, 10, 12),
		MeAlone:      stats(MeAlone, 1),
		Me:           stats(Me, 3),
		SignIn:       stats(SignIn, make([]int, 40)...),
	}, time.Second)
	rep.Runs = []*RunReport{run}
	rep.derive()

	if r := run.Op(Refresh); r.P99Ratio != 3 || time.Duration(r.P99Alone) != 4*time.Millisecond {
		t.Errorf("refresh: ratio %v, alone %s; want 3, 4ms", r.P99Ratio, r.P99Alone)
	}
	if m := run.Op(Me); m.P99Ratio != 3 {
		t.Errorf("me: ratio %v, want 3", m.P99Ratio)
	}
	if s := run.Op(SignIn); s.CeilingPercent != 50 {
		t.Errorf("sign-in: %v%% of the ceiling, want 50", s.CeilingPercent)
	}
	if got := run.Ops[1].Op; got != RefreshAlone {
		t.Errorf("second row %s, want %s just above %s", got, RefreshAlone, Refresh)
	}
}

func TestOptionsRefuseSharedChains(t *testing.T) {
	o := Options{URL: "http://127.0.0.1:1/graphql", Scenarios: []string{Refresh}, Concurrency: []int{8, 64}, Duration: time.Second, Shoppers: 10}
	if err := o.defaults(); err == nil || !strings.Contains(err.Error(), "own") {
		t.Errorf("10 shoppers for 64 workers: err = %v", err)
	}
	o.Shoppers = 0
	if err := o.defaults(); err != nil || o.Shoppers != 64 || o.MetricsURL != "http://127.0.0.1:1/metrics" {
		t.Errorf("defaults: %v, shoppers %d, metrics %q", err, o.Shoppers, o.MetricsURL)
	}
	o.Scenarios = []string{"nope"}
	if err := o.defaults(); err == nil {
		t.Error("unknown scenario accepted")
	}
}

// Report.Failures adds up every run's failures, never its shed requests:
// -fail-on-failures exits on it.
func TestReportFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs []*RunReport
		want int
	}{
		{"no runs", nil, 0},
		{"only shed", []*RunReport{{Ops: []*OpStats{{Shed: 5}}}}, 0},
		{"failures across runs", []*RunReport{{Ops: []*OpStats{{Failures: 2}, {Shed: 3}}}, {Ops: []*OpStats{{Failures: 1}}}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (&Report{Runs: tc.runs}).Failures(); got != tc.want {
				t.Fatalf("Failures() = %d, want %d", got, tc.want)
			}
		})
	}
}
