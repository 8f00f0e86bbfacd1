package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// auditColumns are an event's columns but sealed. The audit trail reads
// only these (auditRow), so no audit query can read a sealed secret;
// eventRow adds sealed.
type auditColumns struct {
	ID             string              `bun:"id,pk"`
	Name           string              `bun:"name,notnull"`
	AuthIdentityID *string             `bun:"auth_identity_id"`
	ActorType      *string             `bun:"actor_type"`
	Payload        map[string]any      `bun:"payload,type:jsonb,notnull"`
	CreatedAt      time.Time           `bun:"created_at,notnull"`
	ActorID        string              `bun:"actor_id,nullzero"`
	ActorKind      gatehouse.ActorType `bun:"actor_kind,nullzero"`
	SubjectID      string              `bun:"subject_id,nullzero"`
	SessionID      string              `bun:"session_id,nullzero"`
	IP             string              `bun:"ip,nullzero"`
	UserAgent      string              `bun:"user_agent,nullzero"`
	RequestID      string              `bun:"request_id,nullzero"`
}

type auditRow struct {
	bun.BaseModel `bun:"table:auth_event,alias:ev"`
	auditColumns
}

// newEventRow is the row AppendEvent inserts for e, with its secrets
// sealed in sealed ("" for none). The origin is kept in bounds (the user
// agent cut to 512 characters).
func newEventRow(e *gatehouse.Event, sealed string) *eventRow {
	return &eventRow{
		auditColumns: auditColumns{
			ID: e.ID, Name: e.Name, AuthIdentityID: nullable(e.AuthIdentityID), ActorType: nullable(string(e.ActorType)),
			Payload: object(e.Payload), CreatedAt: e.CreatedAt,
			ActorID: e.ActorID, ActorKind: e.ActorKind, SubjectID: e.SubjectID, SessionID: e.SessionID,
			IP: clip(e.Origin.IP, maxIP), UserAgent: clip(e.Origin.UserAgent, maxUserAgent), RequestID: clip(e.Origin.RequestID, maxRequestID),
		},
		Sealed: nullable(sealed),
	}
}

func (r *auditRow) event() gatehouse.Event {
	e := gatehouse.Event{
		ID: r.ID, Name: r.Name, Payload: object(r.Payload), CreatedAt: r.CreatedAt.UTC(),
		ActorID: r.ActorID, ActorKind: r.ActorKind, SubjectID: r.SubjectID, SessionID: r.SessionID,
		Origin: gatehouse.Origin{IP: r.IP, UserAgent: r.UserAgent, RequestID: r.RequestID},
	}
	if r.AuthIdentityID != nil {
		e.AuthIdentityID = *r.AuthIdentityID
	}
	if r.ActorType != nil {
		e.ActorType = gatehouse.ActorType(*r.ActorType)
	}
	return e
}

// auditWhere adds f's conditions to q. Each filter has its index, newest
// first by id (migration 20261204030000_session_devices_audit); the time
// range has auth_event_created_at_idx.
func auditWhere(q *bun.SelectQuery, f gatehouse.AuditFilter) *bun.SelectQuery {
	if f.ActorID != "" {
		q = q.Where("ev.actor_id = ?", f.ActorID)
	}
	if f.SubjectID != "" {
		q = q.Where("ev.subject_id = ?", f.SubjectID)
	}
	if len(f.Types) > 0 {
		q = q.Where("ev.name IN (?)", bun.List(f.Types))
	}
	if f.From != nil {
		q = q.Where("ev.created_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("ev.created_at < ?", f.To.UTC())
	}
	return q
}

// AuditLog lists the events f chooses, newest first, older than the event
// id before ("" for the newest), at most limit, without their secrets.
// Event ids are time-ordered, so before is the last id of the previous
// page.
func (s *Store) AuditLog(ctx context.Context, f gatehouse.AuditFilter, before string, limit int) ([]gatehouse.Event, error) {
	if limit <= 0 {
		return []gatehouse.Event{}, nil
	}
	var rows []auditRow
	err := s.read(ctx, func(q bun.IDB) error {
		sel := auditWhere(q.NewSelect().Model(&rows), f).OrderExpr("ev.id DESC").Limit(int64(limit))
		if before != "" {
			sel = sel.Where("ev.id < ?", before)
		}
		return sel.Scan(ctx)
	})
	if err != nil {
		return nil, dbError("list audit log", "event", err)
	}
	return auditEvents(rows), nil
}

// AuditLogCount counts the events f chooses (the audit log's totalCount).
func (s *Store) AuditLogCount(ctx context.Context, f gatehouse.AuditFilter) (int, error) {
	var n int
	err := s.read(ctx, func(q bun.IDB) error {
		c, err := auditWhere(q.NewSelect().Model((*auditRow)(nil)), f).Count(ctx)
		n = int(c)
		return err
	})
	if err != nil {
		return 0, dbError("count audit log", "event", err)
	}
	return n, nil
}

// EventsAbout lists the events about ids, auth identity, customer or user
// ids (a customer's id and its identity's, say): those of an identity
// (auth_identity_id) and those done on one (subject_id), newest first,
// older than the event id before ("" for the newest), at most limit,
// without their secrets. It is AuditEvents for any of the three kinds.
//
// Each condition is a range of an index, read newest first and only as
// far as limit rows, then merged: one OR over both columns would have the
// database collect every matching row and sort them before it could take
// the first page.
func (s *Store) EventsAbout(ctx context.Context, ids []string, before string, limit int) ([]gatehouse.Event, error) {
	if limit <= 0 || len(ids) == 0 {
		return []gatehouse.Event{}, nil
	}
	about, args := aboutSQL(ids, before, limit)
	var rows []auditRow
	err := s.read(ctx, func(q bun.IDB) error {
		rows = nil
		return q.NewSelect().Model(&rows).
			Where("ev.id IN ("+about+")", args...).
			OrderExpr("ev.id DESC").Limit(int64(limit)).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("list events", "event", err)
	}
	return auditEvents(rows), nil
}

func auditEvents(rows []auditRow) []gatehouse.Event {
	out := make([]gatehouse.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out
}

// EventsAboutCount counts the events EventsAbout lists for ids.
func (s *Store) EventsAboutCount(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	about, args := aboutSQL(ids, "", 0)
	var n int
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewRaw("SELECT count(*) FROM ("+about+") AS about", args...).Scan(ctx, &n)
	})
	if err != nil {
		return 0, dbError("count events", "event", err)
	}
	return n, nil
}

// aboutSQL is the UNION of the ids of the events about ids, one index
// range per id and column: those older than before ("" for any), at most
// limit of each, newest first (0 for no limit).
func aboutSQL(ids []string, before string, limit int) (string, []any) {
	var branches []string
	var args []any
	for i, id := range ids {
		for _, column := range []string{"auth_identity_id", "subject_id"} {
			q, a := "SELECT id FROM auth_event WHERE "+column+" = ?", []any{id}
			if before != "" {
				q, a = q+" AND id < ?", append(a, before)
			}
			if limit > 0 {
				q, a = fmt.Sprintf("SELECT id FROM (%s ORDER BY id DESC LIMIT ?) AS b%d_%s", q, i, column), append(a, limit)
			}
			branches, args = append(branches, q), append(args, a...)
		}
	}
	return strings.Join(branches, " UNION "), args
}
