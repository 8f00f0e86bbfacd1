package token_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

func TestNewSignerConfig(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*token.Config)
		wantErr string // "" means valid
	}{
		{name: "valid"},
		{name: "zero leeway takes the default", mutate: func(c *token.Config) { c.Leeway = 0 }},
		{name: "leeway of one minute", mutate: func(c *token.Config) { c.Leeway = time.Minute }},
		{name: "defaults for now and rand", mutate: func(c *token.Config) { c.Now, c.Rand = nil, nil }},
		{name: "missing key source", mutate: func(c *token.Config) { c.Keys = nil }, wantErr: "key source"},
		{name: "missing issuer", mutate: func(c *token.Config) { c.Issuer = "" }, wantErr: "issuer"},
		{name: "equal audiences", mutate: func(c *token.Config) {
			c.Audiences[gatehouse.ActorUser] = c.Audiences[gatehouse.ActorCustomer]
		}, wantErr: "differ"},
		{name: "missing customer audience", mutate: func(c *token.Config) {
			delete(c.Audiences, gatehouse.ActorCustomer)
		}, wantErr: "customer"},
		{name: "missing user audience", mutate: func(c *token.Config) {
			c.Audiences[gatehouse.ActorUser] = ""
		}, wantErr: "user"},
		{name: "no audiences", mutate: func(c *token.Config) { c.Audiences = nil }, wantErr: "audience"},
		{name: "audience for unknown actor type", mutate: func(c *token.Config) {
			c.Audiences["admin"] = "admin-aud"
		}, wantErr: "unknown actor type"},
		{name: "leeway over one minute", mutate: func(c *token.Config) { c.Leeway = time.Minute + time.Second }, wantErr: "leeway"},
		{name: "negative leeway", mutate: func(c *token.Config) { c.Leeway = -time.Second }, wantErr: "leeway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(clocktest.New(epoch), ring(t, newKey(t, keys.HS256)))
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			s, err := token.NewSigner(c)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("NewSigner: %v", err)
				}
				if s == nil {
					t.Fatal("NewSigner returned a nil Signer")
				}
				return
			}
			if err == nil {
				t.Fatalf("NewSigner succeeded, want an error about %s", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewSigner: %v, want it to mention %q", err, tt.wantErr)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

// TestSignerCopiesConfig checks that changing the caller's audiences after
// NewSigner does not change the Signer.
func TestSignerCopiesConfig(t *testing.T) {
	c := testConfig(clocktest.New(epoch), ring(t, newKey(t, keys.EdDSA)))
	s := mustSigner(t, c)
	raw := mustSign(t, s, customerSubject())
	c.Audiences[gatehouse.ActorCustomer] = "changed"
	if _, err := s.Verify(raw); err != nil {
		t.Fatalf("Verify after the caller changed its config: %v", err)
	}
	if got := s.Audience(gatehouse.ActorCustomer); got != testAudCustomer {
		t.Errorf("Audience = %q, want %q", got, testAudCustomer)
	}
}

func TestConfigAndSignerRedactKeys(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			c := testConfig(f.clock, ring(t, f.key))
			s := f.signer
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "signer", s)
			slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "config", c, "signer", s)
			private := privateForms(t, f.key)
			for _, tt := range []struct {
				name string
				text string
			}{
				{name: "config %v", text: fmt.Sprintf("%v", c)},
				{name: "config %+v", text: fmt.Sprintf("%+v", c)},
				{name: "config %#v", text: fmt.Sprintf("%#v", c)},
				{name: "config pointer %+v", text: fmt.Sprintf("%+v", &c)},
				{name: "config in slog", text: logged.String()},
				{name: "signer %v", text: fmt.Sprintf("%v", s)},
				{name: "signer %+v", text: fmt.Sprintf("%+v", *s)},
				{name: "signer %#v", text: fmt.Sprintf("%#v", s)},
			} {
				t.Run(tt.name, func(t *testing.T) {
					assertNoSecret(t, tt.text)
					for _, form := range private {
						if strings.Contains(tt.text, form) {
							t.Errorf("%q holds the private key", tt.text)
						}
					}
					if !strings.Contains(tt.text, testIssuer) {
						t.Errorf("%q does not describe the config", tt.text)
					}
				})
			}
		})
	}
}

// privateForms are the ways k's private half could show in text.
func privateForms(tb testing.TB, k *keys.Key) []string {
	tb.Helper()
	var b []byte
	switch p := k.SignKey().(type) {
	case ed25519.PrivateKey:
		b = p.Seed()
	case *rsa.PrivateKey:
		b = p.Primes[0].Bytes()
	case []byte:
		b = p
	}
	return []string{hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), fmt.Sprint(b)}
}
