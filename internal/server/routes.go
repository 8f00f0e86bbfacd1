package server

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/playground"
)

// addRoutes is the one place every route is declared.
func addRoutes(mux *http.ServeMux, o Options) {
	mux.Handle("/graphql", browserGuard(limitBody(o.GraphQL, o.MaxBodyBytes), o.AllowedOrigins))
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
