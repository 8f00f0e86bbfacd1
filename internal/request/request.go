// Package request carries per-request values (request id, credentials,
// cookies to set) between the HTTP layer and the GraphQL layer, and tags
// log lines with the request id.
//
// It must never log or expose the credentials it carries.
package request

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type ctxKey struct{}

// State is what the HTTP layer learned of a request, and the cookies the
// GraphQL layer wants set on the response.
type State struct {
	ID string
	// Bearer is the token of an "Authorization: Bearer" header.
	Bearer string
	// Cookies are the session cookies the request carried, by actor type.
	Cookies map[gatehouse.ActorType]string
	// CSRFToken is the X-CSRF-Token header.
	CSRFToken string
	// PreAuthCookie is the third-party sign-in's pre-auth cookie
	// (PreAuthCookieName), when the request carried it.
	PreAuthCookie string
	// SecureCookies says whether cookies set on the response are Secure
	// (always, but in development over loopback).
	SecureCookies bool
	// ClientIP is the client's address: the peer's, or the one a trusted
	// proxy forwarded.
	ClientIP string

	mu   sync.Mutex
	w    http.ResponseWriter
	shed bool
}

// NewState returns the state of a request whose response goes to w.
func NewState(w http.ResponseWriter) *State { return &State{w: w} }

// SetCookie adds a Set-Cookie header to the response. It is safe for
// concurrent use; it must be called before the response is written, as
// resolvers are.
func (s *State) SetCookie(c *http.Cookie) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil {
		http.SetCookie(s.w, c)
	}
}

// Shed records that the answer sheds the request (UNAVAILABLE): it sets
// Retry-After, in whole seconds, and Shedding then reports true, so that
// the HTTP layer can answer 503 where the media type allows. Like
// SetCookie, it must be called before the response is written.
func (s *State) Shed(retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shed = true
	if s.w != nil {
		s.w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(retryAfter.Seconds(), 1)))))
	}
}

// Shedding reports whether Shed was called.
func (s *State) Shedding() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shed
}

// With returns ctx carrying s.
func With(ctx context.Context, s *State) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// From returns the state of ctx's request; an empty one outside a request.
func From(ctx context.Context) *State {
	if s, ok := ctx.Value(ctxKey{}).(*State); ok {
		return s
	}
	return &State{}
}

// ID returns the request id of ctx, or "".
func ID(ctx context.Context) string { return From(ctx).ID }

// WithID returns ctx carrying a request id (for code outside the HTTP
// layer, such as tests and background work).
func WithID(ctx context.Context, id string) context.Context {
	s := From(ctx)
	return With(ctx, &State{ID: id, Bearer: s.Bearer, Cookies: s.Cookies, CSRFToken: s.CSRFToken, PreAuthCookie: s.PreAuthCookie, SecureCookies: s.SecureCookies, w: s.w})
}

// CookieName is the name of an actor type's session cookie. Secure
// cookies take the __Host- prefix, which browsers only accept with
// Secure, Path=/ and no Domain: no subdomain can plant or shadow it.
// Customers and users have different cookies, so a storefront sign-in
// never signs an admin out.
func CookieName(actor gatehouse.ActorType, secure bool) string {
	name := "gatehouse-" + string(actor) + "-session"
	if secure {
		return "__Host-" + name
	}
	return name
}

// PreAuthCookieName is the name of the cookie that binds a third-party
// sign-in to the browser that started it, when the page gave no
// callbackChallenge. It takes the __Host- prefix when Secure, as the
// session cookies do. There is one per browser: a newer sign-in replaces
// it, and an older one still pending in another tab then fails.
func PreAuthCookieName(secure bool) string {
	if secure {
		return "__Host-gatehouse-oauth"
	}
	return "gatehouse-oauth"
}

// LogHandler wraps h so every record logged with a request's context
// carries its request_id, and the trace_id and span_id of its span when
// it is traced.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := ID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	// The trace the line belongs to, when tracing is on, so that a log
	// line and its spans can be joined.
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{l.Handler.WithGroup(name)}
}
