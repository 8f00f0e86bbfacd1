package load

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is what one invocation measured.
type Report struct {
	Started  time.Time   `json:"started"`
	URL      string      `json:"url"`
	Hash     HashCeiling `json:"hashCeiling"`
	Shoppers int         `json:"shoppers"`
	SetUp    Millis      `json:"setUpMs"`
	// RSSIdle is the server's resident set size before set-up; 0 when
	// RSSError says why it could not be read.
	RSSIdle  int64        `json:"rssIdleBytes"`
	RSSError string       `json:"rssError,omitempty"`
	Runs     []*RunReport `json:"runs"`
}

// Failures counts the failed operations of every run (shed ones are not
// failures).
func (r *Report) Failures() int {
	n := 0
	for _, run := range r.Runs {
		for _, op := range run.Ops {
			n += op.Failures
		}
	}
	return n
}

// RunReport is one scenario at one concurrency.
type RunReport struct {
	Scenario    string `json:"scenario"`
	Concurrency int    `json:"concurrency"`
	Duration    Millis `json:"durationMs"`
	// RSSPeak is the largest resident set size the server reported while
	// the run lasted (sampled every 250 ms).
	RSSPeak    int64      `json:"rssPeakBytes"`
	RSSSamples int        `json:"rssSamples"`
	Ops        []*OpStats `json:"ops"`
}

// OpStats are one operation's figures in one run. Latencies and ops/s
// count only the operations that succeeded: a shed request answers fast
// and would flatter them.
type OpStats struct {
	Op        string         `json:"op"`
	Duration  Millis         `json:"durationMs"` // of the phase the operation ran in
	OK        int            `json:"ok"`
	Shed      int            `json:"shed"`     // RATE_LIMITED, UNAVAILABLE
	Failures  int            `json:"failures"` // every other error
	Errors    map[string]int `json:"errors"`   // by code, shed ones included
	PerSecond float64        `json:"opsPerSecond"`
	P50       Millis         `json:"p50Ms"`
	P90       Millis         `json:"p90Ms"`
	P99       Millis         `json:"p99Ms"`
	Max       Millis         `json:"maxMs"`
	// CeilingPercent is sign-in throughput as a percentage of the hash
	// ceiling (sign-in operations only).
	CeilingPercent float64 `json:"ceilingPercent,omitempty"`
	// P99Alone and P99Ratio set a probe's p99 beside sign-ins against its
	// p99 with nothing else running (the probe scenario's refresh and me).
	P99Alone Millis  `json:"p99AloneMs,omitempty"`
	P99Ratio float64 `json:"p99Ratio,omitempty"`

	latencies []time.Duration // successful operations only
}

// Millis is a duration that JSON shows in milliseconds.
type Millis time.Duration

// MarshalJSON writes m as milliseconds with microsecond precision.
func (m Millis) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(time.Duration(m).Microseconds()) / 1000)
}

func (m Millis) String() string {
	return fmt.Sprintf("%.2fms", float64(time.Duration(m).Microseconds())/1000)
}

func newOpStats(op string) *OpStats { return &OpStats{Op: op, Errors: map[string]int{}} }

func (s *OpStats) add(d time.Duration, code string) {
	switch {
	case code == "":
		s.OK++
		s.latencies = append(s.latencies, d)
		return
	case Shed(code):
		s.Shed++
	default:
		s.Failures++
	}
	s.Errors[code]++
}

func (s *OpStats) merge(o *OpStats) {
	s.OK += o.OK
	s.Shed += o.Shed
	s.Failures += o.Failures
	for code, n := range o.Errors {
		s.Errors[code] += n
	}
	s.latencies = append(s.latencies, o.latencies...)
}

func (s *OpStats) finish(phase time.Duration) {
	slices.Sort(s.latencies)
	s.Duration = Millis(phase)
	if phase > 0 {
		s.PerSecond = float64(s.OK) / phase.Seconds()
	}
	s.P50, s.P90, s.P99, s.Max = Millis(s.Percentile(50)), Millis(s.Percentile(90)), Millis(s.Percentile(99)), Millis(s.Percentile(100))
}

// Percentile returns the p-th percentile latency of the successful
// operations (0 < p ≤ 100), nearest rank; 0 when none succeeded.
func (s *OpStats) Percentile(p float64) time.Duration {
	l := s.latencies
	if len(l) == 0 {
		return 0
	}
	if !slices.IsSorted(l) {
		l = slices.Sorted(slices.Values(l))
	}
	i := int(float64(len(l))*p/100+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

func (r *RunReport) add(ops map[string]*OpStats, phase time.Duration) {
	r.Duration += Millis(phase)
	for _, st := range ops {
		r.Ops = append(r.Ops, st)
	}
	sort.Slice(r.Ops, func(i, j int) bool { return opOrder(r.Ops[i].Op) < opOrder(r.Ops[j].Op) })
}

// opOrder lists a run's rows with the probes alone just above the same
// probes under load.
func opOrder(op string) string {
	order := []string{SignIn, RefreshAlone, Refresh, MeAlone, Me, MeGet}
	if i := slices.Index(order, op); i >= 0 {
		return fmt.Sprintf("%02d", i)
	}
	return "99" + op
}

// Run returns the run of scenario at concurrency c, or nil.
func (r *Report) Run(scenario string, c int) *RunReport {
	for _, run := range r.Runs {
		if run.Scenario == scenario && run.Concurrency == c {
			return run
		}
	}
	return nil
}

// Op returns the figures of op, or nil.
func (r *RunReport) Op(op string) *OpStats {
	for _, s := range r.Ops {
		if s.Op == op {
			return s
		}
	}
	return nil
}

// derive fills in the figures that compare one measurement with another.
func (r *Report) derive() {
	for _, run := range r.Runs {
		for _, s := range run.Ops {
			if s.Op == SignIn && r.Hash.PerSecond > 0 {
				s.CeilingPercent = 100 * s.PerSecond / r.Hash.PerSecond
			}
		}
		if run.Scenario != Probe {
			continue
		}
		for loaded, alone := range map[string]string{Refresh: RefreshAlone, Me: MeAlone} {
			l, a := run.Op(loaded), run.Op(alone)
			if l == nil || a == nil || a.P99 == 0 {
				continue
			}
			l.P99Alone = a.P99
			l.P99Ratio = float64(l.P99) / float64(a.P99)
		}
	}
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// String renders the report as a table.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gatehouse-load %s, %s\n", r.URL, r.Started.Format("2006-01-02 15:04 MST"))
	h := r.Hash
	fmt.Fprintf(&b, "hash ceiling: argon2id m=%d KiB t=%d p=%d takes %s (median of %d) here; %d CPUs / %s = %.1f sign-ins/s\n",
		h.MemoryKiB, h.Iterations, h.Parallelism, h.PerHash, h.Samples, h.CPUs, h.PerHash, h.PerSecond)
	if r.RSSError != "" {
		fmt.Fprintf(&b, "server RSS: not measured: %s\n", r.RSSError)
	} else {
		fmt.Fprintf(&b, "server RSS idle: %s\n", mib(r.RSSIdle))
	}
	fmt.Fprintf(&b, "set-up: %d shoppers (register, createCustomer, one address) in %s\n\n", r.Shoppers, time.Duration(r.SetUp).Round(time.Millisecond))

	fmt.Fprintf(&b, "%-8s %4s  %-14s %9s %9s %9s %9s %9s %8s %6s %6s %10s  %s\n",
		"scenario", "c", "operation", "ops/s", "p50", "p90", "p99", "max", "ok", "shed", "fail", "RSS peak", "note")
	var errs []string
	for _, run := range r.Runs {
		for i, s := range run.Ops {
			rss := ""
			if i == 0 && r.RSSError == "" {
				rss = mib(run.RSSPeak)
			}
			var note string
			switch {
			case s.CeilingPercent > 0:
				note = fmt.Sprintf("%.1f%% of hash ceiling", s.CeilingPercent)
			case s.P99Ratio > 0:
				note = fmt.Sprintf("p99 ×%.2f of alone (%s)", s.P99Ratio, s.P99Alone)
			}
			fmt.Fprintf(&b, "%-8s %4d  %-14s %9.1f %9s %9s %9s %9s %8d %6d %6d %10s  %s\n",
				run.Scenario, run.Concurrency, s.Op, s.PerSecond, s.P50, s.P90, s.P99, s.Max, s.OK, s.Shed, s.Failures, rss, note)
			if len(s.Errors) > 0 {
				codes := make([]string, 0, len(s.Errors))
				for code, n := range s.Errors {
					codes = append(codes, fmt.Sprintf("%s=%d", code, n))
				}
				sort.Strings(codes)
				errs = append(errs, fmt.Sprintf("  %s c=%d %s: %s", run.Scenario, run.Concurrency, s.Op, strings.Join(codes, " ")))
			}
		}
	}
	if len(errs) > 0 {
		b.WriteString("\nerrors by code (RATE_LIMITED and UNAVAILABLE are shed; the rest are failures):\n")
		b.WriteString(strings.Join(errs, "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }
