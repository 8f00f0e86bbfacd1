// Package outbox delivers auth events from the database's outbox to their
// subscribers (webhooks, and in development the log) at least once, in
// order per identity and subscriber, retrying with exponential backoff and
// setting an event aside as dead after too many failures so it no longer
// blocks later ones. Several dispatchers may run at once (one per
// instance): each delivery is leased by one, for a short lease renewed
// while it delivers and handed back when it stops, so the deliveries of
// an instance that died wait seconds, not minutes. Each subscriber is
// delivered by its own loop: one that fails or hangs never delays
// another.
//
// It must never log a secret: only the development log subscriber prints
// an event's token, which is its whole purpose.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Message is what a subscriber receives: the event with its secrets.
type Message struct {
	ID             string         `json:"id"`
	Type           string         `json:"type"`
	AuthIdentityID string         `json:"auth_identity_id,omitempty"`
	ActorType      string         `json:"actor_type,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	Data           map[string]any `json:"data"`
}

// Subscriber receives messages.
type Subscriber interface {
	// Name is the subscriber's key in the outbox (stable across restarts).
	Name() string
	// Deliver hands over one message; an error means try again later.
	Deliver(ctx context.Context, m Message) error
}

// Store is what the dispatcher needs of the outbox's storage (store.Store
// implements it): claim what is due under a lease, keep the lease while a
// delivery runs, hand it back when stopping, and record how each delivery
// went.
type Store interface {
	// ClaimDue leases to owner up to limit deliveries owed to subscriber
	// that are due at now, until now+lease; per identity only the oldest.
	ClaimDue(ctx context.Context, subscriber, owner string, now time.Time, lease time.Duration, limit int) ([]store.Due, error)
	// RenewLeases extends owner's leases to until.
	RenewLeases(ctx context.Context, owner string, until, now time.Time) (int, error)
	// ReleaseLeases hands back owner's leases of subscriber's deliveries
	// without counting an attempt.
	ReleaseLeases(ctx context.Context, owner, subscriber string, now time.Time) (int, error)
	// Delivered records a delivery done.
	Delivered(ctx context.Context, eventID, subscriber string, now time.Time) error
	// FailedLeased records a failed attempt, due again at next, or dead,
	// if owner still holds the lease.
	FailedLeased(ctx context.Context, eventID, subscriber, owner, reason string, next time.Time, dead bool, now time.Time) (bool, error)
}

var _ Store = (*store.Store)(nil)

// Options configure a Dispatcher.
type Options struct {
	Store       Store
	Subscribers []Subscriber
	// Open opens an event's sealed secrets.
	Open   func(eventID, sealed string) (map[string]string, error)
	Logger *slog.Logger
	Now    func() time.Time
	// MaxAttempts before an event is dead (default 8); Backoff is the
	// first retry delay, doubling up to an hour (default 5 s).
	MaxAttempts int
	Backoff     time.Duration
	// OnFailure, when set, is told of each failed delivery (metrics).
	OnFailure func(subscriber string)

	// Owner names this dispatcher's leases (default a new random id):
	// unique per dispatcher, so it renews and releases only its own.
	Owner string
	// Lease is how long a claim holds a delivery unless renewed (default
	// 15 s): how long the deliveries held by an instance that died wait.
	// Renew is how often the leases held are renewed while they are
	// delivered (default a third of Lease).
	Lease time.Duration
	Renew time.Duration
}

// Dispatcher delivers the outbox.
type Dispatcher struct {
	o Options
	// held counts the leases claimed and not yet settled or released, so
	// that an idle dispatcher's heartbeat writes nothing.
	held atomic.Int64
}

// New returns a dispatcher.
func New(o Options) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Backoff <= 0 {
		o.Backoff = 5 * time.Second
	}
	if o.Owner == "" {
		o.Owner = gatehouse.NewID("dispatcher")
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
	}
	if o.Renew <= 0 {
		o.Renew = o.Lease / 3
	}
	return &Dispatcher{o: o}
}

// Owner is the id under which the dispatcher leases deliveries.
func (d *Dispatcher) Owner() string { return d.o.Owner }

// batch is how many deliveries one claim leases.
const batch = 50

// recordTimeout bounds recording a delivery's outcome, which outlives the
// dispatcher's context: a delivery done must not be redone for want of
// its record.
const recordTimeout = 5 * time.Second

// RunOnce delivers what is due now to every subscriber, one after the
// other, and returns how many deliveries succeeded (for tests and tools;
// Run delivers to each subscriber independently). Leases are renewed
// while it runs.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	stop := d.startHeartbeat(ctx)
	defer stop()
	delivered := 0
	for _, sub := range d.o.Subscribers {
		n, err := d.drain(ctx, sub)
		delivered += n
		if err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

// drain delivers what is due to sub until nothing more is, or a batch
// makes no progress (every delivery failed). Whatever it claimed and did
// not settle, it releases before it returns.
func (d *Dispatcher) drain(ctx context.Context, sub Subscriber) (int, error) {
	delivered := 0
	for {
		due, err := d.o.Store.ClaimDue(ctx, sub.Name(), d.o.Owner, d.o.Now(), d.o.Lease, batch)
		if err != nil {
			return delivered, err
		}
		if len(due) == 0 {
			return delivered, nil
		}
		d.held.Add(int64(len(due)))
		progress := false
		for i, x := range due {
			if ctx.Err() != nil {
				return delivered, d.release(ctx, sub, len(due)-i, ctx.Err())
			}
			ok, err := d.deliver(ctx, sub, x)
			if err != nil {
				return delivered, d.release(ctx, sub, len(due)-i, err)
			}
			d.held.Add(-1)
			if ok {
				delivered++
				progress = true
			}
		}
		if !progress {
			return delivered, nil
		}
	}
}

// release hands back this dispatcher's leases of sub's deliveries (n of
// them, unsettled), with no attempt counted, and returns cause.
func (d *Dispatcher) release(ctx context.Context, sub Subscriber, n int, cause error) error {
	d.held.Add(-int64(n))
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if _, err := d.o.Store.ReleaseLeases(rctx, d.o.Owner, sub.Name(), d.o.Now()); err != nil {
		// The leases expire on their own, within Lease.
		return errors.Join(cause, fmt.Errorf("release leases: %w", err))
	}
	return cause
}

// deliver delivers one claimed delivery and records how it went: false
// when the subscriber refused it. An error means the outcome was not
// recorded (or the delivery was cancelled): the lease is still held.
func (d *Dispatcher) deliver(ctx context.Context, sub Subscriber, x store.Due) (bool, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	e := x.Event
	data := make(map[string]any, len(e.Payload)+1)
	for k, v := range e.Payload {
		data[k] = v
	}
	secrets, err := d.o.Open(e.ID, e.Sealed)
	if err != nil {
		// A key that does not open the event will not open it later.
		now := d.o.Now()
		_, err := d.o.Store.FailedLeased(rctx, e.ID, sub.Name(), d.o.Owner, "secrets do not open", now, true, now)
		return false, err
	}
	for k, v := range secrets {
		data[k] = v
	}
	m := Message{ID: e.ID, Type: e.Name, AuthIdentityID: e.AuthIdentityID, ActorType: string(e.ActorType), CreatedAt: e.CreatedAt, Data: data}
	err = sub.Deliver(ctx, m)
	now := d.o.Now()
	if err == nil {
		return true, d.o.Store.Delivered(rctx, e.ID, sub.Name(), now)
	}
	if ctx.Err() != nil {
		// Cut short by this dispatcher stopping, not refused by the
		// subscriber: no attempt counts, and the caller releases it.
		return false, fmt.Errorf("deliver %s to %s: %w", e.ID, sub.Name(), context.Cause(ctx))
	}
	attempts := x.Attempts + 1
	dead := attempts >= d.o.MaxAttempts
	next := now.Add(backoff(d.o.Backoff, attempts))
	counted, ferr := d.o.Store.FailedLeased(rctx, e.ID, sub.Name(), d.o.Owner, truncate(err.Error(), 500), next, dead, now)
	if ferr != nil {
		return false, ferr
	}
	if !counted {
		// The lease expired and another dispatcher holds the delivery:
		// its attempt is the one that counts.
		d.o.Logger.WarnContext(ctx, "event delivery failed after its lease passed to another dispatcher", "event_id", e.ID,
			"event", e.Name, "subscriber", sub.Name(), "error", err.Error())
		return false, nil
	}
	d.o.Logger.WarnContext(ctx, "event delivery failed", "event_id", e.ID, "event", e.Name, "subscriber", sub.Name(),
		"attempts", attempts, "dead", dead, "error", err.Error())
	if d.o.OnFailure != nil {
		d.o.OnFailure(sub.Name())
	}
	return false, nil
}

// backoff is the delay before retry number attempts: base, doubling, at
// most an hour.
func backoff(base time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Log prints each message, secrets included, to the log: for development
// only, so a developer can follow a reset link from the terminal.
type Log struct {
	Logger *slog.Logger
}

// Name implements Subscriber.
func (l *Log) Name() string { return "log" }

// Deliver implements Subscriber.
func (l *Log) Deliver(ctx context.Context, m Message) error {
	l.Logger.InfoContext(ctx, "event (development log subscriber; holds secrets)", "event_id", m.ID, "event", m.Type, "data", m.Data)
	return nil
}
