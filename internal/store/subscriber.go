package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Subscriber is one receiver of the fleet's events (the subscriber table):
// every enabled subscriber is owed each event, whichever instance wrote
// it, and the instances that can deliver to it (those configured with it)
// do.
type Subscriber struct {
	// Name is the subscriber's key in the outbox ("webhook", "nats").
	Name string
	// Kind is "webhook", "nats" or "log".
	Kind string
	// Enabled subscribers are owed new events; a disabled one keeps what
	// it is already owed.
	Enabled bool
	// Config describes the subscriber to operators; it never holds a
	// secret (those stay in each instance's environment).
	Config    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

type subscriberRow struct {
	bun.BaseModel `bun:"table:subscriber,alias:sub"`
	Name          string         `bun:"name,pk"`
	Kind          string         `bun:"kind,notnull"`
	Enabled       bool           `bun:"enabled,notnull"`
	Config        map[string]any `bun:"config,type:jsonb,notnull"`
	CreatedAt     time.Time      `bun:"created_at,notnull"`
	UpdatedAt     time.Time      `bun:"updated_at,notnull"`
}

// EnsureSubscribers declares the subscribers an instance is configured
// with, at its start: a new one is added enabled; a known one takes the
// kind and config declared (updated_at moves only when they change) and
// keeps its enabled flag, which belongs to the operator, so a restart
// never re-enables a subscriber the operator disabled.
func (s *Store) EnsureSubscribers(ctx context.Context, subs []Subscriber, now time.Time) error {
	if len(subs) == 0 {
		return nil
	}
	rows := make([]subscriberRow, len(subs))
	for i, x := range subs {
		rows[i] = subscriberRow{Name: x.Name, Kind: x.Kind, Enabled: true, Config: object(x.Config), CreatedAt: now, UpdatedAt: now}
	}
	_, err := s.db.NewInsert().Model(&rows).
		On("CONFLICT (name) DO UPDATE").
		Set("kind = excluded.kind").Set("config = excluded.config").Set("updated_at = excluded.updated_at").
		Where("sub.kind <> excluded.kind OR sub.config <> excluded.config").
		Exec(ctx)
	if err != nil {
		return dbError("declare subscribers", "subscriber", err)
	}
	return nil
}

// Subscribers lists the fleet's subscribers by name.
func (s *Store) Subscribers(ctx context.Context) ([]Subscriber, error) {
	var rows []subscriberRow
	if err := s.db.NewSelect().Model(&rows).OrderExpr("name ASC").Scan(ctx); err != nil {
		return nil, dbError("list subscribers", "subscriber", err)
	}
	out := make([]Subscriber, len(rows))
	for i, r := range rows {
		out[i] = Subscriber{Name: r.Name, Kind: r.Kind, Enabled: r.Enabled, Config: object(r.Config),
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// OwedBySubscriber counts the pending deliveries of each subscriber.
func (s *Store) OwedBySubscriber(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Subscriber string `bun:"subscriber"`
		N          int    `bun:"n"`
	}
	if err := s.db.NewSelect().Model((*deliveryRow)(nil)).ColumnExpr("subscriber, count(*) AS n").
		Where("state = 'pending'").GroupExpr("subscriber").Scan(ctx, &rows); err != nil {
		return nil, dbError("count owed deliveries", "event", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Subscriber] = r.N
	}
	return out, nil
}

// SetSubscriberEnabled enables or disables a subscriber: a subscriber the
// fleet no longer delivers to must be disabled, or its deliveries pile up.
// Disabling also sets aside what it is still owed, as dead deliveries
// (replayable once it is enabled again, deleted with the event
// retention), and returns how many; enabling returns 0.
func (s *Store) SetSubscriberEnabled(ctx context.Context, name string, enabled bool, now time.Time) (int, error) {
	setAside := 0
	err := s.tx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*subscriberRow)(nil)).
			Set("enabled = ?", enabled).Set("updated_at = ?", now).
			Where("name = ?", name).Exec(ctx)
		if err != nil {
			return dbError("set subscriber enabled", "subscriber", err)
		}
		if err := affected("set subscriber enabled", "subscriber", res); err != nil || enabled {
			return err
		}
		res, err = tx.db.NewUpdate().Model((*deliveryRow)(nil)).
			Set("state = 'dead'").Set("locked_until = NULL").Set("locked_by = NULL").
			Set("last_error = 'subscriber disabled'").Set("updated_at = ?", now).
			Where("subscriber = ? AND state = 'pending'", name).Exec(ctx)
		if err != nil {
			return dbError("set aside deliveries", "event", err)
		}
		n, err := res.RowsAffected()
		setAside = int(n)
		return err
	})
	return setAside, err
}
