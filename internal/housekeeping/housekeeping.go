// Package housekeeping gives every table a way out: a loop, run in every
// instance, that deletes what has expired (spent refresh tokens and
// sessions, used action tokens, idle rate buckets, old deliveries and
// events, forgotten anonymous shoppers) in small batches, one short
// transaction each, and the one-off pass of `gatehouse prune`.
//
// One instance runs a pass at a time: it holds a lease row, taken and
// renewed with plain conditional statements, never a session-level lock
// (the service must work behind pgbouncer in transaction mode). What each
// pruner deletes is the store's to say; this package only schedules them
// and must never decide, row by row, what to keep.
package housekeeping

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Pruner deletes one kind of expired row.
type Pruner struct {
	// Table names what it deletes: the report's line and the label of
	// gatehouse_housekeeping_rows_purged_total. Several pruners may share
	// a table.
	Table string
	// Batch deletes up to limit rows due at now, in one short
	// transaction, and returns how many it deleted per table (rows of
	// other tables that go with them, such as a session's refresh
	// tokens, included). Fewer than limit of Table means none is left.
	Batch func(ctx context.Context, now time.Time, limit int) (map[string]int, error)
	// Count returns, per table, how many rows a pass at now would
	// delete, after the pruners before it in the list: the dry run.
	Count func(ctx context.Context, now time.Time) (map[string]int, error)
}

// Retention says how long rows are kept past the moment they stop
// mattering.
type Retention struct {
	// Event keeps delivered and dead deliveries, and the sealed secrets
	// of events, this long.
	Event time.Duration
	// Audit keeps the auth events themselves (the audit trail) this long.
	Audit time.Duration
	// Anonymous keeps an anonymous shopper with no activity this long.
	Anonymous time.Duration
	// Grace keeps a session, refresh token or action token this long
	// after it expired, was revoked or was used, so that a late request
	// still gets "expired" or "revoked" rather than "unknown".
	Grace time.Duration
}

// Store is what housekeeping needs of the database.
type Store interface {
	// Pruners lists the pruners, in the order a pass runs them.
	Pruners(Retention) []Pruner
	// AcquireLease takes the lease name for holder until until, when no
	// pass holds it at now and, unless anyTime, the next pass is due.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time, anyTime bool) (bool, error)
	// RenewLease moves holder's lease on to until; false when holder
	// no longer holds it.
	RenewLease(ctx context.Context, name, holder string, until time.Time) (bool, error)
	// ReleaseLease ends holder's lease at now and makes the next pass
	// due at next.
	ReleaseLease(ctx context.Context, name, holder string, now, next time.Time) error
}

// Defaults of Options.
const (
	DefaultEventRetention     = 30 * 24 * time.Hour
	DefaultAuditRetention     = 365 * 24 * time.Hour
	DefaultAnonymousRetention = 30 * 24 * time.Hour
	DefaultSessionGrace       = 7 * 24 * time.Hour
	DefaultInterval           = 10 * time.Minute
	DefaultBatch              = 500
	DefaultLease              = 2 * time.Minute
)

// LeaseName is the lease row the passes share.
const LeaseName = "housekeeping"

// Options configure a Housekeeper; a zero duration or batch is its default.
type Options struct {
	EventRetention     time.Duration
	AuditRetention     time.Duration
	AnonymousRetention time.Duration
	SessionGrace       time.Duration
	// Interval is the time from the end of one pass (on any instance) to
	// the next.
	Interval time.Duration
	// Batch is how many rows one statement deletes at most.
	Batch int
	// Lease is how long a pass holds the lease without renewing it: the
	// time another instance waits to take over from one that died. A
	// pass renews it between batches.
	Lease time.Duration
	// Holder names this instance in the lease row (default: host name,
	// process id and a random suffix).
	Holder string
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default: discard
	// OnPurged, when set, is told each batch's deleted rows per table
	// (metrics); it is told every table at 0 once, first.
	OnPurged func(table string, n int)
	// Tasks are pruners of the service's own (carrying out the scheduled
	// account deletions), run after the store's.
	Tasks []Pruner
}

// Housekeeper runs the passes.
type Housekeeper struct {
	store   Store
	pruners []Pruner
	o       Options
}

// New returns a Housekeeper on st.
func New(st Store, o Options) (*Housekeeper, error) {
	if st == nil {
		return nil, errors.New("housekeeping: a store is required")
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.EventRetention, DefaultEventRetention},
		{&o.AuditRetention, DefaultAuditRetention},
		{&o.AnonymousRetention, DefaultAnonymousRetention},
		{&o.SessionGrace, DefaultSessionGrace},
		{&o.Interval, DefaultInterval},
		{&o.Lease, DefaultLease},
	} {
		switch {
		case *d.v < 0:
			return nil, fmt.Errorf("housekeeping: negative duration %s", *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	switch {
	case o.Batch < 0:
		return nil, fmt.Errorf("housekeeping: negative batch %d", o.Batch)
	case o.Batch == 0:
		o.Batch = DefaultBatch
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Holder == "" {
		o.Holder = defaultHolder()
	}
	h := &Housekeeper{store: st, o: o}
	h.pruners = append(st.Pruners(Retention{Event: o.EventRetention, Audit: o.AuditRetention, Anonymous: o.AnonymousRetention, Grace: o.SessionGrace}), o.Tasks...)
	if o.OnPurged != nil {
		for _, t := range h.Tables() {
			o.OnPurged(t, 0)
		}
	}
	return h, nil
}

// Tables lists the tables the pruners delete from, each once, in the
// order of the pruners.
func (h *Housekeeper) Tables() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range h.pruners {
		if !seen[p.Table] {
			seen[p.Table] = true
			out = append(out, p.Table)
		}
	}
	return out
}

// defaultHolder names this process: enough to tell instances apart in
// the lease row.
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "gatehouse"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
