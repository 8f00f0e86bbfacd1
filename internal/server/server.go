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
	// ManagementApart leaves the management routes (/healthz, /readyz,
	// /metrics) off the public handler: Management serves them, on a
	// listener of their own.
	ManagementApart bool
	// TrustedProxies may forward the client's address in X-Forwarded-For.
	TrustedProxies []netip.Prefix
}

// New returns the service's HTTP handler.
func New(o Options) http.Handler {
	return handler(o, addRoutes)
}

// Management returns the handler of the management listener: /healthz,
// /readyz and /metrics, whatever ManagementApart says, and 404 for every
// other path. It needs only o's Logger, Ready, Metrics, Production and
// TrustedProxies, so it serves before the service is built.
func Management(o Options) http.Handler {
	return handler(o, func(mux *http.ServeMux, o Options) {
		addManagementRoutes(mux, o)
		mux.Handle("/", http.NotFoundHandler())
	})
}

// Starting returns the public handler for while the service is being
// built (its migrations pending, say), from the same options as
// Management: the management routes unless they are apart, and 503 for
// every other path.
func Starting(o Options) http.Handler {
	return handler(o, addStartingRoutes)
}

func handler(o Options, routes func(*http.ServeMux, Options)) http.Handler {
	mux := http.NewServeMux()
	routes(mux, o)
	var h http.Handler = mux
	h = securityHeaders(h, o.Production)
	h = withRequest(h, o.Logger, o.Production, o.TrustedProxies)
	return h
}
