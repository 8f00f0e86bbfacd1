package main

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/otlp"
)

// newTracer returns the tracer provider that exports over OTLP/HTTP,
// configured by the standard OTEL_* variables (endpoint, headers, timeout,
// protocol, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_TRACES_SAMPLER) or GATEHOUSE_OTLP_ENDPOINT, and the function that
// flushes and stops it; with no endpoint, nil (tracing off, nothing
// installed) and a no-op.
func newTracer(ctx context.Context, cfg *config.Config, getenv func(string) string) (trace.TracerProvider, func(context.Context) error, error) {
	oc, ok, err := otlp.FromEnv(getenv, cfg.OTLPEndpoint)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, func(context.Context) error { return nil }, nil
	}
	exp, err := otlptrace.New(ctx, otlp.NewClient(oc))
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	// Ours first; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override.
	res, err := resource.Merge(
		resource.NewSchemaless(
			semconv.ServiceName("gatehouse"),
			attribute.String("service.version", version()),
		),
		mustEnvResource(ctx),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER and _ARG (the SDK reads
	// them); by default every trace whose parent is sampled, or all.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, tp.Shutdown, nil
}

// tracerName names gatehouse's own spans (operations, resolvers,
// statements).
const tracerName = "github.com/gatehouse/gatehouse"

// traceHTTP wraps the public routes in an HTTP server span per request, a
// child of the caller's span when the request carries a W3C traceparent,
// so that the GraphQL, resolver and statement spans, and the request's
// log lines, join the caller's trace. Without a provider, h as is.
func traceHTTP(tp trace.TracerProvider, h http.Handler) http.Handler {
	if tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, "gatehouse",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		// The path only: query strings can hold a persisted query's
		// variables.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
	)
}

// mustEnvResource is the resource the OTEL_* variables describe, or an
// empty one when they are malformed (the SDK's detector reports that as a
// partial resource; the service still starts).
func mustEnvResource(ctx context.Context) *resource.Resource {
	r, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil && r == nil {
		return resource.Empty()
	}
	return r
}
