package housekeeping

import (
	"context"
	"time"
)

// Run runs the loop until ctx ends: every instance runs it, and every
// check (each minute, or each Interval when shorter) tries the lease; the
// one instance that gets it runs the pass. A failed pass is logged and
// retried after Interval.
func (h *Housekeeper) Run(ctx context.Context) {
	every := min(h.o.Interval, time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		h.runOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *Housekeeper) runOnce(ctx context.Context) {
	start := time.Now()
	r, err := h.Pass(ctx)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		h.o.Logger.WarnContext(ctx, "housekeeping pass failed", "error", err, "deleted", r.Total())
	case r.Ran && r.Total() > 0:
		args := []any{"deleted", r.Total(), "took", time.Since(start).Round(time.Millisecond).String()}
		for _, t := range r.Rows {
			if t.Rows > 0 {
				args = append(args, t.Table, t.Rows)
			}
		}
		h.o.Logger.InfoContext(ctx, "housekeeping pass", args...)
	}
}
