package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/outbox"
)

// The webhook settings reach the subscriber: GATEHOUSE_WEBHOOK_LEGACY_HEADERS
// turns the Gatehouse-* headers on (by default) and off, and a whsec_ secret
// that does not decode stops the start with the setting's name.
func TestWebhookWiring(t *testing.T) {
	for _, c := range []struct {
		name   string
		env    map[string]string
		legacy bool
		err    string
	}{
		{"legacy default", map[string]string{}, true, ""},
		{"legacy off", map[string]string{"GATEHOUSE_WEBHOOK_LEGACY_HEADERS": "false"}, false, ""},
		{"whsec", map[string]string{"GATEHOUSE_WEBHOOK_SECRET": "whsec_dGhlIGRlY29kZWQga2V5IG9mIGF0IGxlYXN0IDI0"}, true, ""},
		{"bad whsec", map[string]string{"GATEHOUSE_WEBHOOK_SECRET": "whsec_this*is*not*base64*at*all*xxxxxx"}, false, "GATEHOUSE_WEBHOOK_SECRET"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var got http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				got = r.Header.Clone()
			}))
			defer srv.Close()
			env := map[string]string{
				"GATEHOUSE_WEBHOOK_URL":    srv.URL,
				"GATEHOUSE_WEBHOOK_SECRET": "a raw secret of at least 32 characters",
			}
			for k, v := range c.env {
				env[k] = v
			}
			cfg, err := config.Load(func(k string) string { return env[k] }, nil)
			if err != nil {
				t.Fatal(err)
			}
			subs, err := subscribers(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "not*base64") {
					t.Fatalf("subscribers = %v, want an error naming %s without the secret", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(subs, func(s outbox.Subscriber) bool { return s.Name() == "webhook" })
			if i < 0 {
				t.Fatalf("subscribers %v: no webhook", subscriberNames(subs))
			}
			m := outbox.Message{ID: "evt_wiring", Type: "auth.password_changed", CreatedAt: time.Now(), Data: map[string]any{}}
			if err := subs[i].Deliver(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got.Get("webhook-id") != m.ID || !strings.HasPrefix(got.Get("webhook-signature"), "v1,") {
				t.Errorf("Standard Webhooks headers: id %q, signature %q", got.Get("webhook-id"), got.Get("webhook-signature"))
			}
			if legacy := got.Get("Gatehouse-Signature") != ""; legacy != c.legacy {
				t.Errorf("Gatehouse-Signature sent: %t, want %t", legacy, c.legacy)
			}
		})
	}
}
