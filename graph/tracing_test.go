package graph_test

import (
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	// SQLite only: spans come from the GraphQL layer, whatever the database.
	db := storetest.MustOpen(t, storetest.SQLite(t))
	a := newAPIWith(t, db, func(o *graph.HandlerOptions) { o.Tracer = tp.Tracer("test") })

	const password = "tracing password 1"
	reg := mustTicket(t, a.register(t, "CUSTOMER", "trace@example.com", password, ""))
	wrong := a.authenticate(t, "CUSTOMER", "trace@example.com", "not the password")
	wantError(t, wrong.Errors, "INVALID_CREDENTIALS")
	a.do(t, "", `{ nope }`, nil)

	spans := rec.Ended()
	byName := map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = append(byName[s.Name()], s)
	}
	for _, tc := range []struct {
		name, span string
		kind       trace.SpanKind
		parent     string // the span's parent's name, "" for a root
		failed     bool
	}{
		{"register operation", "graphql mutation register", trace.SpanKindServer, "", false},
		{"register resolver", "Mutation.register", trace.SpanKindInternal, "graphql mutation register", false},
		{"failed sign-in", "graphql mutation authenticate", trace.SpanKindServer, "", false},
		{"failed sign-in resolver", "Mutation.authenticate", trace.SpanKindInternal, "graphql mutation authenticate", true},
		{"invalid document", "graphql unknown invalid", trace.SpanKindServer, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := byName[tc.span]
			if len(got) == 0 {
				names := make([]string, 0, len(byName))
				for n := range byName {
					names = append(names, n)
				}
				t.Fatalf("no span %q among %v", tc.span, names)
			}
			s := got[len(got)-1]
			if s.SpanKind() != tc.kind {
				t.Errorf("kind = %v, want %v", s.SpanKind(), tc.kind)
			}
			if tc.parent == "" && s.Parent().IsValid() {
				t.Errorf("parent = %v, want a root span", s.Parent())
			}
			if tc.parent != "" {
				found := false
				for _, p := range byName[tc.parent] {
					if p.SpanContext().SpanID() == s.Parent().SpanID() {
						found = true
					}
				}
				if !found {
					t.Errorf("span is not a child of %q", tc.parent)
				}
			}
			if failed := s.Status().Code.String() == "Error"; failed != tc.failed {
				t.Errorf("status = %v, want failed=%v", s.Status(), tc.failed)
			}
		})
	}
	// No secret is in any span.
	t.Run("secrets in spans", func(t *testing.T) {
		for _, s := range spans {
			var all strings.Builder
			all.WriteString(s.Name())
			for _, kv := range s.Attributes() {
				all.WriteString(" " + string(kv.Key) + "=" + kv.Value.String())
			}
			secrets := []string{password, "trace@example.com", reg.AccessToken}
			if reg.RefreshToken != nil {
				secrets = append(secrets, *reg.RefreshToken)
			}
			for _, secret := range secrets {
				if secret != "" && strings.Contains(all.String(), secret) {
					t.Errorf("span %s holds a secret: %s", s.Name(), all.String())
				}
			}
		}
	})
}
