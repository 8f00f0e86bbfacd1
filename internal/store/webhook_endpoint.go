package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type webhookEndpointRow struct {
	bun.BaseModel           `bun:"table:webhook_endpoint,alias:we"`
	ID                      string     `bun:"id,pk"`
	URL                     string     `bun:"url,notnull"`
	Description             string     `bun:"description,notnull"`
	Events                  []string   `bun:"events,type:jsonb,notnull"`
	SecretSealed            string     `bun:"secret_sealed,notnull"`
	PreviousSecretSealed    *string    `bun:"previous_secret_sealed"`
	PreviousSecretExpiresAt *time.Time `bun:"previous_secret_expires_at"`
	SecretRotatedAt         *time.Time `bun:"secret_rotated_at"`
	CreatedAt               time.Time  `bun:"created_at,notnull"`
	UpdatedAt               time.Time  `bun:"updated_at,notnull"`
}

// endpointSubscriberRow is an endpoint's row in the subscriber table, with
// the events filter the other subscribers leave at its default (all).
type endpointSubscriberRow struct {
	bun.BaseModel `bun:"table:subscriber,alias:sub"`
	Name          string         `bun:"name,pk"`
	Kind          string         `bun:"kind,notnull"`
	Enabled       bool           `bun:"enabled,notnull"`
	Config        map[string]any `bun:"config,type:jsonb,notnull"`
	Events        []string       `bun:"events,type:jsonb,notnull"`
	CreatedAt     time.Time      `bun:"created_at,notnull"`
	UpdatedAt     time.Time      `bun:"updated_at,notnull"`
}

// StoredWebhookEndpoint is an endpoint as stored: its signing secrets
// still sealed (secret.SealWebhookSecret), for the outbox to open.
type StoredWebhookEndpoint struct {
	gatehouse.WebhookEndpoint
	// Sealed is the current secret; PreviousSealed the one the last
	// rotation replaced, "" when there is none (it still signs until
	// PreviousSecretExpiresAt).
	Sealed         string
	PreviousSealed string
}

// eventNames is names, or an empty list for nil: the filter is never
// JSON null.
func eventNames(names []string) []string {
	if names == nil {
		return []string{}
	}
	return names
}

func (r *webhookEndpointRow) domain() *gatehouse.WebhookEndpoint {
	return &gatehouse.WebhookEndpoint{ID: r.ID, URL: r.URL, Description: r.Description, Events: eventNames(r.Events),
		SecretRotatedAt: utc(r.SecretRotatedAt), PreviousSecretExpiresAt: utc(r.PreviousSecretExpiresAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *webhookEndpointRow) stored() *StoredWebhookEndpoint {
	s := &StoredWebhookEndpoint{WebhookEndpoint: *r.domain(), Sealed: r.SecretSealed}
	if r.PreviousSecretSealed != nil {
		s.PreviousSealed = *r.PreviousSecretSealed
	}
	return s
}

// CreateWebhookEndpoint inserts an endpoint, its signing secret sealed,
// and its subscriber (enabled, owed from now on every event its filter
// lets through), in the caller's transaction when there is one.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *gatehouse.WebhookEndpoint, sealed string) error {
	return s.tx(ctx, func(tx *Store) error {
		r := &webhookEndpointRow{ID: e.ID, URL: e.URL, Description: e.Description, Events: eventNames(e.Events),
			SecretSealed: sealed, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
		if _, err := tx.db.NewInsert().Model(r).Exec(ctx); err != nil {
			return dbError("create webhook endpoint", "webhook endpoint", err)
		}
		sub := &endpointSubscriberRow{Name: e.Subscriber(), Kind: "webhook", Enabled: true,
			Config: map[string]any{"endpoint_id": e.ID}, Events: eventNames(e.Events), CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
		if _, err := tx.db.NewInsert().Model(sub).Exec(ctx); err != nil {
			return dbError("create webhook endpoint subscriber", "webhook endpoint", err)
		}
		return nil
	})
}

// WebhookEndpoints lists the endpoints, oldest first.
func (s *Store) WebhookEndpoints(ctx context.Context) ([]*gatehouse.WebhookEndpoint, error) {
	rows, err := s.webhookEndpointRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*gatehouse.WebhookEndpoint, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// StoredWebhookEndpoints lists the endpoints with their sealed secrets,
// oldest first: what the outbox delivers to.
func (s *Store) StoredWebhookEndpoints(ctx context.Context) ([]*StoredWebhookEndpoint, error) {
	rows, err := s.webhookEndpointRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*StoredWebhookEndpoint, len(rows))
	for i := range rows {
		out[i] = rows[i].stored()
	}
	return out, nil
}

func (s *Store) webhookEndpointRows(ctx context.Context) ([]webhookEndpointRow, error) {
	var rows []webhookEndpointRow
	err := s.read(ctx, func(q bun.IDB) error {
		rows = nil
		return q.NewSelect().Model(&rows).OrderExpr("id ASC").Scan(ctx)
	})
	if err != nil {
		return nil, dbError("list webhook endpoints", "webhook endpoint", err)
	}
	return rows, nil
}

// WebhookEndpoint loads an endpoint: CodeNotFound when there is none.
func (s *Store) WebhookEndpoint(ctx context.Context, id string) (*gatehouse.WebhookEndpoint, error) {
	var r webhookEndpointRow
	err := s.read(ctx, func(q bun.IDB) error { return q.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx) })
	if err != nil {
		return nil, dbError("load webhook endpoint", "webhook endpoint", err)
	}
	return r.domain(), nil
}

// UpdateWebhookEndpoint writes e's URL, description, events and
// updated_at, and the events filter of its subscriber: events written
// from then on are owed to it by the new filter; what it is owed already
// stays owed. CodeNotFound when there is no such endpoint.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, e *gatehouse.WebhookEndpoint) error {
	return s.tx(ctx, func(tx *Store) error {
		events := eventNames(e.Events)
		res, err := tx.db.NewUpdate().Model(&webhookEndpointRow{URL: e.URL, Description: e.Description, Events: events, UpdatedAt: e.UpdatedAt}).
			Column("url", "description", "events", "updated_at").Where("id = ?", e.ID).Exec(ctx)
		if err != nil {
			return dbError("update webhook endpoint", "webhook endpoint", err)
		}
		if err := affected("update webhook endpoint", "webhook endpoint", res); err != nil {
			return err
		}
		_, err = tx.db.NewUpdate().Model(&endpointSubscriberRow{Events: events, UpdatedAt: e.UpdatedAt}).
			Column("events", "updated_at").Where("name = ?", e.Subscriber()).Exec(ctx)
		if err != nil {
			return dbError("update webhook endpoint subscriber", "webhook endpoint", err)
		}
		return nil
	})
}

// RotateWebhookSecret makes sealed the endpoint's signing secret, in one
// statement: the secret it replaces becomes the previous one, which still
// signs until previousExpiresAt (a previous secret of an earlier rotation
// is dropped). It returns the endpoint as rotated; CodeNotFound when
// there is none.
func (s *Store) RotateWebhookSecret(ctx context.Context, id, sealed string, previousExpiresAt, now time.Time) (*gatehouse.WebhookEndpoint, error) {
	var r webhookEndpointRow
	err := s.db.NewUpdate().Model(&r).
		Set("previous_secret_sealed = secret_sealed").
		Set("previous_secret_expires_at = ?", previousExpiresAt).
		Set("secret_sealed = ?", sealed).
		Set("secret_rotated_at = ?", now).
		Set("updated_at = ?", now).
		Where("id = ?", id).
		Returning("*").
		Scan(ctx)
	if err != nil {
		return nil, dbError("rotate webhook secret", "webhook endpoint", err)
	}
	return r.domain(), nil
}

// DeleteWebhookEndpoint deletes an endpoint and its subscriber, and what
// the subscriber is still owed (pending deliveries, and dead ones that a
// replay could revive for nobody); the delivered ones go with the event
// retention. An event's secrets that only the endpoint was still owed are
// erased. CodeNotFound when there is no such endpoint.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *Store) error {
		res, err := tx.db.NewDelete().Model((*webhookEndpointRow)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return dbError("delete webhook endpoint", "webhook endpoint", err)
		}
		if err := affected("delete webhook endpoint", "webhook endpoint", res); err != nil {
			return err
		}
		name := gatehouse.WebhookSubscriber(id)
		if _, err := tx.db.NewDelete().Model((*endpointSubscriberRow)(nil)).Where("name = ?", name).Exec(ctx); err != nil {
			return dbError("delete webhook endpoint subscriber", "webhook endpoint", err)
		}
		_, err = tx.db.NewUpdate().Model((*eventRow)(nil)).Set("sealed = NULL").
			Where("sealed IS NOT NULL").
			Where("EXISTS (SELECT 1 FROM event_delivery AS d WHERE d.event_id = ev.id AND d.subscriber = ? AND d.state <> 'delivered')", name).
			Where("NOT EXISTS (SELECT 1 FROM event_delivery AS d WHERE d.event_id = ev.id AND d.subscriber <> ? AND d.state <> 'delivered')", name).
			Exec(ctx)
		if err != nil {
			return dbError("erase event secrets", "event", err)
		}
		_, err = tx.db.NewDelete().Model((*deliveryRow)(nil)).Where("subscriber = ? AND state <> 'delivered'", name).Exec(ctx)
		if err != nil {
			return dbError("delete webhook endpoint deliveries", "event", err)
		}
		return nil
	})
}

// Deliveries lists the deliveries owed to subscriber, newest event first,
// in status ("" for any), of events older than the event id before (""
// for the newest), at most limit. A dead one is replayed with Replay.
func (s *Store) Deliveries(ctx context.Context, subscriber string, status gatehouse.DeliveryStatus, before string, limit int) ([]gatehouse.Delivery, error) {
	var rows []struct {
		EventID        string    `bun:"event_id"`
		EventName      string    `bun:"event_name"`
		EventCreatedAt time.Time `bun:"event_created_at"`
		State          string    `bun:"state"`
		Attempts       int       `bun:"attempts"`
		LastError      *string   `bun:"last_error"`
		NextAttemptAt  time.Time `bun:"next_attempt_at"`
		UpdatedAt      time.Time `bun:"updated_at"`
	}
	err := s.read(ctx, func(db bun.IDB) error {
		rows = nil
		q := db.NewSelect().
			ColumnExpr("ev.id AS event_id, ev.name AS event_name, ev.created_at AS event_created_at").
			ColumnExpr("ed.state, ed.attempts, ed.last_error, ed.next_attempt_at, ed.updated_at").
			TableExpr("event_delivery AS ed").Join("JOIN auth_event AS ev ON ev.id = ed.event_id").
			Where("ed.subscriber = ?", subscriber).OrderExpr("ev.id DESC").Limit(int64(limit))
		if status != "" {
			q = q.Where("ed.state = ?", string(status))
		}
		if before != "" {
			q = q.Where("ev.id < ?", before)
		}
		return q.Scan(ctx, &rows)
	})
	if err != nil {
		return nil, dbError("list deliveries", "event", err)
	}
	out := make([]gatehouse.Delivery, len(rows))
	for i, r := range rows {
		out[i] = gatehouse.Delivery{EventID: r.EventID, EventName: r.EventName, EventCreatedAt: r.EventCreatedAt.UTC(),
			Subscriber: subscriber, Status: gatehouse.DeliveryStatus(r.State), Attempts: r.Attempts,
			NextAttemptAt: r.NextAttemptAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
		if r.LastError != nil {
			out[i].LastError = *r.LastError
		}
	}
	return out, nil
}

// DeliveryCount counts a subscriber's deliveries of a status ("" for any).
func (s *Store) DeliveryCount(ctx context.Context, subscriber string, status gatehouse.DeliveryStatus) (int, error) {
	var n int
	err := s.read(ctx, func(db bun.IDB) error {
		q := db.NewSelect().TableExpr("event_delivery").Where("subscriber = ?", subscriber)
		if status != "" {
			q = q.Where("state = ?", string(status))
		}
		c, err := q.Count(ctx)
		n = int(c)
		return err
	})
	if err != nil {
		return 0, dbError("count deliveries", "event", err)
	}
	return n, nil
}
