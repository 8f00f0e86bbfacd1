// Package outbox delivers auth events from the database's outbox to their
// subscribers (webhooks, and in development the log) at least once, in
// order per identity and subscriber, retrying with exponential backoff and
// setting an event aside as dead after too many failures so it no longer
// blocks later ones. Several dispatchers may run at once (one per
// instance): each delivery is leased by one.
//
// It must never log a secret: only the development log subscriber prints
// an event's token, which is its whole purpose.
package outbox

import (
	"context"
	"log/slog"
	"time"

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
// implements it): claim what is due, and record how each delivery went.
type Store interface {
	// ClaimDue leases up to limit deliveries owed to subscriber that are
	// due at now, until now+lease; per identity only the oldest.
	ClaimDue(ctx context.Context, subscriber string, now time.Time, lease time.Duration, limit int) ([]store.Due, error)
	// Delivered records a delivery done.
	Delivered(ctx context.Context, eventID, subscriber string, now time.Time) error
	// Failed records a failed delivery, due again at next, or dead.
	Failed(ctx context.Context, eventID, subscriber, reason string, next time.Time, dead bool, now time.Time) error
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
}

// Dispatcher delivers the outbox.
type Dispatcher struct{ o Options }

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
	return &Dispatcher{o: o}
}

// lease is how long a claimed delivery is this dispatcher's.
const lease = time.Minute

// RunOnce delivers what is due now to every subscriber and returns how
// many deliveries succeeded.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	delivered := 0
	for _, sub := range d.o.Subscribers {
		for {
			due, err := d.o.Store.ClaimDue(ctx, sub.Name(), d.o.Now(), lease, 50)
			if err != nil {
				return delivered, err
			}
			if len(due) == 0 {
				break
			}
			progress := false
			for _, x := range due {
				ok, err := d.deliver(ctx, sub, x)
				if err != nil {
					return delivered, err
				}
				if ok {
					delivered++
					progress = true
				}
			}
			if !progress {
				break
			}
		}
	}
	return delivered, nil
}

func (d *Dispatcher) deliver(ctx context.Context, sub Subscriber, x store.Due) (bool, error) {
	e := x.Event
	data := make(map[string]any, len(e.Payload)+1)
	for k, v := range e.Payload {
		data[k] = v
	}
	secrets, err := d.o.Open(e.ID, e.Sealed)
	if err != nil {
		// A key that does not open the event will not open it later.
		return false, d.o.Store.Failed(ctx, e.ID, sub.Name(), "secrets do not open", d.o.Now(), true, d.o.Now())
	}
	for k, v := range secrets {
		data[k] = v
	}
	m := Message{ID: e.ID, Type: e.Name, AuthIdentityID: e.AuthIdentityID, ActorType: string(e.ActorType), CreatedAt: e.CreatedAt, Data: data}
	now := d.o.Now()
	if err := sub.Deliver(ctx, m); err != nil {
		attempts := x.Attempts + 1
		dead := attempts >= d.o.MaxAttempts
		next := now.Add(backoff(d.o.Backoff, attempts))
		d.o.Logger.WarnContext(ctx, "event delivery failed", "event_id", e.ID, "event", e.Name, "subscriber", sub.Name(),
			"attempts", attempts, "dead", dead, "error", err.Error())
		if d.o.OnFailure != nil {
			d.o.OnFailure(sub.Name())
		}
		return false, d.o.Store.Failed(ctx, e.ID, sub.Name(), truncate(err.Error(), 500), next, dead, now)
	}
	return true, d.o.Store.Delivered(ctx, e.ID, sub.Name(), now)
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

// Run delivers every interval until ctx ends, then flushes once more
// within flush.
func (d *Dispatcher) Run(ctx context.Context, interval, flush time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.o.Logger.ErrorContext(ctx, "outbox dispatcher", "error", err)
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), flush)
			defer cancel()
			if _, err := d.RunOnce(fctx); err != nil {
				d.o.Logger.Warn("outbox flush at shutdown", "error", err)
			}
			return
		case <-t.C:
		}
	}
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
