package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/internal/request"
)

// tracingExtension opens a span per GraphQL operation and a child span per
// root field, over the OpenTelemetry API. The handler installs it only when
// a tracer is configured, so tracing that is off costs nothing.
//
// Spans carry the operation's root fields, its type and the request id;
// never variables, arguments or results, which hold passwords and tokens.
type tracingExtension struct{ tracer trace.Tracer }

var (
	_ graphql.HandlerExtension    = tracingExtension{}
	_ graphql.ResponseInterceptor = tracingExtension{}
	_ graphql.FieldInterceptor    = tracingExtension{}
)

func (tracingExtension) ExtensionName() string                   { return "Tracing" }
func (tracingExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (x tracingExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	name, typ := "invalid", "unknown"
	var opts []trace.SpanStartOption
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		name, typ = operationLabel(oc)
		if !oc.Stats.OperationStart.IsZero() {
			opts = append(opts, trace.WithTimestamp(oc.Stats.OperationStart))
		}
	}
	opts = append(opts, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("graphql.operation.type", typ),
		attribute.String("graphql.operation.name", name),
		attribute.String("gatehouse.request_id", request.ID(ctx)),
	))
	ctx, span := x.tracer.Start(ctx, "graphql "+typ+" "+name, opts...)
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		span.SetStatus(codes.Error, "")
		codesSeen := make([]string, 0, len(resp.Errors))
		for _, e := range resp.Errors {
			if c, ok := e.Extensions["code"].(string); ok {
				codesSeen = append(codesSeen, c)
			}
		}
		span.SetAttributes(attribute.StringSlice("graphql.error.codes", codesSeen))
	}
	return resp
}

func (x tracingExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Query" && fc.Object != "Mutation" {
		return next(ctx)
	}
	ctx, span := x.tracer.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.name", fc.Field.Name),
		attribute.String("graphql.field.object", fc.Object),
	))
	defer span.End()
	res, err := next(ctx)
	if result := fieldResult(res, err); result != "ok" {
		span.SetStatus(codes.Error, result)
		span.SetAttributes(attribute.String("gatehouse.result", result))
	}
	return res, err
}
