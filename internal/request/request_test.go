package request_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/internal/request"
)

// TestLogHandlerTraceID: a line logged within a traced request carries its
// trace and span ids, so that logs and spans join; without a span, none.
func TestLogHandlerTraceID(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		wantTrace string
		wantSpan  string
	}{
		{"traced", traced, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"untraced", context.Background(), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(request.LogHandler(slog.NewJSONHandler(&buf, nil)))
			log.InfoContext(tc.ctx, "hello")
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatal(err)
			}
			if got, _ := line["trace_id"].(string); got != tc.wantTrace {
				t.Errorf("trace_id = %q, want %q", got, tc.wantTrace)
			}
			if got, _ := line["span_id"].(string); got != tc.wantSpan {
				t.Errorf("span_id = %q, want %q", got, tc.wantSpan)
			}
		})
	}
}
