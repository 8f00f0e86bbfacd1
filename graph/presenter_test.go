package graph

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/request"
)

func TestErrorPresenter(t *testing.T) {
	ctx := request.WithID(context.Background(), "req-1")
	for _, tc := range []struct {
		name    string
		err     error
		code    string
		typ     string
		message string
		ext     map[string]any
		logged  bool
	}{
		{"rate limited", &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "slow down", RetryAfter: 2500 * time.Millisecond}, "RATE_LIMITED", "not_allowed", "slow down", map[string]any{"retryAfterSeconds": 3}, false},
		{"rate limited without a hint", &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "slow down"}, "RATE_LIMITED", "not_allowed", "slow down", map[string]any{"retryAfterSeconds": 1}, false},
		{"unauthenticated", gatehouse.Unauthenticated(gatehouse.ReasonExpired, nil), "UNAUTHENTICATED", "unauthorized", "The access token has expired.", map[string]any{"reason": "EXPIRED"}, false},
		{"forbidden", gatehouse.Errorf(gatehouse.CodeForbidden, "no"), "FORBIDDEN", "not_allowed", "no", nil, false},
		{"internal", gatehouse.Internal(errors.New("pq: relation \"x\" does not exist")), "INTERNAL_SERVER_ERROR", "unknown_error", "An internal error occurred.", nil, true},
		{"unknown code", &gatehouse.Error{Code: "MADE_UP", Message: "leaky detail"}, "INTERNAL_SERVER_ERROR", "unknown_error", "An internal error occurred.", nil, true},
		{"panic", Recover(ctx, "boom"), "INTERNAL_SERVER_ERROR", "unknown_error", "An internal error occurred.", nil, true},
		{"a raw error, not a domain one", errors.New("pq: connection reset by peer"), "INTERNAL_SERVER_ERROR", "unknown_error", "An internal error occurred.", nil, true},
		{"database unreachable", &gatehouse.Error{Code: gatehouse.CodeUnavailable, Type: gatehouse.TypeDatabaseError, RetryAfter: 2 * time.Second, Message: "The database cannot be reached; retry shortly.", Err: errors.New("dial tcp: connection refused")},
			"UNAVAILABLE", "database_error", "The database cannot be reached; retry shortly.", map[string]any{"retryAfterSeconds": 2}, true},
		{"a gqlgen error without a code", gqlerror.Errorf("the requested element is null which the schema does not allow"), "INTERNAL_SERVER_ERROR", "unknown_error", "An internal error occurred.", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(request.LogHandler(slog.NewJSONHandler(&logs, nil)))
			got := ErrorPresenter(log)(ctx, tc.err)
			if got.Message != tc.message || got.Extensions["code"] != tc.code || got.Extensions["type"] != tc.typ || got.Extensions["requestId"] != "req-1" {
				t.Fatalf("presented %+v", got)
			}
			for k, v := range tc.ext {
				if got.Extensions[k] != v {
					t.Fatalf("extensions[%s] = %v, want %v", k, got.Extensions[k], v)
				}
			}
			if got.Err != nil {
				t.Fatal("the cause must not travel with the presented error")
			}
			if tc.logged != strings.Contains(logs.String(), `"request_id":"req-1"`) {
				t.Fatalf("logged = %q, want logged %v", logs.String(), tc.logged)
			}
		})
	}
}

// TestErrorPresenterClientGone: an error of a request whose client closed
// the connection is logged at INFO, never as an internal error.
func TestErrorPresenterClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(request.WithID(context.Background(), "req-2"))
	cancel()
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"internal cause", gatehouse.Internal(context.Canceled)},
		{"raw cause", context.Canceled},
		{"store answer", &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "The request was cancelled.", Err: context.Canceled}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(request.LogHandler(slog.NewJSONHandler(&logs, nil)))
			got := ErrorPresenter(log)(ctx, tc.err)
			if got.Extensions["code"] != "UNAVAILABLE" {
				t.Errorf("presented %+v", got)
			}
			if out := logs.String(); strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, `"level":"INFO","msg":"request cancelled by the client"`) {
				t.Errorf("logged %q, want one INFO line", out)
			}
		})
	}
}
