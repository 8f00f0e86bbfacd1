package outbox_test

import (
	"log/slog"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/store"
)

// An instance declares its subscribers to the fleet without a secret: a
// webhook URL's credentials and query (which may hold a token) stay out.
func TestDeclarations(t *testing.T) {
	w, err := outbox.NewWebhook(outbox.WebhookOptions{URL: "https://user:pass@hooks.example.com/in?token=s3cret#x", Secret: webhookSecret, LegacyHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	got := outbox.Declarations([]outbox.Subscriber{w, &outbox.Log{Logger: slog.New(slog.DiscardHandler)}, &sink{name: "undeclared"}})
	want := []store.Subscriber{
		{Name: "webhook", Kind: "webhook", Config: map[string]any{"url": "https://hooks.example.com/in", "legacy_headers": true}},
		{Name: "log", Kind: "log", Config: map[string]any{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("declarations = %+v\nwant %+v", got, want)
	}
}
