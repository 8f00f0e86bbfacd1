package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/config"
)

const providersYAML = `
providers:
  google:
    client_id: google-id
    client_secret: google-file-secret
    customer:
      redirect_urls: [https://shop.example/auth/google]
    user:
      client_id: google-admin-id
      redirect_urls: [https://admin.example/auth/google]
      sign_up: false
  oidc-okta:
    issuer: https://acme.okta.example
    client_id: okta-id
    client_secret: okta-secret
    link_by_email: true
    scopes: [openid, email]
    customer:
      redirect_urls: [https://shop.example/auth/okta, http://localhost:3000/auth/okta]
`

func TestProviders(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(file, []byte(providersYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	find := func(c *config.Config, id, actor string) *config.Provider {
		for i := range c.Providers {
			if c.Providers[i].ID == id && c.Providers[i].Actor == actor {
				return &c.Providers[i]
			}
		}
		return nil
	}
	t.Run("from the file", func(t *testing.T) {
		c, err := config.Load(env("GATEHOUSE_CONFIG_FILE", file), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Providers) != 3 {
			t.Fatalf("providers = %+v", c.Providers)
		}
		g, ga, okta := find(c, "google", "customer"), find(c, "google", "user"), find(c, "oidc-okta", "customer")
		if g == nil || g.Type != config.ProviderGoogle || g.Issuer != "https://accounts.google.com" || g.ClientID != "google-id" || !g.SignUp || g.LinkByEmail {
			t.Errorf("google customer = %+v", g)
		}
		if ga == nil || ga.ClientID != "google-admin-id" || ga.ClientSecret.Reveal() != "google-file-secret" || ga.SignUp {
			t.Errorf("google user = %+v", ga)
		}
		if okta == nil || okta.Type != config.ProviderOIDC || !okta.LinkByEmail || !slices.Equal(okta.Scopes, []string{"openid", "email"}) || len(okta.RedirectURLs) != 2 {
			t.Errorf("okta = %+v", okta)
		}
	})
	// The environment overrides the file and adds providers.
	t.Run("environment override", func(t *testing.T) {
		vars := []string{"GATEHOUSE_CONFIG_FILE", file,
			"GATEHOUSE_PROVIDER_GOOGLE_CLIENT_SECRET", "google-env-secret",
			"GATEHOUSE_PROVIDER_GOOGLE_CUSTOMER_SIGN_UP", "false",
			"GATEHOUSE_PROVIDERS", "github",
			"GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID", "gh-id",
			"GATEHOUSE_PROVIDER_GITHUB_CLIENT_SECRET", "gh-secret",
			"GATEHOUSE_PROVIDER_GITHUB_REDIRECT_URLS", "https://shop.example/auth/github",
		}
		c, err := config.Load(env(vars...), environ(vars...))
		if err != nil {
			t.Fatal(err)
		}
		// The file's providers and GATEHOUSE_PROVIDERS' read their
		// variables: none is unknown.
		if len(c.Warnings) > 0 {
			t.Fatalf("warnings: %q", c.Warnings)
		}
		if g := find(c, "google", "customer"); g.ClientSecret.Reveal() != "google-env-secret" || g.SignUp {
			t.Errorf("google customer = %+v", g)
		}
		if gh := find(c, "github", "customer"); gh == nil || gh.Type != config.ProviderGitHub || gh.DisplayName != "GitHub" {
			t.Errorf("github = %+v", gh)
		}
	})
	for _, tc := range []struct {
		name string
		env  []string
		want []string
	}{
		{"no client id or redirect URLs", []string{"GATEHOUSE_PROVIDERS", "github", "GATEHOUSE_PROVIDER_GITHUB_CLIENT_SECRET", "very-secret-value"},
			[]string{"GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID: required", "GATEHOUSE_PROVIDER_GITHUB_REDIRECT_URLS"}},
		{"an OIDC provider without issuer", []string{"GATEHOUSE_PROVIDERS", "oidc-x", "GATEHOUSE_PROVIDER_OIDC_X_CLIENT_ID", "i", "GATEHOUSE_PROVIDER_OIDC_X_CLIENT_SECRET", "very-secret-value", "GATEHOUSE_PROVIDER_OIDC_X_REDIRECT_URLS", "https://a.example/cb"},
			[]string{"GATEHOUSE_PROVIDER_OIDC_X_ISSUER"}},
		{"an unknown type", []string{"GATEHOUSE_PROVIDERS", "acme"}, []string{"GATEHOUSE_PROVIDER_ACME_TYPE"}},
		{"a bad name", []string{"GATEHOUSE_PROVIDERS", "Bad_Name"}, []string{`provider "Bad_Name"`}},
		{"a relative redirect URL", []string{"GATEHOUSE_PROVIDERS", "github", "GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID", "i", "GATEHOUSE_PROVIDER_GITHUB_CLIENT_SECRET", "very-secret-value", "GATEHOUSE_PROVIDER_GITHUB_REDIRECT_URLS", "/callback"},
			[]string{"not an absolute http(s) URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(env(tc.env...), nil)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "very-secret-value") {
				t.Errorf("the error holds the client secret: %v", err)
			}
		})
	}
	// A secret is redacted when printed.
	t.Run("printed secret", func(t *testing.T) {
		c, err := config.Load(env("GATEHOUSE_CONFIG_FILE", file), nil)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprintf("%+v %v", *find(c, "google", "customer"), c); strings.Contains(s, "google-file-secret") {
			t.Errorf("printed %q", s)
		}
	})
}
