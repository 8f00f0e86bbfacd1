package server

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/playground"
)

// addRoutes is the one place every route is declared: the public ones
// here, the management ones (which may be served apart) and those of a
// service still starting below.
func addRoutes(mux *http.ServeMux, o Options) {
	mux.Handle("/graphql", browserGuard(noStore(limitBody(o.GraphQL, o.MaxBodyBytes)), o.AllowedOrigins))
	if !o.ManagementApart {
		addManagementRoutes(mux, o)
	}
	if o.Keys != nil {
		mux.Handle("GET "+jwksPath, handleJWKS(o.Keys, o.JWKSMaxAge))
		mux.Handle("GET /.well-known/openid-configuration", handleOpenIDConfiguration(o.Issuer, o.Keys, o.JWKSMaxAge))
	}
	if o.Playground {
		mux.Handle("GET /{$}", playground.Page())
		mux.Handle("GET /playground/", playground.Assets())
		mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	}
	mux.Handle("/", http.NotFoundHandler())
}

// addManagementRoutes declares the routes of probes and the scraper, on
// the public listener or on the management one.
func addManagementRoutes(mux *http.ServeMux, o Options) {
	mux.HandleFunc("GET /healthz", handleHealthz)
	mux.Handle("GET /readyz", handleReadyz(o.Logger, o.Ready))
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
}

// addStartingRoutes declares the public routes of a service still being
// built (its migrations pending, say): the management routes, unless they
// are apart, and 503 for every other path.
func addStartingRoutes(mux *http.ServeMux, o Options) {
	if o.ManagementApart {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			mux.Handle(p, http.NotFoundHandler())
		}
	} else {
		addManagementRoutes(mux, o)
	}
	mux.HandleFunc("/", unavailable)
}

// noStore marks every answer but a GET's uncacheable: a POST carries
// mutations, whose answers hold tokens and CSRF tokens, and authenticated
// queries. GET is for queries only, and its transport marks the answers
// that depend on a credential (private, no-store) and lets the rest be
// cached.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
