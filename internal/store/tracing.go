package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Trace opens a client span for every statement run within a traced
// request, a child of the request's span: named by operation and table
// ("SELECT customer"), with the database system, operation and table as
// attributes, and never the statement's text, which holds the values
// (emails, password hashes, token hashes). Statements outside a traced
// request (background work) open none. Call it before store.New, as the
// pool's hook is set: the hook goes on a copy of the Bun handle.
func (db *DB) Trace(tracer trace.Tracer) {
	system := "postgresql"
	if db.dialect == SQLite {
		system = "sqlite"
	}
	db.bun = db.bun.WithQueryHook(traceHook{tracer: tracer, system: system})
}

type traceHook struct {
	tracer trace.Tracer
	system string
}

type spanKey struct{}

func (h traceHook) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	op := e.Operation()
	table := ""
	if e.IQuery != nil {
		table = e.IQuery.GetTableName()
	}
	name := op
	if table != "" {
		name += " " + table
	}
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", h.system),
		attribute.String("db.operation.name", op),
	}
	if table != "" {
		attrs = append(attrs, attribute.String("db.collection.name", table))
	}
	ctx, span := h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if e.Stash == nil {
		e.Stash = map[any]any{}
	}
	e.Stash[spanKey{}] = span
	return ctx
}

func (traceHook) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	span, ok := e.Stash[spanKey{}].(trace.Span)
	if !ok {
		return
	}
	if e.Err != nil && !errors.Is(e.Err, sql.ErrNoRows) {
		// The kind of failure only: a driver's message can quote values.
		span.SetStatus(codes.Error, "statement failed")
	}
	span.End()
}
