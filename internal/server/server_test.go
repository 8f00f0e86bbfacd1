package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/request"
)

type checker func(context.Context) error

func (c checker) Ready(ctx context.Context) error { return c(ctx) }

func TestRoutes(t *testing.T) {
	var seen struct{ id, bearer string }
	gql := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.id, seen.bearer = request.ID(r.Context()), request.From(r.Context()).Bearer
	})
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ready := errors.New("database down")
	h := New(Options{Logger: log, GraphQL: gql, Ready: checker(func(context.Context) error { return ready }), Production: true})

	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		body               string
	}{
		{"healthz", "GET", "/healthz", nil, 200, `"ok"`},
		{"readyz when not ready", "GET", "/readyz", nil, 503, `"unavailable"`},
		{"playground off", "GET", "/", nil, 404, ""},
		{"unknown path", "GET", "/admin", nil, 404, ""},
		{"graphql", "POST", "/graphql", map[string]string{"Authorization": "Bearer abc.def.ghi", "X-Request-Id": "client-id-1"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("%s %s = %d %s", tc.method, tc.path, rec.Code, rec.Body)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Strict-Transport-Security") == "" || rec.Header().Get(RequestIDHeader) == "" {
				t.Fatalf("headers = %v", rec.Header())
			}
			if tc.path == "/readyz" && strings.Contains(rec.Body.String(), "database down") {
				t.Fatal("readyz leaks the cause")
			}
			if tc.path == "/graphql" && (seen.id != "client-id-1" || seen.bearer != "abc.def.ghi") {
				t.Fatalf("graphql saw id %q bearer %q", seen.id, seen.bearer)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer   abc ", "abc"},
		{"BEARER abc", "abc"},
		{"Basic abc", ""},
		{"Bearer", ""},
		{"", ""},
	} {
		t.Run(tc.header, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", tc.header)
			if got := bearer(r); got != tc.want {
				t.Fatalf("bearer(%q) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestRequestIDIsSanitized(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		kept     bool
	}{
		{"sane", "abc-123_x.y", true},
		{"newline", "abc\ninjected", false},
		{"too long", strings.Repeat("a", 65), false},
		{"quote", `a"b`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if saneRequestID(tc.in) != tc.kept {
				t.Fatalf("saneRequestID(%q) = %v", tc.in, !tc.kept)
			}
		})
	}
}

// The management routes are served on the public handler, or apart on the
// management one; /readyz shows a NotReady's reason and never its cause.
func TestManagementRoutes(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "metric_total 1\n") })
	notReady := checker(func(context.Context) error {
		return &NotReady{Reason: "2 migrations pending: run gatehouse migrate up", Err: errors.New("secret cause")}
	})
	ready := checker(func(context.Context) error { return nil })
	gql := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "graphql") })
	o := func(apart bool, c Checker) Options {
		return Options{Logger: log, GraphQL: gql, Ready: c, Metrics: metrics, ManagementApart: apart}
	}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		path   string
		status int
		body   string
	}{
		{"public healthz", New(o(false, ready)), "/healthz", 200, `"ok"`},
		{"public readyz", New(o(false, ready)), "/readyz", 200, `"ok"`},
		{"public metrics", New(o(false, ready)), "/metrics", 200, "metric_total"},
		{"public readyz reason", New(o(false, notReady)), "/readyz", 503, `"reason":"2 migrations pending: run gatehouse migrate up"`},
		{"apart healthz", New(o(true, ready)), "/healthz", 404, ""},
		{"apart readyz", New(o(true, ready)), "/readyz", 404, ""},
		{"apart metrics", New(o(true, ready)), "/metrics", 404, ""},
		{"apart graphql", New(o(true, ready)), "/graphql", 200, "graphql"},
		{"management healthz", Management(o(true, ready)), "/healthz", 200, `"ok"`},
		{"management readyz", Management(o(true, ready)), "/readyz", 200, `"ok"`},
		{"management readyz reason", Management(o(true, notReady)), "/readyz", 503, `"reason":"2 migrations pending`},
		{"management metrics", Management(o(true, ready)), "/metrics", 200, "metric_total"},
		{"management graphql", Management(o(true, ready)), "/graphql", 404, ""},
		{"starting healthz", Starting(o(false, notReady)), "/healthz", 200, `"ok"`},
		{"starting readyz", Starting(o(false, notReady)), "/readyz", 503, `"reason":"2 migrations pending`},
		{"starting metrics", Starting(o(false, notReady)), "/metrics", 200, "metric_total"},
		{"starting graphql", Starting(o(false, notReady)), "/graphql", 503, `"unavailable"`},
		{"starting apart readyz", Starting(o(true, notReady)), "/readyz", 404, ""},
		{"starting apart metrics", Starting(o(true, notReady)), "/metrics", 404, ""},
		{"starting apart graphql", Starting(o(true, notReady)), "/graphql", 503, `"unavailable"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("Apollo-Require-Preflight", "true") // past the browser guard of /graphql
			tc.h.ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("GET %s = %d %s", tc.path, rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "secret cause") {
				t.Fatal("readyz leaks the cause")
			}
		})
	}
}
