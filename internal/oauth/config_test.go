package oauth

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A provider's client secret never prints, whichever way it is printed.
func TestConfigRedactsSecret(t *testing.T) {
	c := Config{ID: "google", Type: TypeGoogle, ClientID: "the-client", ClientSecret: "the-client-secret"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("provider", "p", c)
	for _, tc := range []struct{ name, out string }{
		{"%v", fmt.Sprintf("%v", c)},
		{"%+v", fmt.Sprintf("%+v", c)},
		{"%#v", fmt.Sprintf("%#v", c)},
		{"String", c.String()},
		{"slog", logged.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.out, "the-client-secret") || !strings.Contains(tc.out, "the-client") {
				t.Fatalf("printed %s", tc.out)
			}
		})
	}
}
