package graph

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/metrics"
)

// metricsExtension counts and times every operation and root field, and
// the outcomes of sign-ins, as the client saw them.
type metricsExtension struct {
	m *metrics.Metrics
	// provider reports whether a provider is enabled for an actor type:
	// only those name a series, so a client cannot grow the label set.
	provider func(actor gatehouse.ActorType, id string) bool
}

var (
	_ graphql.HandlerExtension    = metricsExtension{}
	_ graphql.ResponseInterceptor = metricsExtension{}
	_ graphql.FieldInterceptor    = metricsExtension{}
)

func (metricsExtension) ExtensionName() string                   { return "Metrics" }
func (metricsExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (x metricsExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	start := oc.Stats.OperationStart
	if start.IsZero() {
		start = time.Now()
	}
	name, typ := operationLabel(oc)
	x.m.Operation(name, typ, resp != nil && len(resp.Errors) == 0, time.Since(start))
	return resp
}

// signInFields are the root fields that check a credential.
var signInFields = map[string]bool{"authenticate": true, "createUserAuthTicket": true, "validateCallback": true}

func (x metricsExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Query" && fc.Object != "Mutation" {
		return next(ctx)
	}
	start := time.Now()
	res, err := next(ctx)
	result := fieldResult(res, err)
	x.m.RootField(fc.Field.Name, result, time.Since(start))
	if signInFields[fc.Field.Name] {
		actor, provider := gatehouse.ActorCustomer, gatehouse.ProviderEmailPass
		if a, ok := fc.Args["actor"].(gatehouse.ActorType); ok {
			actor = a
		}
		if p, ok := fc.Args["provider"].(string); ok {
			provider = p
		}
		if !x.provider(actor, provider) {
			actor, provider = "unknown", "unknown"
		}
		if result == "ok" {
			result = "success"
		}
		x.m.SignIn(string(actor), provider, result)
	}
	return res, err
}

// operationLabel names an operation by its root fields (from the schema, so
// a client cannot grow the label set), and its type.
func operationLabel(oc *graphql.OperationContext) (name, typ string) {
	if oc.Operation == nil || oc.Doc == nil {
		return "invalid", "unknown"
	}
	var fields []string
	seen := map[string]bool{}
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if !seen[s.Name] {
					seen[s.Name] = true
					fields = append(fields, s.Name)
				}
			case *ast.InlineFragment:
				collect(s.SelectionSet)
			case *ast.FragmentSpread:
				if f := oc.Doc.Fragments.ForName(s.Name); f != nil {
					collect(f.SelectionSet)
				}
			}
		}
	}
	collect(oc.Operation.SelectionSet)
	sort.Strings(fields)
	if len(fields) > 3 {
		// Bounded: many-field operations share one series.
		fields = append(fields[:3], "…")
	}
	return strings.Join(fields, ","), string(oc.Operation.Operation)
}

// fieldResult is "ok", or the code of the field's error or of the first
// error in its payload's errors list.
func fieldResult(res any, err error) string {
	if err != nil {
		if e := gatehouse.AsError(err); e != nil {
			return string(e.Code)
		}
		return "error"
	}
	v := reflect.ValueOf(res)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "ok"
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return "ok"
	}
	errs := v.FieldByName("Errors")
	if !errs.IsValid() || errs.Kind() != reflect.Slice || errs.Len() == 0 {
		return "ok"
	}
	first := errs.Index(0)
	for first.Kind() == reflect.Pointer && !first.IsNil() {
		first = first.Elem()
	}
	if first.Kind() == reflect.Struct {
		if c := first.FieldByName("Code"); c.IsValid() && c.Kind() == reflect.String {
			return c.String()
		}
	}
	return "error"
}
