package graph

import (
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/metrics"
)

// providerEnabled reports whether a provider is enabled for an actor type.
func providerEnabled(svc *auth.Service) func(gatehouse.ActorType, string) bool {
	return func(actor gatehouse.ActorType, id string) bool {
		if !actor.Valid() {
			return false
		}
		for _, p := range svc.Providers(actor) {
			if p.ID == id {
				return true
			}
		}
		return false
	}
}

// HandlerOptions configure the GraphQL handler.
type HandlerOptions struct {
	Auth          *auth.Service
	Logger        *slog.Logger
	Introspection bool
	// Limits bound the work one operation may ask for.
	Limits Limits
	// Metrics, when set, counts and times operations and sign-ins.
	Metrics *metrics.Metrics
	// Tracer, when set, opens a span per operation and root field.
	Tracer trace.Tracer
	// RateLimits, when their Limiter is set, limit the credential and
	// token mutations per client IP and per identifier.
	RateLimits RateLimits
	// APQCache holds automatic persisted queries (nil: in memory).
	APQCache graphql.Cache[string]
	// Idempotency, when its Store is set, runs a mutation sent with an
	// Idempotency-Key once per key and credential, and replays its first
	// answer to retries (idempotency.go).
	Idempotency Idempotency
}

// NewHandler returns the GraphQL HTTP handler: POST, GET for queries only
// and OPTIONS; no multipart or form transports; the error presenter and
// recover func of this package.
func NewHandler(o HandlerOptions) *handler.Server {
	r := &Resolver{Auth: o.Auth}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Directives: DirectiveRoot{HasPermission: r.hasPermission}}))
	srv.AddTransport(transport.Options{AllowedMethods: []string{"GET", "POST", "OPTIONS"}})
	srv.AddTransport(getTransport{})
	var idem *idempotency
	var post graphql.Transport = postTransport{}
	if o.Idempotency.Store != nil {
		idem = newIdempotency(o.Idempotency, o.Logger)
		post = idem.transport(post)
	}
	srv.AddTransport(post)
	srv.AddTransport(refuseTransport{})
	validated := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(validated)
	srv.SetErrorPresenter(ErrorPresenter(o.Logger))
	srv.SetRecoverFunc(Recover)
	limits := o.Limits.withDefaults()
	srv.SetParserTokenLimit(limits.ParserTokens)
	if o.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		// No "Did you mean …" either: the suggestions would list the
		// schema that introspection is off to keep to itself.
		srv.SetDisableSuggestion(true)
	}
	apq := o.APQCache
	if apq == nil {
		apq = NewAPQCache(nil)
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	srv.Use(&limitsExtension{limits: limits, validated: validated, introspection: o.Introspection})
	srv.Use(adminOnce{auth: o.Auth})
	if o.Tracer != nil {
		srv.Use(tracingExtension{tracer: o.Tracer})
	}
	if o.Metrics != nil {
		srv.Use(metricsExtension{m: o.Metrics, provider: providerEnabled(o.Auth)})
	}
	if rl := o.RateLimits; rl.Limiter != nil {
		if rl.Now == nil {
			rl.Now = time.Now
		}
		if rl.Logger == nil {
			rl.Logger = o.Logger
		}
		srv.Use(rateLimitExtension{rl})
	}
	if idem != nil {
		// Last, so innermost: the key is claimed only once every other
		// extension has let the mutation through.
		srv.Use(idem)
	}
	return srv
}
