package config_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// environ lists the variables of kv as os.Environ does.
func environ(kv ...string) func() []string {
	var out []string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, kv[i]+"="+kv[i+1])
	}
	return func() []string { return out }
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DatabaseURL.Reveal() != "sqlite:gatehouse.db" || c.Production() || !c.AutoMigrate ||
		!c.Playground || !c.Introspection || !c.WebhookPrivateNetworks || c.Issuer != "http://127.0.0.1:8080" || c.CustomerAccessTokenTTL != 15*time.Minute ||
		c.Argon2MemoryKiB != 19456 || c.Argon2Iterations != 2 || c.Argon2Parallelism != 1 || c.HashQueue != 4*c.HashWorkers {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoad(t *testing.T) {
	secret := strings.Repeat("s", 32)
	kek := base64.StdEncoding.EncodeToString([]byte(secret))
	signingKEK := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfe}, 32))
	prod := func(kv ...string) func(string) string {
		return env(append([]string{"GATEHOUSE_ENV", "production", "GATEHOUSE_ISSUER", "https://auth.example.com", "GATEHOUSE_DATABASE_URL", "postgres://db/gatehouse"}, kv...)...)
	}
	for _, tc := range []struct {
		name    string
		env     func(string) string
		check   func(*config.Config) bool
		wantErr []string
	}{
		{"DATABASE_URL fallback", env("DATABASE_URL", "postgres://x@y/z"), func(c *config.Config) bool { return c.DatabaseURL.Reveal() == "postgres://x@y/z" }, nil},
		{"GATEHOUSE_DATABASE_URL wins", env("DATABASE_URL", "postgres://x@y/z", "GATEHOUSE_DATABASE_URL", "sqlite::memory:"), func(c *config.Config) bool { return c.DatabaseURL.Reveal() == "sqlite::memory:" }, nil},
		{"production defaults", prod("GATEHOUSE_KEY_ENCRYPTION_KEY", kek),
			func(c *config.Config) bool {
				return c.Production() && !c.Playground && !c.Introspection && !c.WebhookPrivateNetworks
			}, nil},
		{"production with playground", prod("GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_PLAYGROUND", "true"),
			func(c *config.Config) bool { return c.Playground }, nil},
		// Production needs a database URL, a key-encryption key and an
		// issuer.
		{"production without KEK or issuer", env("GATEHOUSE_ENV", "production"), nil,
			[]string{"GATEHOUSE_KEY_ENCRYPTION_KEY: required", "GATEHOUSE_ISSUER: required", "GATEHOUSE_DATABASE_URL: required in production"}},
		{"production without database URL", env("GATEHOUSE_ENV", "production", "GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_ISSUER", "https://a"), nil,
			[]string{"GATEHOUSE_DATABASE_URL: required in production"}},
		{"production DATABASE_URL", env("GATEHOUSE_ENV", "production", "GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_ISSUER", "https://a", "DATABASE_URL", "postgres://db/x"),
			func(c *config.Config) bool { return c.DatabaseURL.Reveal() == "postgres://db/x" }, nil},
		{"production explicit SQLite", prod("GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_DATABASE_URL", "sqlite:gatehouse.db"),
			func(c *config.Config) bool { return c.DatabaseURL.Reveal() == "sqlite:gatehouse.db" }, nil},
		{"production HS256 needs a secret", prod("GATEHOUSE_SIGNING_ALG", "HS256"), nil, []string{"GATEHOUSE_JWT_SECRET: required"}},
		{"every problem at once", env("GATEHOUSE_ENV", "staging", "GATEHOUSE_ADDR", "8080", "GATEHOUSE_DATABASE_URL", "mysql://x", "GATEHOUSE_ARGON2_ITERATIONS", "x", "GATEHOUSE_USER_ACCESS_TOKEN_TTL", "-1s", "GATEHOUSE_AUTO_MIGRATE", "maybe"),
			nil, []string{"GATEHOUSE_ENV", "GATEHOUSE_ADDR", "GATEHOUSE_DATABASE_URL", "GATEHOUSE_ARGON2_ITERATIONS", "GATEHOUSE_USER_ACCESS_TOKEN_TTL", "GATEHOUSE_AUTO_MIGRATE"}},
		{"short secret, not echoed", env("GATEHOUSE_JWT_SECRET", "tooshort-secret-value"), nil, []string{"GATEHOUSE_JWT_SECRET: must be at least 32 bytes"}},
		{"token outliving the idle timeout", env("GATEHOUSE_USER_ACCESS_TOKEN_TTL", "13h"), nil, []string{"GATEHOUSE_USER_ACCESS_TOKEN_TTL"}},
		{"idle timeout beyond the max age", env("GATEHOUSE_CUSTOMER_SESSION_MAX_AGE", "1h"), nil, []string{"GATEHOUSE_CUSTOMER_SESSION_IDLE_TIMEOUT"}},
		{"CORS origins", env("GATEHOUSE_CORS_ORIGINS", "https://shop.example, http://localhost:3000"),
			func(c *config.Config) bool {
				return len(c.CORSOrigins) == 2 && c.CORSOrigins[0] == "https://shop.example" && c.CORSOrigins[1] == "http://localhost:3000"
			}, nil},
		{"CORS wildcard", env("GATEHOUSE_CORS_ORIGINS", "*"), nil, []string{"GATEHOUSE_CORS_ORIGINS"}},
		{"CORS origin with a path", env("GATEHOUSE_CORS_ORIGINS", "https://shop.example/app"), nil, []string{"GATEHOUSE_CORS_ORIGINS"}},
		{"second factors by default", env(), func(c *config.Config) bool {
			return c.UserMFA == config.MFAOptional && c.CustomerMFA == config.MFAOptional && c.ReauthMaxAge == 10*time.Minute && c.WebAuthnRPID == ""
		}, nil},
		{"admins need a second factor in production", prod("GATEHOUSE_KEY_ENCRYPTION_KEY", kek),
			func(c *config.Config) bool {
				return c.UserMFA == config.MFARequired && c.CustomerMFA == config.MFAOptional
			}, nil},
		{"production may make it optional", prod("GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_USER_MFA", "optional"),
			func(c *config.Config) bool { return c.UserMFA == config.MFAOptional }, nil},
		{"unknown MFA policy", env("GATEHOUSE_CUSTOMER_MFA", "sometimes"), nil, []string{"GATEHOUSE_CUSTOMER_MFA"}},
		{"passkeys", env("GATEHOUSE_WEBAUTHN_RP_ID", "Shop.Example", "GATEHOUSE_WEBAUTHN_ORIGINS", "https://shop.example, https://admin.shop.example"),
			func(c *config.Config) bool { return c.WebAuthnRPID == "shop.example" && len(c.WebAuthnOrigins) == 2 }, nil},
		{"passkeys on localhost", env("GATEHOUSE_WEBAUTHN_RP_ID", "localhost", "GATEHOUSE_WEBAUTHN_ORIGINS", "http://localhost:5173"),
			func(c *config.Config) bool { return c.WebAuthnRPID == "localhost" }, nil},
		{"an IP address as relying-party id", env("GATEHOUSE_WEBAUTHN_RP_ID", "127.0.0.1", "GATEHOUSE_WEBAUTHN_ORIGINS", "http://127.0.0.1:8080"), nil,
			[]string{"GATEHOUSE_WEBAUTHN_RP_ID: an IP address is not a valid relying-party id", "GATEHOUSE_WEBAUTHN_ORIGINS"}},
		{"an IPv6 relying-party id", env("GATEHOUSE_WEBAUTHN_RP_ID", "[::1]", "GATEHOUSE_WEBAUTHN_ORIGINS", "https://shop.example"), nil, []string{"GATEHOUSE_WEBAUTHN_RP_ID"}},
		{"a relying-party id with a scheme", env("GATEHOUSE_WEBAUTHN_RP_ID", "https://shop.example", "GATEHOUSE_WEBAUTHN_ORIGINS", "https://shop.example"), nil, []string{"GATEHOUSE_WEBAUTHN_RP_ID"}},
		{"an origin off the relying-party id", env("GATEHOUSE_WEBAUTHN_RP_ID", "shop.example", "GATEHOUSE_WEBAUTHN_ORIGINS", "https://evilshop.example"), nil,
			[]string{"GATEHOUSE_WEBAUTHN_ORIGINS: https://evilshop.example is not on the relying-party id"}},
		{"passkeys over http", env("GATEHOUSE_WEBAUTHN_RP_ID", "shop.example", "GATEHOUSE_WEBAUTHN_ORIGINS", "http://shop.example"), nil, []string{"GATEHOUSE_WEBAUTHN_ORIGINS"}},
		{"a relying-party id without origins", env("GATEHOUSE_WEBAUTHN_RP_ID", "shop.example"), nil, []string{"set both or neither"}},
		{"signing key defaults", env(), func(c *config.Config) bool {
			return c.SigningAlg == keys.EdDSA && c.JWKSMaxAge == 10*time.Minute && c.KeyActivationDelay == 11*time.Minute &&
				c.KeyEncryptionKey == "" && c.SigningKeyFiles == nil
		}, nil},
		{"RS256", env("GATEHOUSE_SIGNING_ALG", "RS256"), func(c *config.Config) bool { return c.SigningAlg == keys.RS256 }, nil},
		{"unknown algorithm", env("GATEHOUSE_SIGNING_ALG", "ES256"), nil, []string{"GATEHOUSE_SIGNING_ALG: must be EdDSA, RS256 or HS256"}},
		{"algorithm in lower case", env("GATEHOUSE_SIGNING_ALG", "eddsa"), nil, []string{"GATEHOUSE_SIGNING_ALG"}},
		{"KEK in URL base64", env("GATEHOUSE_KEY_ENCRYPTION_KEY", base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfe}, 32))),
			func(c *config.Config) bool { return c.KeyEncryptionKey != "" }, nil},
		{"KEK of 16 bytes", env("GATEHOUSE_KEY_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key"))), nil, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY: must be 32 bytes"}},
		{"KEK not base64", env("GATEHOUSE_KEY_ENCRYPTION_KEY", "not base64 at all, a passphrase!"), nil, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY: must be 32 bytes"}},
		{"key files", env("GATEHOUSE_SIGNING_KEY_FILES", " a.pem, /etc/keys/b.pem ,"), func(c *config.Config) bool {
			return len(c.SigningKeyFiles) == 2 && c.SigningKeyFiles[0] == "a.pem" && c.SigningKeyFiles[1] == "/etc/keys/b.pem"
		}, nil},
		{"key files of commas", env("GATEHOUSE_SIGNING_KEY_FILES", ", ,"), nil, []string{"GATEHOUSE_SIGNING_KEY_FILES: must name"}},
		{"key files with HS256", env("GATEHOUSE_SIGNING_KEY_FILES", "a.pem", "GATEHOUSE_SIGNING_ALG", "HS256"), nil, []string{"GATEHOUSE_SIGNING_KEY_FILES", "HS256"}},
		// The JWKS max age sets the activation delay.
		{"JWKS max age", env("GATEHOUSE_JWKS_MAX_AGE", "1h"), func(c *config.Config) bool {
			return c.JWKSMaxAge == time.Hour && c.KeyActivationDelay == time.Hour+time.Minute
		}, nil},
		{"explicit activation delay", env("GATEHOUSE_JWKS_MAX_AGE", "1h", "GATEHOUSE_KEY_ACTIVATION_DELAY", "5m"), func(c *config.Config) bool {
			return c.KeyActivationDelay == 5*time.Minute
		}, nil},
		{"activation delay of zero", env("GATEHOUSE_KEY_ACTIVATION_DELAY", "0s"), func(c *config.Config) bool { return c.KeyActivationDelay == 0 }, nil},
		{"negative activation delay", env("GATEHOUSE_KEY_ACTIVATION_DELAY", "-1m"), nil, []string{"GATEHOUSE_KEY_ACTIVATION_DELAY"}},
		{"JWKS max age under a second", env("GATEHOUSE_JWKS_MAX_AGE", "500ms"), nil, []string{"GATEHOUSE_JWKS_MAX_AGE"}},
		// Production EdDSA with a KEK needs no JWT secret.
		{"production EdDSA with a KEK", prod("GATEHOUSE_KEY_ENCRYPTION_KEY", signingKEK), func(c *config.Config) bool { return c.JWTSecret == "" }, nil},
		{"production RS256 needs a KEK", prod("GATEHOUSE_SIGNING_ALG", "RS256"), nil, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY: required"}},
		// Production with key files still needs a KEK.
		{"production key files without KEK", prod("GATEHOUSE_SIGNING_KEY_FILES", "a.pem"), nil, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY: required"}},
		{"production with key files and a KEK", prod("GATEHOUSE_SIGNING_KEY_FILES", "a.pem", "GATEHOUSE_KEY_ENCRYPTION_KEY", signingKEK), func(c *config.Config) bool { return len(c.SigningKeyFiles) == 1 }, nil},
		{"production HS256 still needs a KEK", prod("GATEHOUSE_SIGNING_ALG", "HS256", "GATEHOUSE_JWT_SECRET", strings.Repeat("s", 32)), nil, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY: required"}},
		{"production HS256 with a KEK", prod("GATEHOUSE_SIGNING_ALG", "HS256", "GATEHOUSE_JWT_SECRET", strings.Repeat("s", 32), "GATEHOUSE_KEY_ENCRYPTION_KEY", signingKEK), func(c *config.Config) bool { return c.SigningAlg == keys.HS256 }, nil},
		{"equal audiences", env("GATEHOUSE_CUSTOMER_AUDIENCE", "a", "GATEHOUSE_USER_AUDIENCE", "a"), nil, []string{"AUDIENCE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.env, nil)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !tc.check(c) {
					t.Fatalf("config = %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, secret := range []string{"tooshort-secret-value", "not base64 at all", base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key"))} {
				if strings.Contains(err.Error(), secret) {
					t.Fatal("error echoes the secret")
				}
			}
		})
	}
}

func TestSecretRedacts(t *testing.T) {
	c, err := config.Load(env("GATEHOUSE_JWT_SECRET", "a-very-secret-value-of-32-bytes-!!"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "secret", c.JWTSecret)
	for _, s := range []string{fmt.Sprint(c.JWTSecret), fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c.JWTSecret, c.JWTSecret), logged.String()} {
		if strings.Contains(s, "a-very-secret") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	if c.JWTSecret.Reveal() != "a-very-secret-value-of-32-bytes-!!" {
		t.Fatal("Reveal lost the value")
	}
}

// TestDatabaseURLRedacts: the database URL holds the database's password;
// neither a printed Config nor a refusal of the URL shows it.
func TestDatabaseURLRedacts(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  string
	}{
		{"valid", "postgres://gatehouse:hunter2-secret@db/gatehouse"},
		{"refused", "mysql://gatehouse:hunter2-secret@db/gatehouse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(env("GATEHOUSE_DATABASE_URL", tc.url), nil)
			out := fmt.Sprint(err)
			if c != nil {
				var logged bytes.Buffer
				slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c)
				out += fmt.Sprintf(" %v %+v %#v ", c, c, c) + logged.String()
				if c.DatabaseURL.Reveal() != tc.url {
					t.Fatal("Reveal lost the URL")
				}
			}
			if strings.Contains(out, "hunter2") {
				t.Fatalf("the password is printed: %s", out)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the README's settings table")

// The README's settings table is generated from Settings, so it can
// neither miss a setting nor drift from --help.
func TestREADMESettingsTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin := []byte("<!-- settings: generated by `go test ./internal/config -update`; do not edit by hand -->\n")
	end := []byte("<!-- /settings -->")
	i, j := bytes.Index(b, begin), bytes.Index(b, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the settings markers")
	}
	var table bytes.Buffer
	table.WriteString("| Variable | Default | What it does |\n| --- | --- | --- |\n")
	for _, s := range config.Settings() {
		d := s.Default
		switch {
		case d == "":
			d = "—"
		case !strings.Contains(d, " "):
			d = "`" + d + "`"
		}
		fmt.Fprintf(&table, "| `%s` | %s | %s |\n", s.Name, d, s.Description)
	}
	got := b[i+len(begin) : j]
	if bytes.Equal(got, table.Bytes()) {
		return
	}
	if !*update {
		t.Fatal("README.md's settings table is stale: run go test ./internal/config -update")
	}
	out := append(append(append([]byte{}, b[:i+len(begin)]...), table.Bytes()...), b[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKeyEncryptionKeyRedacts(t *testing.T) {
	kek := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfe}, 32))
	c, err := config.Load(env("GATEHOUSE_KEY_ENCRYPTION_KEY", kek), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c.KeyEncryptionKey), logged.String()} {
		if strings.Contains(s, kek) || strings.Contains(s, kek[:12]) {
			t.Fatalf("key-encryption key printed: %s", s)
		}
	}
}

// The defaults, now read from Settings' Default strings, are the values
// the service always had.
func TestDefaultValues(t *testing.T) {
	c, err := config.Load(func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"env", c.Env, config.EnvDevelopment},
		{"addr", c.Addr, "127.0.0.1:8080"},
		{"database", c.DatabaseURL.Reveal(), "sqlite:gatehouse.db"},
		{"auto-migrate", c.AutoMigrate, true},
		{"pool lifetime", c.DBConnMaxLifetime, 30 * time.Minute},
		{"pool idle time", c.DBConnMaxIdleTime, 5 * time.Minute},
		{"acquire timeout", c.DBAcquireTimeout, 2 * time.Second},
		{"pool idle = open", c.DBMaxIdleConns, c.DBMaxOpenConns},
		{"log level", c.LogLevel, slog.LevelInfo},
		{"signing alg", c.SigningAlg, keys.EdDSA},
		{"jwks max age", c.JWKSMaxAge, 10 * time.Minute},
		{"activation delay", c.KeyActivationDelay, 11 * time.Minute},
		{"customer audience", c.CustomerAudience, "gatehouse:customer"},
		{"user audience", c.UserAudience, "gatehouse:user"},
		{"customer access", c.CustomerAccessTokenTTL, 15 * time.Minute},
		{"user access", c.UserAccessTokenTTL, 10 * time.Minute},
		{"customer max age", c.CustomerSessionMaxAge, 90 * 24 * time.Hour},
		{"user max age", c.UserSessionMaxAge, 7 * 24 * time.Hour},
		{"customer idle", c.CustomerSessionIdle, 30 * 24 * time.Hour},
		{"user idle", c.UserSessionIdle, 12 * time.Hour},
		{"reuse grace", c.RefreshReuseGrace, 10 * time.Second},
		{"invite", c.InviteTTL, 7 * 24 * time.Hour},
		{"argon2 memory", c.Argon2MemoryKiB, 19456},
		{"argon2 iterations", c.Argon2Iterations, 2},
		{"argon2 lanes", c.Argon2Parallelism, 1},
		{"hash nice", c.HashNice, 10},
		{"hash queue", c.HashQueue, 4 * c.HashWorkers},
		{"shutdown", c.ShutdownTimeout, 15 * time.Second},
		{"body", c.MaxBodyBytes, 64 << 10},
		{"depth", c.MaxDepth, 12},
		{"aliases", c.MaxAliases, 15},
		{"root mutations", c.MaxRootMutations, 5},
		{"complexity", c.MaxComplexity, 1000},
		{"parser tokens", c.MaxParserTokens, 15000},
		{"read header", c.ReadHeaderTimeout, 5 * time.Second},
		{"read", c.ReadTimeout, 15 * time.Second},
		{"write", c.WriteTimeout, 30 * time.Second},
		{"idle", c.IdleTimeout, 2 * time.Minute},
		{"metrics", c.Metrics, true},
		{"playground", c.Playground, true},
		{"log events", c.LogEvents, true},
		{"lockout attempts", c.LockoutAttempts, 5},
		{"rate ip", c.RateLimitIP, ratelimit.Rate{Burst: 60, Per: time.Minute}},
		{"rate identifier", c.RateLimitIdentifier, ratelimit.Rate{Burst: 10, Per: time.Minute}},
		{"rate backend", c.RateLimitBackend, config.RateLimitSQL},
		{"rate failure", c.RateLimitFailOpen, false},
		{"lockout", c.LockoutDuration, 15 * time.Minute},
		{"lockout max", c.LockoutMax, 24 * time.Hour},
		{"reset", c.ResetTokenTTL, 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("default %v, want %v", tc.got, tc.want)
			}
		})
	}
	if c.DBMaxOpenConns < 8 || c.HashWorkers < 1 {
		t.Fatalf("computed defaults: %d connections, %d hash workers", c.DBMaxOpenConns, c.HashWorkers)
	}
}
