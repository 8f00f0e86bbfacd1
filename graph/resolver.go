package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Resolver is the root resolver: the one place dependencies enter the graph.
type Resolver struct {
	Auth *auth.Service
}

// opt converts an omittable GraphQL input field to a domain change field.
func opt[T any](o graphql.Omittable[T]) gatehouse.Opt[T] {
	v, ok := o.ValueOK()
	return gatehouse.Opt[T]{Set: ok, Value: v}
}
