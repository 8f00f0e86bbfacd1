package server

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/playground"
)

// addRoutes is the one place every route is declared.
func addRoutes(mux *http.ServeMux, o Options) {
	mux.Handle("/graphql", browserGuard(noStore(limitBody(o.GraphQL, o.MaxBodyBytes)), o.AllowedOrigins))
	mux.HandleFunc("GET /healthz", handleHealthz)
	mux.Handle("GET /readyz", handleReadyz(o.Logger, o.Ready))
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
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
