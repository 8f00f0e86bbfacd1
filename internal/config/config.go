// Package config reads gatehouse's settings from environment variables and
// validates them, reporting every problem at once.
//
// It must never print a secret: Secret values redact themselves in String,
// fmt verbs and slog.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
)

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Rate-limit backends.
const (
	RateLimitMemory = "memory"
	RateLimitSQL    = "sql"
	RateLimitRedis  = "redis"
)

// Config is the service's configuration.
type Config struct {
	Env  string
	Addr string
	// DatabaseURL may hold the database's password.
	DatabaseURL Secret
	AutoMigrate bool
	// The database connection pool.
	DBMaxOpenConns    int
	DBMaxIdleConns    int
	DBConnMaxLifetime time.Duration
	DBConnMaxIdleTime time.Duration
	DBAcquireTimeout  time.Duration
	LogLevel          slog.Level

	// SigningAlg is the algorithm of the signing keys gatehouse creates;
	// HS256 signs with JWTSecret instead.
	SigningAlg keys.Alg
	// KeyEncryptionKey seals the database's private signing keys.
	KeyEncryptionKey Secret
	// SigningKeyFiles, when set, hold the signing keys instead of the
	// database: the first signs, the rest only verify.
	SigningKeyFiles []string
	// JWKSMaxAge is how long verifiers may cache the published keys.
	JWKSMaxAge time.Duration
	// KeyActivationDelay is how long `keys rotate` publishes a new key
	// before it signs.
	KeyActivationDelay time.Duration

	JWTSecret        Secret
	Issuer           string
	CustomerAudience string
	UserAudience     string

	CustomerAccessTokenTTL time.Duration
	UserAccessTokenTTL     time.Duration
	CustomerSessionMaxAge  time.Duration
	UserSessionMaxAge      time.Duration
	CustomerSessionIdle    time.Duration
	UserSessionIdle        time.Duration
	RefreshReuseGrace      time.Duration
	InviteTTL              time.Duration

	Argon2MemoryKiB   int
	Argon2Iterations  int
	Argon2Parallelism int
	HashWorkers       int
	HashQueue         int
	// HashNice is the niceness of the hash workers' threads; 0 hashes
	// at normal priority.
	HashNice int

	Playground      bool
	Introspection   bool
	ShutdownTimeout time.Duration
	// CORSOrigins may call the API from a browser on another origin, with
	// credentials.
	CORSOrigins []string

	// Limits on one request.
	MaxBodyBytes      int
	MaxDepth          int
	MaxAliases        int
	MaxRootMutations  int
	MaxComplexity     int
	MaxParserTokens   int
	MaxSelections     int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration

	// Metrics serves /metrics; OTLPEndpoint, when set, receives traces.
	Metrics      bool
	OTLPEndpoint string
	// PprofAddr, when set, is a listener of its own serving Go's
	// profiles (net/http/pprof).
	PprofAddr string
	// ManagementAddr, when set, is a listener of its own for /metrics,
	// /healthz and /readyz, which then leave the public listener.
	ManagementAddr string

	// Providers are the third-party sign-in providers, one per provider
	// and actor type.
	Providers []Provider

	// Warnings are the problems development tolerates and production
	// refuses (an unknown GATEHOUSE_ variable), for the log.
	Warnings []string

	// Events: a webhook that receives every auth event, signed with
	// WebhookSecret; LogEvents prints them (development).
	WebhookURL    string
	WebhookSecret Secret
	// WebhookLegacyHeaders also sends the Gatehouse-* headers of earlier
	// releases beside the Standard Webhooks ones.
	WebhookLegacyHeaders bool
	// WebhookPrivateNetworks lets the endpoints managed through the API
	// reach loopback, private and link-local addresses (development).
	WebhookPrivateNetworks bool
	NATSURL                Secret
	LogEvents              bool

	// Rate limits, per client IP and per identifier, of the credential
	// and token mutations; RedisURL moves their buckets to Redis.
	RateLimitIP         ratelimit.Rate
	RateLimitIdentifier ratelimit.Rate
	RateLimitIPv6Prefix int
	RedisURL            Secret
	// RateLimitBackend is where buckets live: memory, sql or redis.
	RateLimitBackend string
	// RateLimitFailOpen lets credential mutations through when the
	// backend fails (GATEHOUSE_RATE_LIMIT_FAILURE=open).
	RateLimitFailOpen bool
	// RateLimitTimeout bounds each take from the backend.
	RateLimitTimeout time.Duration
	TrustedProxies   []netip.Prefix

	RequireVerifiedEmail bool

	// Second factors: how recent an authentication sensitive changes
	// need, and whether admin users' and customers' sessions need aal2.
	ReauthMaxAge time.Duration
	// DeletionGrace schedules a customer's own deletion this far ahead
	// (0: at once).
	DeletionGrace time.Duration
	UserMFA       string
	CustomerMFA   string
	TOTPIssuer    string
	// WebAuthnRPID and WebAuthnOrigins are the passkeys' relying party;
	// passkeys are off while WebAuthnRPID is "".
	WebAuthnRPID    string
	WebAuthnOrigins []string

	LockoutAttempts int
	LockoutDuration time.Duration
	LockoutMax      time.Duration
	ResetTokenTTL   time.Duration

	// Retention: what the housekeeping loop keeps, and how often it runs.
	EventRetention       time.Duration
	AuditRetention       time.Duration
	AnonymousRetention   time.Duration
	SessionGrace         time.Duration
	HousekeepingInterval time.Duration
}

// Second-factor policies (GATEHOUSE_USER_MFA, GATEHOUSE_CUSTOMER_MFA).
const (
	MFAOptional = "optional"
	MFARequired = "required"
)

// mfaPolicyVar parses a second-factor policy.
func mfaPolicyVar(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != MFAOptional && v != MFARequired {
			return fmt.Errorf("must be %q or %q", MFAOptional, MFARequired)
		}
		*field(c) = v
		return nil
	}
}

// Production reports whether the service runs in production.
func (c *Config) Production() bool { return c.Env == EnvProduction }

// Secret is a string that never prints itself.
type Secret string

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the secret's value, for the one place that uses it.
func (s Secret) Reveal() string { return string(s) }

const redacted = "[REDACTED]"

// Setting describes one environment variable.
type Setting struct {
	Name string
	// Default is the value the setting takes when unset: Load parses it
	// as it parses the environment's value, so it is written once. A
	// computed default (one that depends on the machine or on another
	// setting) describes itself here and is set in Load.
	Default     string
	Description string
	Secret      bool
	computed    bool
	parse       func(c *Config, v string) error
}

// Settings lists every setting, in the order the README and --help show
// them.
func Settings() []Setting {
	out := slices.Clone(settings)
	for i, s := range out {
		if s.Secret {
			out[i].Description += " Secret: `" + s.Name + fileSuffix + "` may name a file holding it instead (its trailing newline dropped), such as a mounted Kubernetes or Docker secret."
		}
	}
	return out
}

var settings = []Setting{
	{Name: "GATEHOUSE_ENV", Default: EnvDevelopment, Description: "`development` or `production`. Production requires an explicit database URL, issuer and key-encryption key (and for HS256 a JWT secret), refuses to start with a `GATEHOUSE_` variable it does not know (development warns, naming the nearest setting), and turns the playground and introspection off unless asked.",
		parse: func(c *Config, v string) error {
			if v != EnvDevelopment && v != EnvProduction {
				return fmt.Errorf("must be %q or %q", EnvDevelopment, EnvProduction)
			}
			c.Env = v
			return nil
		}},
	{Name: "GATEHOUSE_ADDR", Default: "127.0.0.1:8080", Description: "Address the HTTP server listens on (host:port; port 0 picks a free one).",
		parse: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port")
			}
			c.Addr = v
			return nil
		}},
	{Name: "GATEHOUSE_DATABASE_URL", Secret: true, Default: "sqlite:gatehouse.db", Description: "`postgres://…`, `sqlite:PATH` or `sqlite::memory:`. `DATABASE_URL` is read when this is unset. Required in production: the default SQLite file is for development.",
		parse: func(c *Config, v string) error {
			if !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") && !strings.HasPrefix(v, "sqlite:") {
				return errors.New("must be a postgres://, postgresql:// or sqlite: URL")
			}
			c.DatabaseURL = Secret(v)
			return nil
		}},
	{Name: "GATEHOUSE_DB_MAX_OPEN_CONNS", computed: true, Default: "4 × GOMAXPROCS, at least 8", Description: "Most database connections open at once, in use or idle: the database never sees more from one instance (at least 2: migrating holds one for its lock). Size it so that instances × this stays under the server's `max_connections` (PostgreSQL: 100), or put pgbouncer in front.",
		parse: intVar(func(c *Config) *int { return &c.DBMaxOpenConns }, 2, 10000)},
	{Name: "GATEHOUSE_DB_MAX_IDLE_CONNS", computed: true, Default: "the max open", Description: "Idle connections kept open for the next request (at most the max open).",
		parse: intVar(func(c *Config) *int { return &c.DBMaxIdleConns }, 0, 10000)},
	{Name: "GATEHOUSE_DB_CONN_MAX_LIFETIME", Default: "30m", Description: "A connection is closed once this old (so that a failover or a pgbouncer restart is followed); `0s` never.",
		parse: nonNegativeDurationVar(func(c *Config) *time.Duration { return &c.DBConnMaxLifetime })},
	{Name: "GATEHOUSE_DB_CONN_MAX_IDLE_TIME", Default: "5m", Description: "An idle connection is closed after this long; `0s` never.",
		parse: nonNegativeDurationVar(func(c *Config) *time.Duration { return &c.DBConnMaxIdleTime })},
	{Name: "GATEHOUSE_DB_ACQUIRE_TIMEOUT", Default: "2s", Description: "How long a request waits for a free database connection; past it the answer is `UNAVAILABLE` with `retryAfterSeconds` and a `Retry-After` header (HTTP 503 under `application/graphql-response+json` when no data is returned). `0s` waits as long as the request may run.",
		parse: nonNegativeDurationVar(func(c *Config) *time.Duration { return &c.DBAcquireTimeout })},
	{Name: "GATEHOUSE_AUTO_MIGRATE", Default: "true", Description: "Apply pending migrations when the server starts.",
		parse: boolVar(func(c *Config) *bool { return &c.AutoMigrate })},
	{Name: "GATEHOUSE_LOG_LEVEL", Default: "info", Description: "`debug`, `info`, `warn` or `error`.",
		parse: func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{Name: "GATEHOUSE_SIGNING_ALG", Default: string(keys.EdDSA), Description: "Algorithm of access tokens: `EdDSA` (Ed25519), `RS256` (RSA 3072) or `HS256` (one shared secret, `GATEHOUSE_JWT_SECRET`, for single-service set-ups; never published). EdDSA and RS256 keys live in the database, made at first start and by `gatehouse keys rotate`.",
		parse: func(c *Config, v string) error {
			alg, err := keys.ParseAlg(v)
			if err != nil {
				return errors.New("must be EdDSA, RS256 or HS256")
			}
			c.SigningAlg = alg
			return nil
		}},
	{Name: "GATEHOUSE_KEY_ENCRYPTION_KEY", Secret: true, Description: "32 random bytes in base64 (`openssl rand -base64 32`) that seal the private signing keys in the database (AES-256-GCM). It also keys the hashes of refresh tokens and session cookies. Required in production; in development a random one is generated on first start and kept in the database.",
		parse: func(c *Config, v string) error {
			if _, err := keys.ParseKEK(v); err != nil {
				return err
			}
			c.KeyEncryptionKey = Secret(v)
			return nil
		}},
	{Name: "GATEHOUSE_SIGNING_KEY_FILES", Description: "Comma-separated PEM files of PKCS #8 Ed25519 or RSA (≥ 2048 bits) private keys, used instead of database keys: the first signs, the others only verify (database keys also still verify). Each key's algorithm is its own; rotate by changing the files.",
		parse: func(c *Config, v string) error {
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					c.SigningKeyFiles = append(c.SigningKeyFiles, f)
				}
			}
			if len(c.SigningKeyFiles) == 0 {
				return errors.New("must name at least one file")
			}
			return nil
		}},
	{Name: "GATEHOUSE_JWKS_MAX_AGE", Default: "10m", Description: "How long verifiers may cache `/.well-known/jwks.json` (its `Cache-Control: max-age`).",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return errors.New("must be a duration of at least 1s, such as 10m")
			}
			c.JWKSMaxAge = d
			return nil
		}},
	{Name: "GATEHOUSE_KEY_ACTIVATION_DELAY", computed: true, Default: "JWKS max age + 1m", Description: "How long `gatehouse keys rotate` publishes a new key before it signs, so that verifiers' caches and every instance (which learn of it within about a second, and within a minute even when their polls fail) know it first. `0s` activates new keys at once.",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return errors.New("must be a duration that is not negative, such as 11m or 0s")
			}
			c.KeyActivationDelay = d
			return nil
		}},
	{Name: "GATEHOUSE_JWT_SECRET", Secret: true, Description: "HS256 signing secret, at least 32 bytes; used only when `GATEHOUSE_SIGNING_ALG` is `HS256`. Required then in production; in development a random one is generated on first start and kept in the database.",
		parse: func(c *Config, v string) error {
			if len(v) < 32 {
				return errors.New("must be at least 32 bytes")
			}
			c.JWTSecret = Secret(v)
			return nil
		}},
	{Name: "GATEHOUSE_ISSUER", Description: "The `iss` of every token. Required in production; in development `http://` + the listen address.",
		parse: func(c *Config, v string) error { c.Issuer = v; return nil }},
	{Name: "GATEHOUSE_CUSTOMER_AUDIENCE", Default: "gatehouse:customer", Description: "The `aud` of customer tokens.",
		parse: func(c *Config, v string) error { c.CustomerAudience = v; return nil }},
	{Name: "GATEHOUSE_USER_AUDIENCE", Default: "gatehouse:user", Description: "The `aud` of admin user tokens.",
		parse: func(c *Config, v string) error { c.UserAudience = v; return nil }},
	{Name: "GATEHOUSE_CUSTOMER_ACCESS_TOKEN_TTL", Default: "15m", Description: "Lifetime of a customer access token.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.CustomerAccessTokenTTL })},
	{Name: "GATEHOUSE_USER_ACCESS_TOKEN_TTL", Default: "10m", Description: "Lifetime of an admin user access token.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.UserAccessTokenTTL })},
	{Name: "GATEHOUSE_CUSTOMER_SESSION_MAX_AGE", Default: "2160h", Description: "Absolute lifetime of a customer session, counted from sign-in (90 days): no token outlives it.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.CustomerSessionMaxAge })},
	{Name: "GATEHOUSE_USER_SESSION_MAX_AGE", Default: "168h", Description: "Absolute lifetime of an admin user session (7 days).",
		parse: durationVar(func(c *Config) *time.Duration { return &c.UserSessionMaxAge })},
	{Name: "GATEHOUSE_CUSTOMER_SESSION_IDLE_TIMEOUT", Default: "720h", Description: "A customer session ends when it is not refreshed for this long (30 days).",
		parse: durationVar(func(c *Config) *time.Duration { return &c.CustomerSessionIdle })},
	{Name: "GATEHOUSE_USER_SESSION_IDLE_TIMEOUT", Default: "12h", Description: "An admin user session ends when it is not refreshed for this long.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.UserSessionIdle })},
	{Name: "GATEHOUSE_REFRESH_REUSE_GRACE", Default: "10s", Description: "How long a just-rotated refresh token may be re-sent (a lost response, two tabs) and get the same new token instead of revoking the session.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.RefreshReuseGrace })},
	{Name: "GATEHOUSE_INVITE_TTL", Default: "168h", Description: "How long an admin invite stays valid.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.InviteTTL })},
	{Name: "GATEHOUSE_ARGON2_MEMORY_KIB", Default: "19456", Description: "argon2id memory per hash, in KiB (OWASP: 19456).",
		parse: intVar(func(c *Config) *int { return &c.Argon2MemoryKiB }, 8, 4<<20)},
	{Name: "GATEHOUSE_ARGON2_ITERATIONS", Default: "2", Description: "argon2id passes (OWASP: 2).",
		parse: intVar(func(c *Config) *int { return &c.Argon2Iterations }, 1, 100)},
	{Name: "GATEHOUSE_ARGON2_PARALLELISM", Default: "1", Description: "argon2id lanes (OWASP: 1).",
		parse: intVar(func(c *Config) *int { return &c.Argon2Parallelism }, 1, 64)},
	{Name: "GATEHOUSE_HASH_WORKERS", computed: true, Default: "GOMAXPROCS", Description: "Password hashes computed at once, each holding its own argon2id buffer (`GATEHOUSE_ARGON2_MEMORY_KIB`). GOMAXPROCS follows a container's CPU quota.",
		parse: intVar(func(c *Config) *int { return &c.HashWorkers }, 1, 1024)},
	{Name: "GATEHOUSE_HASH_NICE", Default: "10", Description: "Linux scheduling niceness (0–19) of the threads that compute password hashes: hashing then takes the CPU nothing else wants, so reads, refreshes and a database on the same host keep their latency while sign-ins saturate the workers. The server runs with that many more Go processors (GOMAXPROCS + workers). `0` hashes at normal priority, on the request's own goroutine.",
		parse: intVar(func(c *Config) *int { return &c.HashNice }, 0, 19)},
	{Name: "GATEHOUSE_HASH_QUEUE", computed: true, Default: "4 × workers", Description: "Requests that may wait for a hash worker; beyond it the answer is `RATE_LIMITED`.",
		parse: intVar(func(c *Config) *int { return &c.HashQueue }, 1, 1<<20)},
	{Name: "GATEHOUSE_PLAYGROUND", computed: true, Default: "true in development", Description: "Serve the GraphQL playground at `/`.",
		parse: boolVar(func(c *Config) *bool { return &c.Playground })},
	{Name: "GATEHOUSE_INTROSPECTION", computed: true, Default: "true in development", Description: "Answer GraphQL introspection queries.",
		parse: boolVar(func(c *Config) *bool { return &c.Introspection })},
	{Name: "GATEHOUSE_CORS_ORIGINS", Description: "Comma-separated browser origins (`https://shop.example`) that may call the API cross-origin, with cookies. Exact matches only; `*` is refused. Same-origin pages need no entry.",
		parse: func(c *Config, v string) error {
			for _, o := range strings.Split(v, ",") {
				o = strings.TrimSpace(o)
				u, err := url.Parse(o)
				if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
					return fmt.Errorf("%q is not an origin such as https://shop.example", o)
				}
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
			return nil
		}},
	{Name: "GATEHOUSE_SHUTDOWN_TIMEOUT", Default: "15s", Description: "How long in-flight requests may run after SIGTERM.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{Name: "GATEHOUSE_MAX_BODY_BYTES", Default: "65536", Description: "Largest request body; a larger one is refused with `LIMIT_EXCEEDED` (limit `bodyBytes`).",
		parse: intVar(func(c *Config) *int { return &c.MaxBodyBytes }, 1024, 64<<20)},
	{Name: "GATEHOUSE_MAX_DEPTH", Default: "12", Description: "Deepest nesting of fields in an operation (introspection excepted); beyond it `LIMIT_EXCEEDED` (limit `depth`).",
		parse: intVar(func(c *Config) *int { return &c.MaxDepth }, 1, 1000)},
	{Name: "GATEHOUSE_MAX_ALIASES", Default: "15", Description: "Aliased fields an operation may hold, counting each use of a fragment; a whole document, as written, is held to it too before it is validated (limit `aliases`).",
		parse: intVar(func(c *Config) *int { return &c.MaxAliases }, 1, 100000)},
	{Name: "GATEHOUSE_MAX_ROOT_MUTATIONS", Default: "5", Description: "Fields at the top level of one mutation operation (limit `rootMutationFields`).",
		parse: intVar(func(c *Config) *int { return &c.MaxRootMutations }, 1, 1000)},
	{Name: "GATEHOUSE_MAX_COMPLEXITY", Default: "1000", Description: "Cost of one operation, one per field selected (limit `complexity`).",
		parse: intVar(func(c *Config) *int { return &c.MaxComplexity }, 1, 1<<30)},
	{Name: "GATEHOUSE_MAX_PARSER_TOKENS", Default: "15000", Description: "Tokens the parser reads from one document (limit `parserTokens`).",
		parse: intVar(func(c *Config) *int { return &c.MaxParserTokens }, 100, 1<<24)},
	{Name: "GATEHOUSE_MAX_SELECTIONS", Default: "200", Description: "Fields, fragment spreads and inline fragments one document may hold, counted before it is validated, a fragment once more for each operation or fragment that uses it (limit `selections`). Validation's cost grows with the square of this; GraphiQL's introspection query counts about 175.",
		parse: intVar(func(c *Config) *int { return &c.MaxSelections }, 10, 100000)},
	{Name: "GATEHOUSE_HTTP_READ_HEADER_TIMEOUT", Default: "5s", Description: "How long a client may take to send a request's headers (slow-client defence).",
		parse: durationVar(func(c *Config) *time.Duration { return &c.ReadHeaderTimeout })},
	{Name: "GATEHOUSE_HTTP_READ_TIMEOUT", Default: "15s", Description: "How long a client may take to send a whole request.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.ReadTimeout })},
	{Name: "GATEHOUSE_HTTP_WRITE_TIMEOUT", Default: "30s", Description: "How long answering one request may take, from the end of its headers.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.WriteTimeout })},
	{Name: "GATEHOUSE_HTTP_IDLE_TIMEOUT", Default: "2m", Description: "How long a keep-alive connection may wait for its next request.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.IdleTimeout })},
	{Name: "GATEHOUSE_METRICS", Default: "true", Description: "Serve Prometheus metrics at `/metrics` (keep it off the public internet at the proxy, or set false).",
		parse: boolVar(func(c *Config) *bool { return &c.Metrics })},
	{Name: "GATEHOUSE_PPROF_ADDR", Description: "`host:port` of a separate listener serving Go's profiles at `/debug/pprof/` (CPU, heap, goroutines), for finding where the time goes. Unset, off. Bind it to loopback or a private network: profiles show the server's internals.",
		parse: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port")
			}
			c.PprofAddr = v
			return nil
		}},
	{Name: "GATEHOUSE_MANAGEMENT_ADDR", Description: "When set (host:port), a listener of its own for `/metrics`, `/healthz` and `/readyz`, which then leave the public listener: point probes and the Prometheus scraper there, and keep it off the internet.",
		parse: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port")
			}
			c.ManagementAddr = v
			return nil
		}},
	{Name: "GATEHOUSE_WEBHOOK_URL", Description: "An http(s) URL that receives every auth event as a signed JSON POST (see [Events](#events)): wire reset and invite emails here.",
		parse: func(c *Config, v string) error {
			if !httpURL(v) {
				return errors.New("must be an absolute http(s) URL")
			}
			c.WebhookURL = v
			return nil
		}},
	{Name: "GATEHOUSE_WEBHOOK_SECRET", Secret: true, Description: "The key of the webhook's HMAC-SHA256 signature (at least 32 characters). Required with `GATEHOUSE_WEBHOOK_URL`.",
		parse: func(c *Config, v string) error {
			if len(v) < 32 {
				return errors.New("must be at least 32 characters")
			}
			c.WebhookSecret = Secret(v)
			return nil
		}},
	{Name: "GATEHOUSE_WEBHOOK_LEGACY_HEADERS", Default: "true", Description: "Also send the headers of earlier releases (`Gatehouse-Event-Id`, `Gatehouse-Event-Type`, `Gatehouse-Timestamp`, `Gatehouse-Signature: v1=<hex>`) beside the Standard Webhooks ones (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Deprecated: they, and this setting, go in the next minor release.",
		parse: boolVar(func(c *Config) *bool { return &c.WebhookLegacyHeaders })},
	{Name: "GATEHOUSE_WEBHOOK_PRIVATE_NETWORKS", computed: true, Default: "true in development", Description: "Let the webhook endpoints that admins manage through the API (`createWebhookEndpoint`) reach loopback, private, link-local and other non-public addresses. Off in production: anyone with `MANAGE_WEBHOOKS` names the URL, and every instance would POST to the services beside it (a cloud metadata service, the database's admin port). The address is checked as dialled, after DNS. `GATEHOUSE_WEBHOOK_URL`, set by the operator, is never restricted.",
		parse: boolVar(func(c *Config) *bool { return &c.WebhookPrivateNetworks })},
	{Name: "GATEHOUSE_NATS_URL", Secret: true, Description: "`nats://…`: also publish every auth event to the NATS JetStream stream `GATEHOUSE_EVENTS` on `gatehouse.events.<type>`, with the event id as `Nats-Msg-Id`.",
		parse: func(c *Config, v string) error {
			if !strings.HasPrefix(v, "nats://") && !strings.HasPrefix(v, "tls://") {
				return errors.New("must be a nats:// or tls:// URL")
			}
			c.NATSURL = Secret(v)
			return nil
		}},
	{Name: "GATEHOUSE_LOG_EVENTS", computed: true, Default: "true in development", Description: "Print every auth event, tokens included, to the log, so a developer can follow a reset link from the terminal. Refused in production.",
		parse: boolVar(func(c *Config) *bool { return &c.LogEvents })},
	{Name: "GATEHOUSE_RATE_LIMIT_IP", Default: "60/1m", Description: "Per client IP and operation: how many sign-in, registration, reset, callback, refresh and anonymous-ticket mutations, refilled over how long. Over it: `RATE_LIMITED` with `retryAfterSeconds`.",
		parse: rateVar(func(c *Config) *ratelimit.Rate { return &c.RateLimitIP })},
	{Name: "GATEHOUSE_RATE_LIMIT_IDENTIFIER", Default: "10/1m", Description: "Per email or user name tried and operation (authenticate, register, createUserAuthTicket, generateResetPasswordToken), whatever the IP.",
		parse: rateVar(func(c *Config) *ratelimit.Rate { return &c.RateLimitIdentifier })},
	{Name: "GATEHOUSE_RATE_LIMIT_IPV6_PREFIX", Default: "64", Description: "Leading bits of an IPv6 client address that make its per-IP bucket: a client holds a whole /64, so its addresses share one bucket. IPv4 addresses are their own buckets.",
		parse: intVar(func(c *Config) *int { return &c.RateLimitIPv6Prefix }, 32, 128)},
	{Name: "GATEHOUSE_REDIS_URL", Secret: true, Description: "`redis://…`: keep the rate-limit buckets in Redis instead of the database.",
		parse: func(c *Config, v string) error {
			if !strings.HasPrefix(v, "redis://") && !strings.HasPrefix(v, "rediss://") {
				return errors.New("must be a redis:// or rediss:// URL")
			}
			c.RedisURL = Secret(v)
			return nil
		}},
	{Name: "GATEHOUSE_RATE_LIMIT_BACKEND", computed: true, Default: "`redis` with `GATEHOUSE_REDIS_URL`, else `sql`", Description: "Where the rate-limit buckets live. `memory`: in the process, the fastest, for a single instance only (each instance counts apart, and a restart forgets). `sql`: the database, shared by every instance, one statement per request (on PostgreSQL an UNLOGGED table: a crash or failover forgets the buckets). `redis`: Redis, shared, the fastest shared choice (needs `GATEHOUSE_REDIS_URL`).",
		parse: func(c *Config, v string) error {
			switch v {
			case RateLimitMemory, RateLimitSQL, RateLimitRedis:
				c.RateLimitBackend = v
				return nil
			}
			return fmt.Errorf("must be %s, %s or %s", RateLimitMemory, RateLimitSQL, RateLimitRedis)
		}},
	{Name: "GATEHOUSE_RATE_LIMIT_FAILURE", Default: "closed", Description: "What sign-in, registration, reset and the other credential mutations get when the rate-limit backend fails: `closed` sheds them with `UNAVAILABLE` (no unlimited password guessing while it is down), `open` lets them through, logged (the lockout still guards each account). Refresh and anonymous tickets always go through.",
		parse: func(c *Config, v string) error {
			switch v {
			case "closed", "open":
				c.RateLimitFailOpen = v == "open"
				return nil
			}
			return errors.New("must be closed or open")
		}},
	{Name: "GATEHOUSE_RATE_LIMIT_TIMEOUT", Default: "100ms", Description: "How long a take from the `sql` or `redis` backend may last before it counts as a failure; 3 failures in a row open a circuit breaker for 2 s, during which takes fail at once (see `GATEHOUSE_RATE_LIMIT_FAILURE`). Raise it if the database's pool is often busy for longer under load: a slow backend then sheds sign-ins like a dead one.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.RateLimitTimeout })},
	{Name: "GATEHOUSE_TRUSTED_PROXIES", Description: "Comma-separated addresses or CIDRs of the proxies in front of gatehouse: only from them is the client IP read from `X-Forwarded-For`.",
		parse: func(c *Config, v string) error {
			for _, f := range splitList(v) {
				p, err := netip.ParsePrefix(f)
				if err != nil {
					a, aerr := netip.ParseAddr(f)
					if aerr != nil {
						return fmt.Errorf("%q is not an address or CIDR", f)
					}
					p = netip.PrefixFrom(a, a.BitLen())
				}
				c.TrustedProxies = append(c.TrustedProxies, p.Masked())
			}
			return nil
		}},
	{Name: "GATEHOUSE_REQUIRE_VERIFIED_EMAIL", Default: "false", Description: "Refuse email+password sign-in (`NOT_ALLOWED`, after the password is checked) until the email is verified with `verifyEmail`.",
		parse: boolVar(func(c *Config) *bool { return &c.RequireVerifiedEmail })},
	{Name: "GATEHOUSE_REAUTH_MAX_AGE", Default: "10m", Description: "How recent an authentication (the sign-in, or `reauthenticate`) a sensitive change needs, at the account's highest level (`aal2` once it has a second factor): changing the password, adding or removing a factor, new recovery codes; for admins changing roles, deactivating users, impersonating and removing someone's factor. Older: `FORBIDDEN` with `reason: REAUTH_REQUIRED`.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.ReauthMaxAge })},
	{Name: "GATEHOUSE_DELETION_GRACE", Default: "0s", Description: "How long after `deleteAccount` a customer's account is deleted: `0s` deletes it at once; longer schedules it (the sessions end at once), housekeeping carries it out when due, and signing in before then cancels it. An admin's `deleteCustomer` always deletes at once.",
		parse: nonNegativeDurationVar(func(c *Config) *time.Duration { return &c.DeletionGrace })},
	{Name: "GATEHOUSE_USER_MFA", computed: true, Default: "`required` in production, else `optional`", Description: "`required`: an admin user's session below `aal2` gets `FORBIDDEN` with `reason: MFA_REQUIRED` on every admin field and may only read itself, enroll a factor (`enrollTotp`, `confirmTotp`) and `reauthenticate` with it. `optional`: a second factor is the user's choice.",
		parse: mfaPolicyVar(func(c *Config) *string { return &c.UserMFA })},
	{Name: "GATEHOUSE_CUSTOMER_MFA", Default: MFAOptional, Description: "`optional` or `required`, as `GATEHOUSE_USER_MFA` for customers' sessions (the storefront fields).",
		parse: mfaPolicyVar(func(c *Config) *string { return &c.CustomerMFA })},
	{Name: "GATEHOUSE_WEBAUTHN_RP_ID", Description: "The passkeys' relying-party id: the domain the storefront or dashboard is served from or a parent of it (`shop.example`), never an IP address; `localhost` for development. Unset: passkeys are off (`NOT_ALLOWED`). Changing it orphans every passkey registered under the old one.",
		parse: func(c *Config, v string) error {
			v = strings.ToLower(strings.TrimSpace(v))
			if _, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil {
				return errors.New("an IP address is not a valid relying-party id: use a domain name (localhost in development)")
			}
			if v == "" || strings.ContainsAny(v, ":/ ") || strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") {
				return errors.New("must be a domain name such as shop.example, without scheme or port")
			}
			c.WebAuthnRPID = v
			return nil
		}},
	{Name: "GATEHOUSE_WEBAUTHN_ORIGINS", Description: "Comma-separated origins the passkey ceremonies may come from (`https://shop.example,https://admin.shop.example`), each on the relying-party id or below it; `http://` only for `localhost`. Required with `GATEHOUSE_WEBAUTHN_RP_ID`.",
		parse: func(c *Config, v string) error {
			for _, o := range strings.Split(v, ",") {
				o = strings.TrimSpace(o)
				u, err := url.Parse(o)
				if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
					return fmt.Errorf("%q is not an origin such as https://shop.example", o)
				}
				if u.Scheme == "http" && u.Hostname() != "localhost" {
					return fmt.Errorf("%q: passkeys need https, but for localhost", o)
				}
				c.WebAuthnOrigins = append(c.WebAuthnOrigins, o)
			}
			return nil
		}},
	{Name: "GATEHOUSE_TOTP_ISSUER", Default: "gatehouse", Description: "The name authenticator apps show beside the account (the `issuer` of the `otpauth://` URI): your shop's name.",
		parse: func(c *Config, v string) error {
			if strings.ContainsAny(v, ":") || strings.TrimSpace(v) != v {
				return errors.New("must not contain a colon or surrounding spaces")
			}
			c.TOTPIssuer = v
			return nil
		}},
	{Name: "GATEHOUSE_LOCKOUT_ATTEMPTS", Default: "5", Description: "Consecutive failed passwords that lock an identity.",
		parse: intVar(func(c *Config) *int { return &c.LockoutAttempts }, 1, 1000)},
	{Name: "GATEHOUSE_LOCKOUT_DURATION", Default: "15m", Description: "How long the first lock lasts; each further lock doubles it.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.LockoutDuration })},
	{Name: "GATEHOUSE_LOCKOUT_MAX", Default: "24h", Description: "The longest a lock lasts.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.LockoutMax })},
	{Name: "GATEHOUSE_RESET_TOKEN_TTL", Default: "15m", Description: "How long a password-reset token is valid.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.ResetTokenTTL })},
	{Name: "GATEHOUSE_EVENT_RETENTION", Default: "720h", Description: "How long delivered and dead event deliveries, and events' sealed secrets (reset and invite links), are kept before the housekeeping loop deletes them (30 days). A dead delivery can be replayed until then.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.EventRetention })},
	{Name: "GATEHOUSE_AUDIT_RETENTION", Default: "8760h", Description: "How long auth events, the audit trail, are kept (365 days); an event still owed to a subscriber is kept until it is delivered or dead.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.AuditRetention })},
	{Name: "GATEHOUSE_ANONYMOUS_RETENTION", Default: "720h", Description: "An anonymous shopper (its identity, customer, addresses, sessions and tokens) with no activity for this long is deleted (30 days).",
		parse: durationVar(func(c *Config) *time.Duration { return &c.AnonymousRetention })},
	{Name: "GATEHOUSE_SESSION_GRACE", Default: "168h", Description: "How long ended sessions, expired refresh tokens and used or expired action tokens are kept after they stop working, before the housekeeping loop deletes them (7 days).",
		parse: durationVar(func(c *Config) *time.Duration { return &c.SessionGrace })},
	{Name: "GATEHOUSE_HOUSEKEEPING_INTERVAL", Default: "10m", Description: "Time from the end of one housekeeping pass to the next. Every instance runs the loop; a lease in the database lets one pass run at a time, on any one instance.",
		parse: durationVar(func(c *Config) *time.Duration { return &c.HousekeepingInterval })},
	{Name: "GATEHOUSE_CONFIG_FILE", Description: "A YAML file configuring third-party sign-in providers (see [Third-party sign-in](#third-party-sign-in)); environment variables override it field by field.",
		parse: func(*Config, string) error { return nil }},
	{Name: "GATEHOUSE_PROVIDERS", Description: "Comma-separated third-party providers to enable besides the file's: `google`, `github`, or a name of yours for an OpenID Connect issuer (`oidc-okta`).",
		parse: func(*Config, string) error { return nil }},
	{Name: "GATEHOUSE_PROVIDER_<ID>_[<ACTOR>_]<FIELD>", Description: "One field of a provider (`<ID>` upper-cased, `-` as `_`), optionally for one actor type (`CUSTOMER`, `USER`): `CLIENT_ID`, `CLIENT_SECRET` (or `CLIENT_SECRET_FILE`, a file holding it), `SCOPES`, `REDIRECT_URLS` (comma-separated, exact matches), `SIGN_UP`, `LINK_BY_EMAIL`; provider-wide `TYPE`, `ISSUER`, `AUTH_URL`, `TOKEN_URL`, `API_URL`, `DISPLAY_NAME`, `ACTORS`. Only the providers `GATEHOUSE_PROVIDERS` or the config file list read theirs: another provider's variable counts as unknown.",
		parse: func(*Config, string) error { return nil }},
	{Name: "GATEHOUSE_OTLP_ENDPOINT", Description: "OTLP/HTTP endpoint (`http://collector:4318`) that receives traces: one span per GraphQL operation and per resolver of a root field. Unset, tracing is off and costs nothing.",
		parse: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return errors.New("must be an http(s) URL such as http://collector:4318")
			}
			c.OTLPEndpoint = v
			return nil
		}},
}

// Load reads the configuration through getenv and validates it. Every
// problem is reported in one joined error. environ, when not nil, lists
// the environment (os.Environ): a GATEHOUSE_ variable that nothing reads
// is then a warning in development (in Config.Warnings) and an error in
// production.
func Load(getenv func(string) string, environ func() []string) (*Config, error) {
	c := &Config{
		DBMaxOpenConns: max(8, 4*runtime.GOMAXPROCS(0)),
		HashWorkers:    runtime.GOMAXPROCS(0),
	}
	for _, st := range settings {
		if st.Default == "" || st.computed {
			continue
		}
		if err := st.parse(c, st.Default); err != nil {
			return nil, fmt.Errorf("%s: the default %q does not parse: %w", st.Name, st.Default, err)
		}
	}
	src := newSource(getenv)
	lookup := func(name string) string {
		v := src.get(name)
		if v == "" && name == "GATEHOUSE_DATABASE_URL" {
			v = getenv("DATABASE_URL")
		}
		return v
	}
	var errs []error
	explicit := map[string]bool{}
	// settings lists GATEHOUSE_ENV first: later defaults depend on it.
	for _, s := range settings {
		v := lookup(s.Name)
		if v == "" {
			continue
		}
		explicit[s.Name] = true
		if err := s.parse(c, v); err != nil {
			msg := err.Error()
			if !s.Secret {
				msg = fmt.Sprintf("%s (got %q)", msg, v)
			}
			errs = append(errs, fmt.Errorf("%s: %s", s.Name, msg))
		}
	}
	if !explicit["GATEHOUSE_PLAYGROUND"] {
		c.Playground = !c.Production()
	}
	if !explicit["GATEHOUSE_INTROSPECTION"] {
		c.Introspection = !c.Production()
	}
	if !explicit["GATEHOUSE_LOG_EVENTS"] {
		c.LogEvents = !c.Production()
	}
	if !explicit["GATEHOUSE_USER_MFA"] {
		c.UserMFA = MFAOptional
		if c.Production() {
			c.UserMFA = MFARequired
		}
	}
	if !explicit["GATEHOUSE_WEBHOOK_PRIVATE_NETWORKS"] {
		c.WebhookPrivateNetworks = !c.Production()
	}
	if !explicit["GATEHOUSE_DB_MAX_IDLE_CONNS"] {
		c.DBMaxIdleConns = c.DBMaxOpenConns
	}
	if !explicit["GATEHOUSE_RATE_LIMIT_BACKEND"] {
		c.RateLimitBackend = RateLimitSQL
		if c.RedisURL != "" {
			c.RateLimitBackend = RateLimitRedis
		}
	}
	if !explicit["GATEHOUSE_HASH_QUEUE"] {
		c.HashQueue = 4 * c.HashWorkers
	}
	if !explicit["GATEHOUSE_KEY_ACTIVATION_DELAY"] {
		// Verifiers' caches, and every instance's next reload, see a
		// new key before it signs.
		c.KeyActivationDelay = c.JWKSMaxAge + keys.DefaultReloadEvery
	}
	if c.Issuer == "" && !c.Production() {
		c.Issuer = "http://" + c.Addr
	}
	if c.Production() && !explicit["GATEHOUSE_DATABASE_URL"] {
		errs = append(errs, errors.New("GATEHOUSE_DATABASE_URL: required in production (or DATABASE_URL): the default SQLite file is for development"))
	}
	providers, listed, perrs := loadProviders(lookup)
	c.Providers = providers
	errs = append(errs, perrs...)
	errs = append(errs, src.errs...)
	if environ != nil {
		for _, u := range unknownVariables(environ(), listed, getenv("GATEHOUSE_CONFIG_FILE") != "") {
			if c.Production() {
				errs = append(errs, fmt.Errorf("%s: %s (production refuses unknown GATEHOUSE_ variables)", u.name, u.reason))
			} else {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s is ignored: %s", u.name, u.reason))
			}
		}
	}
	errs = append(errs, c.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// Validate checks the rules that span settings.
func (c *Config) Validate() error {
	var errs []error
	if c.Production() {
		switch {
		case c.SigningAlg == keys.HS256:
			if c.JWTSecret == "" {
				errs = append(errs, errors.New("GATEHOUSE_JWT_SECRET: required in production with HS256"))
			}
		}
		if c.KeyEncryptionKey == "" {
			errs = append(errs, errors.New("GATEHOUSE_KEY_ENCRYPTION_KEY: required in production"))
		}
		if c.Issuer == "" {
			errs = append(errs, errors.New("GATEHOUSE_ISSUER: required in production"))
		}
	}
	if c.Production() && c.LogEvents {
		errs = append(errs, errors.New("GATEHOUSE_LOG_EVENTS: would print reset and invite tokens; not in production"))
	}
	if c.RateLimitBackend == RateLimitRedis && c.RedisURL == "" {
		errs = append(errs, errors.New("GATEHOUSE_RATE_LIMIT_BACKEND: redis needs GATEHOUSE_REDIS_URL"))
	}
	if (c.WebhookURL == "") != (c.WebhookSecret == "") {
		errs = append(errs, errors.New("GATEHOUSE_WEBHOOK_URL and GATEHOUSE_WEBHOOK_SECRET: set both or neither"))
	}
	if c.SigningAlg == keys.HS256 && len(c.SigningKeyFiles) > 0 {
		errs = append(errs, errors.New("GATEHOUSE_SIGNING_KEY_FILES: holds EdDSA or RS256 keys, and cannot be used with GATEHOUSE_SIGNING_ALG=HS256"))
	}
	if (c.WebAuthnRPID == "") != (len(c.WebAuthnOrigins) == 0) {
		errs = append(errs, errors.New("GATEHOUSE_WEBAUTHN_RP_ID and GATEHOUSE_WEBAUTHN_ORIGINS: set both or neither"))
	}
	for _, o := range c.WebAuthnOrigins {
		u, _ := url.Parse(o)
		if h := u.Hostname(); c.WebAuthnRPID != "" && h != c.WebAuthnRPID && !strings.HasSuffix(h, "."+c.WebAuthnRPID) {
			errs = append(errs, fmt.Errorf("GATEHOUSE_WEBAUTHN_ORIGINS: %s is not on the relying-party id %s or below it", o, c.WebAuthnRPID))
		}
	}
	if c.CustomerAudience == "" || c.UserAudience == "" || c.CustomerAudience == c.UserAudience {
		errs = append(errs, errors.New("GATEHOUSE_CUSTOMER_AUDIENCE and GATEHOUSE_USER_AUDIENCE: must be set and differ"))
	}
	for _, d := range []struct {
		name, limit string
		d, max      time.Duration
	}{
		{"GATEHOUSE_CUSTOMER_ACCESS_TOKEN_TTL", "session idle timeout", c.CustomerAccessTokenTTL, c.CustomerSessionIdle},
		{"GATEHOUSE_USER_ACCESS_TOKEN_TTL", "session idle timeout", c.UserAccessTokenTTL, c.UserSessionIdle},
		{"GATEHOUSE_CUSTOMER_SESSION_IDLE_TIMEOUT", "session max age", c.CustomerSessionIdle, c.CustomerSessionMaxAge},
		{"GATEHOUSE_USER_SESSION_IDLE_TIMEOUT", "session max age", c.UserSessionIdle, c.UserSessionMaxAge},
	} {
		if d.d > d.max {
			errs = append(errs, fmt.Errorf("%s: must not exceed the %s (%s)", d.name, d.limit, d.max))
		}
	}
	if c.Argon2MemoryKiB < 8*c.Argon2Parallelism {
		errs = append(errs, errors.New("GATEHOUSE_ARGON2_MEMORY_KIB: must be at least 8 × GATEHOUSE_ARGON2_PARALLELISM"))
	}
	return errors.Join(errs...)
}

func durationVar(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("must be a positive duration such as 15m or 24h")
		}
		*field(c) = d
		return nil
	}
}

func nonNegativeDurationVar(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errors.New("must be a duration that is not negative, such as 30m or 0s")
		}
		*field(c) = d
		return nil
	}
}

func intVar(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		*field(c) = n
		return nil
	}
}

func rateVar(field func(*Config) *ratelimit.Rate) func(*Config, string) error {
	return func(c *Config, v string) error {
		r, err := ratelimit.ParseRate(v)
		if err != nil {
			return err
		}
		*field(c) = r
		return nil
	}
}

func boolVar(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		*field(c) = b
		return nil
	}
}
