package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/internal/config"
)

// newTracer returns the tracer that exports to the configured OTLP
// endpoint, and the function that flushes and stops it; with no endpoint,
// a nil tracer (tracing off, nothing installed) and a no-op.
func newTracer(ctx context.Context, cfg *config.Config) (trace.Tracer, func(context.Context) error, error) {
	if cfg.OTLPEndpoint == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tracesURL(cfg.OTLPEndpoint)))
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", "gatehouse"),
			attribute.String("service.version", version()),
		)),
	)
	return tp.Tracer("github.com/gatehouse/gatehouse"), tp.Shutdown, nil
}

// tracesURL is the collector's traces endpoint: the configured URL, with
// the OTLP traces path added when it names only the collector.
func tracesURL(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || strings.Trim(u.Path, "/") != "" {
		return endpoint
	}
	u.Path = "/v1/traces"
	return u.String()
}
