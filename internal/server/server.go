// Package server is gatehouse's HTTP layer: routes, middleware, health
// checks and the playground around the GraphQL handler.
//
// It must never log request bodies, headers that carry credentials, or
// tokens.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"
)

// Checker reports whether a dependency is ready to serve; the error text
// is logged, never sent.
type Checker interface {
	Ready(ctx context.Context) error
}

// Options are the server's dependencies.
type Options struct {
	Logger     *slog.Logger
	GraphQL    http.Handler
	Ready      Checker
	Playground bool
	// Production adds HSTS and makes every cookie Secure.
	Production bool
	// AllowedOrigins are the browser origins (scheme://host[:port]) that
	// may call the API cross-origin, with credentials. Same-origin calls
	// need no entry.
	AllowedOrigins []string
	// Keys are published at /.well-known/jwks.json, and the discovery
	// document at /.well-known/openid-configuration names Issuer and
	// them; without Keys, neither route exists. Verifiers may cache both
	// for JWKSMaxAge.
	Keys       PublicKeys
	Issuer     string
	JWKSMaxAge time.Duration
	// MaxBodyBytes bounds a GraphQL request's body (0: 64 KiB).
	MaxBodyBytes int
	// Metrics, when set, is served at /metrics.
	Metrics http.Handler
	// TrustedProxies may forward the client's address in X-Forwarded-For.
	TrustedProxies []netip.Prefix
}

// New returns the service's HTTP handler.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, o)
	var h http.Handler = mux
	h = securityHeaders(h, o.Production)
	h = withRequest(h, o.Logger, o.Production, o.TrustedProxies)
	return h
}
