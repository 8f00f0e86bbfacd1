package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// eventRow is an event's row: every column (ev.* scans into it), the
// audit trail's among them (auditColumns, audit_log.go).
type eventRow struct {
	bun.BaseModel `bun:"table:auth_event,alias:ev"`
	auditColumns
	Sealed *string `bun:"sealed"`
}

type deliveryRow struct {
	bun.BaseModel `bun:"table:event_delivery,alias:ed"`
	EventID       string     `bun:"event_id,pk"`
	Subscriber    string     `bun:"subscriber,pk"`
	State         string     `bun:"state,notnull"`
	Attempts      int        `bun:"attempts,notnull"`
	NextAttemptAt time.Time  `bun:"next_attempt_at,notnull"`
	LockedUntil   *time.Time `bun:"locked_until"`
	LockedBy      *string    `bun:"locked_by"`
	LastError     *string    `bun:"last_error"`
	UpdatedAt     time.Time  `bun:"updated_at,notnull"`
}

// StoredEvent is an event as stored: its secrets still sealed.
type StoredEvent struct {
	gatehouse.Event
	Sealed string
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// AppendEvent records an event and owes it to every enabled subscriber
// of the fleet (the subscriber table) whose events filter lets it through
// (a webhook endpoint's; the others take every event), whichever instance
// writes it, in the caller's transaction (the event commits or rolls back
// with its cause). sealed holds the event's secrets, sealed; "" when it
// has none. They are kept only when a subscriber is owed them.
//
// fallback names subscribers owed the event that the table does not list
// at all (one disabled there is not owed it): the writer's own, for a
// database its instance has not declared them to (EnsureSubscribers).
func (s *Store) AppendEvent(ctx context.Context, e *gatehouse.Event, sealed string, fallback []string) error {
	return s.tx(ctx, func(tx *Store) error {
		// With the audit trail's columns (audit_log.go).
		r := newEventRow(e, sealed)
		if _, err := tx.db.NewInsert().Model(r).Exec(ctx); err != nil {
			return dbError("append event", "event", err)
		}
		q, args := oweSQL(tx.db.Dialect().Name(), e.ID, fallback)
		res, err := tx.db.NewRaw(q, args...).Exec(ctx)
		if err != nil {
			return dbError("owe event", "event", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return dbError("owe event", "event", err)
		}
		if n > 0 || sealed == "" {
			return nil
		}
		// Nobody will deliver the secrets, so nothing would erase them.
		if _, err := tx.db.NewUpdate().Model((*eventRow)(nil)).Set("sealed = NULL").Where("id = ?", e.ID).Exec(ctx); err != nil {
			return dbError("erase event secrets", "event", err)
		}
		return nil
	})
}

// oweSQL is the statement that owes the event id to each enabled
// subscriber whose events filter is empty or names the event, and each
// fallback name the subscriber table does not list, due at the event's
// creation. The times come from the event's row, so no parameter needs a
// type the dialects would infer differently.
func oweSQL(d dialect.Name, eventID string, fallback []string) (string, []any) {
	wants := "(jsonb_array_length(sub.events) = 0 OR sub.events @> jsonb_build_array(ev.name))"
	if d != dialect.PG {
		wants = "(json_array_length(sub.events) = 0 OR EXISTS (SELECT 1 FROM json_each(sub.events) AS f WHERE f.value = ev.name))"
	}
	q := `INSERT INTO event_delivery (event_id, subscriber, state, attempts, next_attempt_at, updated_at)
SELECT ev.id, sub.name, 'pending', 0, ev.created_at, ev.created_at
FROM auth_event AS ev CROSS JOIN subscriber AS sub
WHERE ev.id = ? AND sub.enabled AND ` + wants
	args := []any{eventID}
	if len(fallback) == 0 {
		return q, args
	}
	names := ""
	for i, name := range fallback {
		if i > 0 {
			names += " UNION "
		}
		names += "SELECT ? AS name"
		args = append(args, name)
	}
	q += `
UNION
SELECT ev.id, n.name, 'pending', 0, ev.created_at, ev.created_at
FROM auth_event AS ev CROSS JOIN (` + names + `) AS n
WHERE ev.id = ? AND NOT EXISTS (SELECT 1 FROM subscriber AS known WHERE known.name = n.name)`
	return q, append(args, eventID)
}

// Events lists an identity's events, newest first, older than the event
// id before ("" for the newest), at most limit.
func (s *Store) Events(ctx context.Context, authIdentityID, before string, limit int) ([]*StoredEvent, error) {
	var rows []eventRow
	q := s.db.NewSelect().Model(&rows).Where("auth_identity_id = ?", authIdentityID).OrderExpr("id DESC").Limit(int64(limit))
	if before != "" {
		q = q.Where("id < ?", before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbError("list events", "event", err)
	}
	out := make([]*StoredEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].stored()
	}
	return out, nil
}

// AuditEvents is Events without the sealed secrets.
func (s *Store) AuditEvents(ctx context.Context, authIdentityID, before string, limit int) ([]gatehouse.Event, error) {
	es, err := s.Events(ctx, authIdentityID, before, limit)
	if err != nil {
		return nil, err
	}
	out := make([]gatehouse.Event, len(es))
	for i, e := range es {
		out[i] = e.Event
	}
	return out, nil
}

// EventsByName lists the events with a name, oldest first (for tests and
// tools).
func (s *Store) EventsByName(ctx context.Context, name string) ([]*StoredEvent, error) {
	var rows []eventRow
	if err := s.db.NewSelect().Model(&rows).Where("name = ?", name).OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, dbError("list events", "event", err)
	}
	out := make([]*StoredEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].stored()
	}
	return out, nil
}

func (r *eventRow) stored() *StoredEvent {
	e := &StoredEvent{Event: gatehouse.Event{ID: r.ID, Name: r.Name, Payload: object(r.Payload), CreatedAt: r.CreatedAt.UTC()}}
	if r.AuthIdentityID != nil {
		e.AuthIdentityID = *r.AuthIdentityID
	}
	if r.ActorType != nil {
		e.ActorType = gatehouse.ActorType(*r.ActorType)
	}
	if r.Sealed != nil {
		e.Sealed = *r.Sealed
	}
	return e
}

// Due is a delivery the dispatcher claimed.
type Due struct {
	Event    *StoredEvent
	Attempts int
}

// ClaimDue claims up to limit deliveries owed to subscriber that are due
// at now, oldest first, leasing them to owner (a dispatcher's own id)
// until now+lease so that other dispatchers skip them; per identity only
// the oldest pending event is claimed, so one identity's events reach a
// subscriber in order. Expired leases (a dispatcher that died) are
// claimable again, and the claim takes them from their old owner.
func (s *Store) ClaimDue(ctx context.Context, subscriber, owner string, now time.Time, lease time.Duration, limit int) ([]Due, error) {
	var out []Due
	err := s.tx(ctx, func(tx *Store) error {
		var rows []struct {
			eventRow
			Attempts int `bun:"attempts"`
		}
		q := tx.db.NewSelect().
			ColumnExpr("ev.*, ed.attempts").
			TableExpr("event_delivery AS ed").
			Join("JOIN auth_event AS ev ON ev.id = ed.event_id").
			Where("ed.subscriber = ?", subscriber).
			Where("ed.state = 'pending'").
			Where("ed.next_attempt_at <= ?", now).
			Where("(ed.locked_until IS NULL OR ed.locked_until <= ?)", now).
			// Order per identity: nothing older for the same identity is
			// still owed to this subscriber.
			Where(`NOT EXISTS (SELECT 1 FROM event_delivery AS ed2 JOIN auth_event AS ev2 ON ev2.id = ed2.event_id
				WHERE ed2.subscriber = ed.subscriber AND ed2.state = 'pending' AND ev2.id < ev.id
				AND ev2.auth_identity_id = ev.auth_identity_id)`).
			OrderExpr("ev.id ASC").
			Limit(int64(limit))
		if tx.db.Dialect().Name() == dialect.PG {
			q = q.For("UPDATE OF ed SKIP LOCKED")
		}
		if err := q.Scan(ctx, &rows); err != nil {
			return dbError("claim deliveries", "event", err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			out = append(out, Due{Event: r.stored(), Attempts: r.Attempts})
		}
		if _, err := tx.db.NewUpdate().Model((*deliveryRow)(nil)).
			Set("locked_until = ?", now.Add(lease)).Set("locked_by = ?", owner).Set("updated_at = ?", now).
			Where("subscriber = ? AND event_id IN (?)", subscriber, bun.List(ids)).Exec(ctx); err != nil {
			return dbError("lease deliveries", "event", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RenewLeases extends every lease owner holds to until (its heartbeat,
// while it delivers), and returns how many it holds. A lease another
// dispatcher took over once it expired is no longer owner's, and stays
// the other's.
func (s *Store) RenewLeases(ctx context.Context, owner string, until, now time.Time) (int, error) {
	res, err := s.db.NewUpdate().Model((*deliveryRow)(nil)).
		Set("locked_until = ?", until).Set("updated_at = ?", now).
		Where("locked_by = ? AND state = 'pending'", owner).Exec(ctx)
	if err != nil {
		return 0, dbError("renew leases", "event", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError("renew leases", "event", err)
	}
	return int(n), nil
}

// ReleaseLeases hands back every lease owner holds on subscriber's
// deliveries, claimed but not delivered, without counting an attempt (the
// dispatcher is stopping, or its delivery was cut short): they are due
// again at once, for any dispatcher. It returns how many it released.
func (s *Store) ReleaseLeases(ctx context.Context, owner, subscriber string, now time.Time) (int, error) {
	res, err := s.db.NewUpdate().Model((*deliveryRow)(nil)).
		Set("locked_until = NULL").Set("locked_by = NULL").Set("updated_at = ?", now).
		Where("locked_by = ? AND subscriber = ? AND state = 'pending'", owner, subscriber).Exec(ctx)
	if err != nil {
		return 0, dbError("release leases", "event", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError("release leases", "event", err)
	}
	return int(n), nil
}

// Delivered records a delivery, whoever holds its lease (a dispatcher
// whose lease expired mid-delivery still delivered it: the other one's
// settle then finds the lease gone and records nothing), and erases the
// event's sealed secrets once no subscriber is still owed it. A delivery
// already recorded is not counted again.
func (s *Store) Delivered(ctx context.Context, eventID, subscriber string, now time.Time) error {
	_, err := s.settle(ctx, eventID, subscriber, "", "delivered", nil, now, now)
	return err
}

// Failed records a failed attempt, whoever holds the lease: retried at
// next, or dead (no longer blocking later events) when dead is set. For
// operators' tools and tests; the dispatcher uses FailedLeased.
func (s *Store) Failed(ctx context.Context, eventID, subscriber, reason string, next time.Time, dead bool, now time.Time) error {
	_, err := s.settle(ctx, eventID, subscriber, "", failedState(dead), &reason, next, now)
	return err
}

// FailedLeased is Failed for the dispatcher owner: it counts the attempt
// only while owner still holds the lease, and reports whether it did.
// Once the lease expired and another dispatcher claimed the delivery,
// that one's attempt is the one counted; this one's is not counted twice.
func (s *Store) FailedLeased(ctx context.Context, eventID, subscriber, owner, reason string, next time.Time, dead bool, now time.Time) (bool, error) {
	return s.settle(ctx, eventID, subscriber, owner, failedState(dead), &reason, next, now)
}

func failedState(dead bool) string {
	if dead {
		return "dead"
	}
	return "pending"
}

// settle records an attempt (on a delivery held by owner, unless owner is
// ""), and reports whether it did.
func (s *Store) settle(ctx context.Context, eventID, subscriber, owner, state string, reason *string, next, now time.Time) (bool, error) {
	var done bool
	err := s.tx(ctx, func(tx *Store) error {
		q := tx.db.NewUpdate().Model((*deliveryRow)(nil)).
			Set("state = ?", state).Set("attempts = attempts + 1").Set("locked_until = NULL").Set("locked_by = NULL").
			Set("next_attempt_at = ?", next).Set("updated_at = ?", now).
			Where("event_id = ? AND subscriber = ?", eventID, subscriber)
		if state == "delivered" {
			// The subscriber has it, even if the lease was lost meanwhile
			// and the other dispatcher gave up on it.
			q = q.Where("state <> 'delivered'")
		} else {
			q = q.Where("state = 'pending'")
		}
		if owner != "" {
			q = q.Where("locked_by = ?", owner)
		}
		if reason != nil {
			q = q.Set("last_error = ?", *reason)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return dbError("settle delivery", "event", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return dbError("settle delivery", "event", err)
		}
		if done = n > 0; !done || state != "delivered" {
			// A dead delivery keeps the secrets, for a replay.
			return nil
		}
		_, err = tx.db.NewUpdate().Model((*eventRow)(nil)).Set("sealed = NULL").
			Where("id = ?", eventID).
			Where("NOT EXISTS (SELECT 1 FROM event_delivery WHERE event_id = ? AND state <> 'delivered')", eventID).
			Exec(ctx)
		if err != nil {
			return dbError("erase event secrets", "event", err)
		}
		return nil
	})
	return done, err
}

// Backlog counts the deliveries still owed, for metrics.
func (s *Store) Backlog(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*deliveryRow)(nil)).Where("state = 'pending'").Count(ctx)
	if err != nil {
		return 0, dbError("count backlog", "event", err)
	}
	return int(n), nil
}

// DeadDeliveries lists dead deliveries, newest event first, older than the
// event id before ("" for the newest), at most limit.
func (s *Store) DeadDeliveries(ctx context.Context, before string, limit int) ([]gatehouse.DeadDelivery, error) {
	var rows []struct {
		eventRow
		Subscriber string    `bun:"subscriber"`
		Attempts   int       `bun:"attempts"`
		LastError  *string   `bun:"last_error"`
		DUpdatedAt time.Time `bun:"d_updated_at"`
	}
	q := s.db.NewSelect().ColumnExpr("ev.*, ed.subscriber, ed.attempts, ed.last_error, ed.updated_at AS d_updated_at").
		TableExpr("event_delivery AS ed").Join("JOIN auth_event AS ev ON ev.id = ed.event_id").
		Where("ed.state = 'dead'").OrderExpr("ev.id DESC").Limit(int64(limit))
	if before != "" {
		q = q.Where("ev.id < ?", before)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, dbError("list dead deliveries", "event", err)
	}
	out := make([]gatehouse.DeadDelivery, len(rows))
	for i, r := range rows {
		out[i] = gatehouse.DeadDelivery{Event: r.stored().Event, Subscriber: r.Subscriber, Attempts: r.Attempts, UpdatedAt: r.DUpdatedAt.UTC()}
		if r.LastError != nil {
			out[i].LastError = *r.LastError
		}
	}
	return out, nil
}

// Replay makes a dead delivery pending again, due at now.
func (s *Store) Replay(ctx context.Context, eventID, subscriber string, now time.Time) error {
	res, err := s.db.NewUpdate().Model((*deliveryRow)(nil)).
		Set("state = 'pending'").Set("attempts = 0").Set("next_attempt_at = ?", now).Set("locked_until = NULL").Set("locked_by = NULL").Set("updated_at = ?", now).
		Where("event_id = ? AND subscriber = ? AND state = 'dead'", eventID, subscriber).Exec(ctx)
	if err != nil {
		return dbError("replay delivery", "dead delivery", err)
	}
	return affected("replay delivery", "dead delivery", res)
}

// AuthIdentityByActor finds the auth identity linked to a customer or user.
func (s *Store) AuthIdentityByActor(ctx context.Context, actor gatehouse.ActorType, actorID string) (*gatehouse.AuthIdentity, error) {
	var r authIdentityRow
	expr := "app_metadata->>? = ?"
	if s.db.Dialect().Name() != dialect.PG {
		expr = "json_extract(app_metadata, '$.' || ?) = ?"
	}
	err := s.db.NewSelect().Model(&r).Where("actor_type = ?", actor).Where(expr, actor.MetadataKey(), actorID).Limit(1).Scan(ctx)
	if err != nil {
		return nil, dbError("load identity", "identity", err)
	}
	return r.domain(), nil
}

// DeadDeliveryCount counts the dead deliveries of every subscriber.
func (s *Store) DeadDeliveryCount(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*deliveryRow)(nil)).Where("state = 'dead'").Count(ctx)
	if err != nil {
		return 0, dbError("count dead deliveries", "event", err)
	}
	return int(n), nil
}
