package config_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/config"
)

// A GATEHOUSE_ variable nothing reads is a warning naming the nearest
// setting in development and a start-up failure in production; the
// settings, their _FILE forms, the listed providers' variables and the
// test suite's own are known.
func TestUnknownVariables(t *testing.T) {
	const value = "a-value-never-echoed"
	secretFile := filepath.Join(t.TempDir(), "jwt")
	if err := os.WriteFile(secretFile, []byte(strings.Repeat("j", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	github := []string{"GATEHOUSE_PROVIDERS", "github",
		"GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID", "id",
		"GATEHOUSE_PROVIDER_GITHUB_CLIENT_SECRET", "secret",
		"GATEHOUSE_PROVIDER_GITHUB_CUSTOMER_REDIRECT_URLS", "https://shop.example/cb"}
	prodVars := []string{"GATEHOUSE_ENV", "production", "GATEHOUSE_ISSUER", "https://auth.example.com",
		"GATEHOUSE_DATABASE_URL", "postgres://db/gatehouse",
		"GATEHOUSE_KEY_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))}
	for _, tc := range []struct {
		name string
		prod bool
		vars []string
		// want are in the warnings (development) or the error
		// (production); none wants neither.
		want, not []string
	}{
		{"misspelt", false, []string{"GATEHOUSE_DATABSE_URL", value},
			[]string{"GATEHOUSE_DATABSE_URL is ignored: not a setting; did you mean GATEHOUSE_DATABASE_URL?"}, nil},
		{"transposed", false, []string{"GATEHOUSE_ISUSER", value}, []string{"did you mean GATEHOUSE_ISSUER?"}, nil},
		{"far from any", false, []string{"GATEHOUSE_FROBNICATE", value}, []string{"GATEHOUSE_FROBNICATE is ignored: not a setting (`gatehouse serve --help`"}, []string{"did you mean"}},
		{"misspelt file form", false, []string{"GATEHOUSE_JWT_SECRET_FIEL", value}, []string{"did you mean GATEHOUSE_JWT_SECRET_FILE?"}, nil},
		{"file form of a non-secret", false, []string{"GATEHOUSE_ISSUER_FILE", value}, []string{"GATEHOUSE_ISSUER is not a secret and has no _FILE form"}, nil},
		{"production", true, append(slicesOf(prodVars), "GATEHOUSE_DATABSE_URL", value, "GATEHOUSE_FROBNICATE", value),
			[]string{"GATEHOUSE_DATABSE_URL: not a setting; did you mean GATEHOUSE_DATABASE_URL? (production refuses", "GATEHOUSE_FROBNICATE: not a setting"}, nil},
		// The misspelling leaves production without its database: both
		// are reported at once.
		{"production misspelt database", true, append(slicesOf(prodVars[:4]), "GATEHOUSE_DATABSE_URL", value, "GATEHOUSE_KEY_ENCRYPTION_KEY", prodVars[7]),
			[]string{"GATEHOUSE_DATABSE_URL: not a setting", "GATEHOUSE_DATABASE_URL: required in production"}, nil},
		{"settings", true, append(slicesOf(prodVars), "GATEHOUSE_LOG_LEVEL", "warn", "DATABASE_URL", "postgres://db/other"), nil, nil},
		{"file form", false, []string{"GATEHOUSE_JWT_SECRET_FILE", secretFile}, nil, nil},
		{"file form in production", true, append(slicesOf(prodVars), "GATEHOUSE_JWT_SECRET_FILE", secretFile), nil, nil},
		{"listed provider", true, append(slicesOf(prodVars), github...), nil, nil},
		{"listed provider's file form", false, append(slicesOf(github[:4]), "GATEHOUSE_PROVIDER_GITHUB_CLIENT_SECRET_FILE", secretFile, "GATEHOUSE_PROVIDER_GITHUB_REDIRECT_URLS", "https://shop.example/cb"), nil, nil},
		{"unlisted provider", false, []string{"GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID", value},
			[]string{"GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID is ignored: GATEHOUSE_PROVIDERS does not list github"}, nil},
		{"unlisted provider in production", true, append(slicesOf(prodVars), "GATEHOUSE_PROVIDER_GOOGLE_CUSTOMER_CLIENT_SECRET", value),
			[]string{"GATEHOUSE_PROVIDER_GOOGLE_CUSTOMER_CLIENT_SECRET: GATEHOUSE_PROVIDERS does not list google"}, nil},
		{"unlisted OIDC provider", false, append(slicesOf(github), "GATEHOUSE_PROVIDER_OIDC_OKTA_USER_SCOPES", value),
			[]string{"GATEHOUSE_PROVIDERS does not list oidc-okta"}, nil},
		{"misspelt provider", false, append(slicesOf(github), "GATEHOUSE_PROVIDER_GITUHB_CLIENT_ID", value),
			[]string{"GATEHOUSE_PROVIDERS does not list gituhb; did you mean GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID?"}, nil},
		{"misspelt provider field", false, append(slicesOf(github), "GATEHOUSE_PROVIDER_GITHUB_CLIENTID", value),
			[]string{"GATEHOUSE_PROVIDER_GITHUB_CLIENTID is ignored: not a setting; did you mean GATEHOUSE_PROVIDER_GITHUB_CLIENT_ID?"}, nil},
		{"test suite's", true, append(slicesOf(prodVars), "GATEHOUSE_TEST_POSTGRES_URL", value, "GATEHOUSE_TEST_SERVE_CHILD", "1", "GATEHOUSE_BENCH_POSTGRES_URL", value), nil, nil},
		{"other programs'", true, append(slicesOf(prodVars), "OTEL_SERVICE_NAME", "x", "HOME", "/root", "gatehouse_lower", "x"), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(env(tc.vars...), environ(tc.vars...))
			var got string
			switch {
			case tc.prod && len(tc.want) > 0:
				if err == nil {
					t.Fatal("production started with unknown variables")
				}
				got = err.Error()
			case err != nil:
				t.Fatal(err)
			case tc.prod != c.Production():
				t.Fatalf("production = %v", c.Production())
			default:
				got = strings.Join(c.Warnings, "\n")
			}
			if len(tc.want) == 0 && got != "" {
				t.Fatalf("want no warning, got:\n%s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, n := range append(tc.not, value) {
				if strings.Contains(got, n) {
					t.Errorf("holds %q:\n%s", n, got)
				}
			}
		})
	}
}

// Without a listing of the environment (a caller that passes only
// getenv), nothing is checked.
func TestUnknownVariablesNeedEnviron(t *testing.T) {
	c, err := config.Load(env("GATEHOUSE_DATABSE_URL", "x"), nil)
	if err != nil || len(c.Warnings) > 0 {
		t.Fatalf("err = %v, warnings = %q", err, c.Warnings)
	}
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }
