// Package otlptest is an in-process OTLP/HTTP collector for tests: it
// decodes each ExportTraceServiceRequest field by field, independently of
// the exporter's encoder, and keeps the spans it received.
package otlptest

import (
	"io"
	"net/http"
	"sync"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Collector receives traces at /v1/traces; Status, when set, is its answer.
type Collector struct {
	Status int

	mu      sync.Mutex
	spans   []*tracepb.Span
	headers http.Header
}

// Spans returns the spans received so far.
func (c *Collector) Spans() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.spans...)
}

// Headers returns the headers of the last request.
func (c *Collector) Headers() http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.headers.Clone()
}

func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.headers = r.Header.Clone()
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "wrong path or type", http.StatusBadRequest)
		return
	}
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			http.Error(w, "not an ExportTraceServiceRequest", http.StatusBadRequest)
			return
		}
		body = body[n:]
		m, n := protowire.ConsumeBytes(body)
		if n < 0 {
			http.Error(w, "truncated", http.StatusBadRequest)
			return
		}
		body = body[n:]
		var rs tracepb.ResourceSpans
		if err := proto.Unmarshal(m, &rs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	if c.Status != 0 {
		w.WriteHeader(c.Status)
	}
}
