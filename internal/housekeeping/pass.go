package housekeeping

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrLeaseLost means another instance took the lease during a pass (this
// one stalled past it): the pass stopped between two batches.
var ErrLeaseLost = errors.New("housekeeping: the lease was lost during the pass")

// Report is what a pass did, or, for a dry run, would do.
type Report struct {
	// Ran is false when the lease was not this instance's to take: a
	// pass ran elsewhere, or (for the loop) the next was not due yet.
	Ran bool
	// Rows are the rows deleted (or counted) per table, in the order of
	// the pruners; every pruner's table has a line, 0 included.
	Rows []TableRows
}

// TableRows is one table's line of a Report.
type TableRows struct {
	Table string
	Rows  int
}

// Total is the sum of the rows.
func (r Report) Total() int {
	n := 0
	for _, t := range r.Rows {
		n += t.Rows
	}
	return n
}

// Of returns the rows of table.
func (r Report) Of(table string) int {
	for _, t := range r.Rows {
		if t.Table == table {
			return t.Rows
		}
	}
	return 0
}

func (r *Report) add(counts map[string]int) {
	for table, n := range counts {
		r.addTable(table, n)
	}
}

func (r *Report) addTable(table string, n int) {
	for i := range r.Rows {
		if r.Rows[i].Table == table {
			r.Rows[i].Rows += n
			return
		}
	}
	r.Rows = append(r.Rows, TableRows{table, n})
}

func (h *Housekeeper) newReport(ran bool) Report {
	r := Report{Ran: ran}
	for _, t := range h.Tables() {
		r.addTable(t, 0)
	}
	return r
}

// Pass runs the loop's pass: when no pass holds the lease and the next is
// due (Interval after the last one ended, on any instance). Report.Ran
// says whether it ran.
func (h *Housekeeper) Pass(ctx context.Context) (Report, error) {
	return h.pass(ctx, false)
}

// PassNow runs a full pass now, unless one runs elsewhere (Report.Ran is
// then false): `gatehouse prune`.
func (h *Housekeeper) PassNow(ctx context.Context) (Report, error) {
	return h.pass(ctx, true)
}

func (h *Housekeeper) pass(ctx context.Context, anyTime bool) (Report, error) {
	now := h.now()
	renewed := now
	ok, err := h.store.AcquireLease(ctx, LeaseName, h.o.Holder, now, now.Add(h.o.Lease), anyTime)
	if err != nil || !ok {
		return Report{}, err
	}
	r := h.newReport(true)
	// Every pruner judges against the time the pass began, so that a
	// pass is one consistent cut however long it takes.
	for _, p := range h.pruners {
		for {
			if err := ctx.Err(); err != nil {
				return r, h.release(err)
			}
			if t := h.now(); t.Sub(renewed) >= h.o.Lease/3 {
				ok, err := h.store.RenewLease(ctx, LeaseName, h.o.Holder, t.Add(h.o.Lease))
				if err != nil {
					return r, h.release(err)
				}
				if !ok {
					return r, ErrLeaseLost
				}
				renewed = t
			}
			counts, err := p.Batch(ctx, now, h.o.Batch)
			if err != nil {
				return r, h.release(fmt.Errorf("housekeeping: prune %s: %w", p.Table, err))
			}
			r.add(counts)
			if h.o.OnPurged != nil {
				for table, n := range counts {
					if n > 0 {
						h.o.OnPurged(table, n)
					}
				}
			}
			if counts[p.Table] < h.o.Batch {
				break
			}
		}
	}
	return r, h.release(nil)
}

// release ends the pass's lease, the next pass due Interval from now;
// cause is the pass's own error, which comes first. The release gets a
// context of its own: a pass stopped by its context still lets the next
// instance in at once.
func (h *Housekeeper) release(cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := h.now()
	err := h.store.ReleaseLease(ctx, LeaseName, h.o.Holder, now, now.Add(h.o.Interval))
	if cause != nil {
		return cause
	}
	if err != nil {
		return fmt.Errorf("housekeeping: release lease: %w", err)
	}
	return nil
}

// DryRun counts what a pass now would delete, deleting nothing; it needs
// no lease.
func (h *Housekeeper) DryRun(ctx context.Context) (Report, error) {
	now := h.now()
	r := h.newReport(true)
	for _, p := range h.pruners {
		counts, err := p.Count(ctx, now)
		if err != nil {
			return r, fmt.Errorf("housekeeping: count %s: %w", p.Table, err)
		}
		r.add(counts)
	}
	return r, nil
}

func (h *Housekeeper) now() time.Time { return h.o.Now().UTC().Truncate(time.Microsecond) }
