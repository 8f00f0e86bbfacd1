package housekeeping_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// each runs fn per database with two connections pools to it, as two
// instances have.
func each(t *testing.T, fn func(t *testing.T, a, b *store.DB)) {
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{
		{"sqlite", storetest.SQLite},
		{"postgres", storetest.Postgres},
	} {
		t.Run("database="+d.name, func(t *testing.T) {
			url := d.url(t)
			a := storetest.MustOpen(t, url)
			b := storetest.MustOpen(t, url)
			fn(t, a, b)
		})
	}
}

// gated is a database whose passes begin with a pruner that waits for
// the test: a pass that is still running.
type gated struct {
	*store.DB
	entered chan struct{}
	release chan struct{}
}

func newGated(db *store.DB) *gated {
	return &gated{DB: db, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (g *gated) Pruners(r housekeeping.Retention) []housekeeping.Pruner {
	wait := housekeeping.Pruner{
		Table: "gate",
		Batch: func(ctx context.Context, _ time.Time, _ int) (map[string]int, error) {
			g.entered <- struct{}{}
			select {
			case <-g.release:
				return map[string]int{}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		Count: func(context.Context, time.Time) (map[string]int, error) { return map[string]int{}, nil },
	}
	return append([]housekeeping.Pruner{wait}, g.DB.Pruners(r)...)
}

func mustNew(t *testing.T, st housekeeping.Store, holder string, clock *clocktest.Clock) *housekeeping.Housekeeper {
	t.Helper()
	h, err := housekeeping.New(st, housekeeping.Options{Holder: holder, Now: clock.Now, Interval: 10 * time.Minute, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type passResult struct {
	r   housekeeping.Report
	err error
}

func TestLease(t *testing.T) {
	each(t, func(t *testing.T, dbA, dbB *store.DB) {
		ctx := t.Context()
		clock := clocktest.New(t0)
		ga := newGated(dbA)
		a, b := mustNew(t, ga, "a", clock), mustNew(t, dbB, "b", clock)
		ran := func(t *testing.T, name string, pass func(context.Context) (housekeeping.Report, error), want bool) {
			t.Helper()
			r, err := pass(ctx)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if r.Ran != want {
				t.Fatalf("%s ran = %v, want %v", name, r.Ran, want)
			}
		}
		startA := func() <-chan passResult {
			done := make(chan passResult, 1)
			go func() {
				r, err := a.Pass(ctx)
				done <- passResult{r, err}
			}()
			select {
			case <-ga.entered:
			case res := <-done:
				t.Fatalf("a's pass did not start: ran %v, %v", res.r.Ran, res.err)
			case <-time.After(30 * time.Second):
				t.Fatal("a's pass did not start within 30s")
			}
			return done
		}

		t.Run("one pass at a time", func(t *testing.T) {
			done := startA()
			ran(t, "b's loop pass while a's runs", b.Pass, false)
			ran(t, "b's prune while a's runs", b.PassNow, false)
			ga.release <- struct{}{}
			if res := <-done; res.err != nil || !res.r.Ran {
				t.Fatalf("a's pass: ran %v, %v", res.r.Ran, res.err)
			}
		})
		t.Run("the next pass waits for the interval", func(t *testing.T) {
			ran(t, "b's loop pass just after a's", b.Pass, false)
			clock.Advance(10*time.Minute - time.Second)
			ran(t, "b's loop pass a second early", b.Pass, false)
			ran(t, "b's prune, any time", b.PassNow, true)
			clock.Advance(10 * time.Minute)
			ran(t, "b's loop pass when due", b.Pass, true)
		})
		t.Run("a dead holder's lease lapses", func(t *testing.T) {
			clock.Advance(10 * time.Minute)
			done := startA()
			ran(t, "b while a holds the lease", b.Pass, false)
			clock.Advance(time.Minute - time.Microsecond)
			ran(t, "b just before a's lease lapses", b.Pass, false)
			clock.Advance(time.Microsecond) // a stalled past its lease
			ran(t, "b once a's lease lapsed", b.Pass, true)
			ga.release <- struct{}{}
			if res := <-done; !errors.Is(res.err, housekeeping.ErrLeaseLost) {
				t.Fatalf("a's stalled pass = ran %v, %v; want ErrLeaseLost", res.r.Ran, res.err)
			}
		})
	})
}

// TestLeaseRace starts many passes at the same instant on the same
// database: exactly one runs.
func TestLeaseRace(t *testing.T) {
	each(t, func(t *testing.T, dbA, dbB *store.DB) {
		clock := clocktest.New(t0)
		const n = 8
		hs := make([]*housekeeping.Housekeeper, n)
		for i := range hs {
			db := dbA
			if i%2 == 1 {
				db = dbB
			}
			hs[i] = mustNew(t, db, string(rune('a'+i)), clock)
		}
		for round := range 3 {
			var (
				wg    sync.WaitGroup
				start = make(chan struct{})
				res   = make([]passResult, n)
			)
			for i, h := range hs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r, err := h.Pass(t.Context())
					res[i] = passResult{r, err}
				}()
			}
			close(start)
			wg.Wait()
			ran := 0
			for i, r := range res {
				if r.err != nil {
					t.Fatalf("round %d: housekeeper %d: %v", round, i, r.err)
				}
				if r.r.Ran {
					ran++
				}
			}
			if ran != 1 {
				t.Fatalf("round %d: %d passes ran, want exactly 1", round, ran)
			}
			clock.Advance(11 * time.Minute)
		}
	})
}
