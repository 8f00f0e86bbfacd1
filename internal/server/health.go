package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// NotReady is a Checker's error that /readyz explains: Reason is meant for
// the operator who probes it ("2 migrations pending: run gatehouse migrate
// up"); Err, the cause, is logged and never sent.
type NotReady struct {
	Reason string
	Err    error
}

func (e *NotReady) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

func (e *NotReady) Unwrap() error { return e.Err }

// handleHealthz answers while the process is alive.
func handleHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 when the service can serve requests, else 503
// with the reason of a NotReady.
func handleReadyz(log *slog.Logger, c Checker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := c.Ready(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "error", err)
			body := map[string]string{"status": "unavailable"}
			if nr, ok := errors.AsType[*NotReady](err); ok && nr.Reason != "" {
				body["reason"] = nr.Reason
			}
			writeJSON(w, http.StatusServiceUnavailable, body)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// unavailable answers 503 to every request: the public listener's answer
// while the service is starting.
func unavailable(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
