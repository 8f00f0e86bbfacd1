package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/gatehouse/gatehouse/internal/otlp/otlptest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestTraceContextPropagation: a request carrying a W3C traceparent gets a
// server span that is its child, the GraphQL and statement spans below
// that, all in the caller's trace, and its log lines name the trace.
func TestTraceContextPropagation(t *testing.T) {
	col := &otlptest.Collector{}
	otlpSrv := httptest.NewServer(col)
	defer otlpSrv.Close()
	addr, logs, stop := serveInBackground(t, testEnv(storetest.SQLite(t), "OTEL_EXPORTER_OTLP_ENDPOINT", otlpSrv.URL))
	base := "http://" + addr
	waitHealthy(t, base)

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	body, _ := json.Marshal(map[string]any{"query": `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "traced@example.com", password: "correct horse battery"}) { errors { code } } }`})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := stop(); err != nil { // flushes the spans
		t.Fatal(err)
	}

	spans := col.Spans()
	byID := map[string]*tracepb.Span{}
	var server *tracepb.Span
	for _, s := range spans {
		if hex.EncodeToString(s.TraceId) != traceID {
			continue
		}
		byID[hex.EncodeToString(s.SpanId)] = s
		if hex.EncodeToString(s.ParentSpanId) == parentID {
			server = s
		}
	}
	if server == nil {
		t.Fatalf("no span is a child of the caller's (%d spans received)", len(spans))
	}
	if server.Kind != tracepb.Span_SPAN_KIND_SERVER || server.Name != "POST /graphql" {
		t.Errorf("server span = %q (%v), want POST /graphql, a server span", server.Name, server.Kind)
	}
	// Every other span of the trace descends from the server span.
	var statements, others int
	for _, s := range byID {
		if s == server {
			continue
		}
		p := s
		for p != nil && p != server {
			p = byID[hex.EncodeToString(p.ParentSpanId)]
		}
		if p == nil {
			t.Errorf("span %q does not descend from the server span", s.Name)
		}
		if strings.HasPrefix(s.Name, "SELECT ") || strings.HasPrefix(s.Name, "INSERT ") {
			statements++
		} else {
			others++
		}
	}
	if statements == 0 || others == 0 {
		t.Errorf("%d statement spans and %d GraphQL spans under the server span, want some of each", statements, others)
	}
	if !strings.Contains(logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Errorf("no log line names the trace:\n%s", logs)
	}
}
