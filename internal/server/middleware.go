package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/request"
)

// RequestIDHeader carries the request id, in and out.
const RequestIDHeader = "X-Request-Id"

// withRequest gives every request an id (the caller's, when it is sane),
// returns it in a header, gathers the credentials the request carries into
// its request.State, and logs one line per request.
func withRequest(next http.Handler, log *slog.Logger, production bool, trusted []netip.Prefix) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		st := request.NewState(w)
		st.ID = id
		st.Bearer = bearer(r)
		st.CSRFToken = r.Header.Get(CSRFHeader)
		st.ClientIP = clientIP(r, trusted)
		// Secure cookies always, but in development over loopback, where
		// there is no TLS to be had.
		st.SecureCookies = production || !loopback(r.Host)
		st.Cookies = map[gatehouse.ActorType]string{}
		for _, a := range []gatehouse.ActorType{gatehouse.ActorCustomer, gatehouse.ActorUser} {
			if c, err := r.Cookie(request.CookieName(a, st.SecureCookies)); err == nil {
				st.Cookies[a] = c.Value
			}
		}
		if c, err := r.Cookie(request.PreAuthCookieName(st.SecureCookies)); err == nil {
			st.PreAuthCookie = c.Value
		}
		ctx := request.With(r.Context(), st)
		// Where the request came from, for the events and sessions it
		// causes (the audit trail).
		ctx = gatehouse.WithOrigin(ctx, gatehouse.Origin{IP: st.ClientIP, UserAgent: r.UserAgent(), RequestID: id})
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
	})
}

// CSRFHeader carries a cookie session's CSRF token.
const CSRFHeader = "X-CSRF-Token"

// loopback reports whether host (host[:port]) is localhost, 127.0.0.1 or
// [::1].
func loopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		return strings.TrimSpace(h[len(prefix):])
	}
	return ""
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// securityHeaders sets headers every response should carry.
func securityHeaders(next http.Handler, production bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// JSON answers need no policy beyond this; the playground sets its own.
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		if production {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status. (The GraphQL transports choose it,
// 503 for a shed request included: graph/errors.go.)
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if s.wrote {
		return
	}
	s.wrote = true
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
