package graph

import (
	"log/slog"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gatehouse/gatehouse/internal/auth"
)

// HandlerOptions configure the GraphQL handler.
type HandlerOptions struct {
	Auth          *auth.Service
	Logger        *slog.Logger
	Introspection bool
	// ComplexityLimit bounds the cost of one operation (0: 1000).
	ComplexityLimit int
}

// NewHandler returns the GraphQL HTTP handler: POST, GET for queries only
// and OPTIONS; no multipart or form transports; the error presenter and
// recover func of this package.
func NewHandler(o HandlerOptions) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{Auth: o.Auth}}))
	srv.AddTransport(transport.Options{AllowedMethods: []string{"GET", "POST", "OPTIONS"}})
	srv.AddTransport(getTransport{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(refuseTransport{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetErrorPresenter(ErrorPresenter(o.Logger))
	srv.SetRecoverFunc(Recover)
	srv.SetParserTokenLimit(15000)
	if o.Introspection {
		srv.Use(extension.Introspection{})
	}
	limit := o.ComplexityLimit
	if limit == 0 {
		limit = 1000
	}
	srv.Use(extension.FixedComplexityLimit(limit))
	return srv
}
