package store_test

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestTrace: within a traced request every statement is a child span
// named by operation and table, whose attributes never hold the values
// the statement carried; outside one, no span.
func TestTrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		db.Trace(tp.Tracer("test"))
		s := store.New(db)
		const secretEmail = "traced-secret@example.com"

		t.Run("within a request", func(t *testing.T) {
			ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
			_, _ = s.UserByEmail(ctx, secretEmail)
			parent.End()
			var child sdktrace.ReadOnlySpan
			for _, sp := range rec.Ended() {
				if sp.Parent().SpanID() == parent.SpanContext().SpanID() {
					child = sp
				}
			}
			if child == nil {
				t.Fatalf("no child span of the request among %d", len(rec.Ended()))
			}
			if child.Name() != "SELECT user" {
				t.Errorf("span name %q, want SELECT user", child.Name())
			}
			for _, a := range child.Attributes() {
				if strings.Contains(a.Value.String(), secretEmail) {
					t.Errorf("attribute %s holds the statement's value", a.Key)
				}
			}
		})

		t.Run("background", func(t *testing.T) {
			before := len(rec.Ended())
			_, _ = s.UserByEmail(context.Background(), secretEmail)
			if n := len(rec.Ended()) - before; n != 0 {
				t.Fatalf("%d spans outside a traced request", n)
			}
		})
	})
}
