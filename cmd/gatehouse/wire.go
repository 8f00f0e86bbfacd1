package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/request"
	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// app is every long-lived dependency, built in dependency order, in this
// one place.
type app struct {
	cfg    *config.Config
	log    *slog.Logger
	db     *store.DB
	store  *store.Store
	hasher *password.Hasher
	keys   *keys.Ring
	signer *token.Signer
	auth   *auth.Service
	// metrics is nil when GATEHOUSE_METRICS is false.
	metrics *metrics.Metrics
	// subscribers receive auth events from the outbox; endpoints are
	// the webhook endpoints managed through the API, which it follows.
	subscribers []outbox.Subscriber
	endpoints   *outbox.Endpoints
	// idempotencyKey keys and seals the Idempotency-Key records.
	idempotencyKey []byte
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(request.LogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// openDB opens the configured database and, when asked, migrates it.
// Statements that give up waiting for a connection count on m (which may
// be nil).
func openDB(ctx context.Context, cfg *config.Config, log *slog.Logger, migrate bool, m *metrics.Metrics) (*store.DB, error) {
	db, err := store.OpenPool(ctx, cfg.DatabaseURL.Reveal(), store.Pool{
		MaxOpen:        cfg.DBMaxOpenConns,
		MaxIdle:        cfg.DBMaxIdleConns,
		MaxLifetime:    cfg.DBConnMaxLifetime,
		MaxIdleTime:    cfg.DBConnMaxIdleTime,
		AcquireTimeout: cfg.DBAcquireTimeout,
		OnShed:         func() { m.Shed(metrics.ShedDBPool) },
	})
	if err != nil {
		return nil, err
	}
	if migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		if len(applied) > 0 {
			log.InfoContext(ctx, "applied migrations", "migrations", applied)
		}
	}
	return db, nil
}

// withDB loads the configuration, opens the database (migrated when
// migrate says so, given the configuration) and runs fn, closing the
// database after: the preamble of every command. m, when metrics are
// on, is the registry the database's shed statements count on.
func withDB(ctx context.Context, e env, migrate func(*config.Config) bool, fn func(cfg *config.Config, log *slog.Logger, db *store.DB, m *metrics.Metrics) error) error {
	cfg, err := config.Load(e.getenv, e.environ)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.LogLevel)
	for _, w := range cfg.Warnings {
		log.WarnContext(ctx, w)
	}
	var m *metrics.Metrics
	if cfg.Metrics {
		m = metrics.New()
		b := buildInfo()
		m.BuildInfo(b.Version, b.Commit, runtime.Version())
	}
	db, err := openDB(ctx, cfg, log, migrate(cfg), m)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cfg, log, db, m)
}

// autoMigrate migrates as GATEHOUSE_AUTO_MIGRATE says.
func autoMigrate(cfg *config.Config) bool { return cfg.AutoMigrate }

// withApp opens the database (migrated) and the service for a command;
// with migrations pending (GATEHOUSE_AUTO_MIGRATE=false), it says so
// rather than meet a missing table.
func withApp(ctx context.Context, e env, fn func(*app) error) error {
	return withDB(ctx, e, autoMigrate, func(cfg *config.Config, log *slog.Logger, db *store.DB, m *metrics.Metrics) error {
		pending, err := db.Pending(ctx)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("%s: run gatehouse migrate up", pendingCount(len(pending)))
		}
		a, err := newApp(ctx, cfg, log, db, m)
		if err != nil {
			return err
		}
		defer a.close()
		return fn(a)
	})
}

// newApp builds the service on an open database; m is nil without
// metrics.
func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, db *store.DB, m *metrics.Metrics) (*app, error) {
	a := &app{cfg: cfg, log: log, db: db, store: store.New(db), metrics: m}
	if m != nil {
		m.DB(db.Dialect(), db.Bun().DB)
	}
	var err error
	a.hasher, err = password.NewHasher(password.Options{
		Params: password.Params{
			MemoryKiB:   uint32(cfg.Argon2MemoryKiB),
			Iterations:  uint32(cfg.Argon2Iterations),
			Parallelism: uint8(cfg.Argon2Parallelism),
		},
		Workers:     cfg.HashWorkers,
		Queue:       cfg.HashQueue,
		Nice:        cfg.HashNice,
		ObserveWait: a.metrics.HashWait,
	})
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	if a.metrics != nil {
		a.metrics.Gauge("password_hash_queue_length", "Password hashes waiting for a worker of the bounded pool.", func() float64 {
			waiting, _ := a.hasher.Stats()
			return float64(waiting)
		})
		a.metrics.Gauge("outbox_backlog", "Event deliveries still owed to subscribers.", func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := a.store.Backlog(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		})
		a.metrics.Gauge("password_hash_workers_busy", "Workers of the password hash pool computing a hash now.", func() float64 {
			_, busy := a.hasher.Stats()
			return float64(busy)
		})
	}
	if a.subscribers, err = subscribers(ctx, cfg, log); err != nil {
		return nil, err
	}
	kek, err := keyEncryptionKey(ctx, cfg, log, a.store)
	if err != nil {
		return nil, err
	}
	a.idempotencyKey = keys.DeriveKey(kek, idempotencyKeyLabel)
	webhookKey := keys.DeriveKey(kek, webhookKeyLabel)
	a.endpoints = outbox.NewEndpoints(outbox.EndpointsOptions{Store: a.store, Key: webhookKey, PrivateNetworks: cfg.WebhookPrivateNetworks})
	a.keys, err = newKeyRing(ctx, cfg, log, a.store, kek)
	if err != nil {
		return nil, err
	}
	a.signer, err = token.NewSigner(token.Config{
		Keys:   a.keys,
		Issuer: cfg.Issuer,
		Audiences: map[gatehouse.ActorType]string{
			gatehouse.ActorCustomer: cfg.CustomerAudience,
			gatehouse.ActorUser:     cfg.UserAudience,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("token signer: %w", err)
	}
	wa, err := relyingParty(cfg)
	if err != nil {
		return nil, err
	}
	a.auth, err = auth.New(auth.Options{
		Store:  a.store,
		Hasher: a.hasher,
		Signer: a.signer,
		Lifetimes: auth.Lifetimes{
			AccessToken: map[gatehouse.ActorType]time.Duration{
				gatehouse.ActorCustomer: cfg.CustomerAccessTokenTTL,
				gatehouse.ActorUser:     cfg.UserAccessTokenTTL,
			},
			SessionMaxAge: map[gatehouse.ActorType]time.Duration{
				gatehouse.ActorCustomer: cfg.CustomerSessionMaxAge,
				gatehouse.ActorUser:     cfg.UserSessionMaxAge,
			},
			SessionIdle: map[gatehouse.ActorType]time.Duration{
				gatehouse.ActorCustomer: cfg.CustomerSessionIdle,
				gatehouse.ActorUser:     cfg.UserSessionIdle,
			},
			RefreshReuseGrace: cfg.RefreshReuseGrace,
			Invite:            cfg.InviteTTL,
		},
		RefreshKey:  keys.DeriveKey(kek, sessionKeyLabel),
		Logger:      log,
		OAuth:       oauthProviders(cfg),
		EventKey:    keys.DeriveKey(kek, eventKeyLabel),
		Subscribers: subscriberNames(a.subscribers),
		OnEvent:     a.metrics.Event,
		Lockout: auth.LockoutPolicy{
			MaxAttempts: cfg.LockoutAttempts,
			Base:        cfg.LockoutDuration,
			Max:         cfg.LockoutMax,
		},
		ResetTokenTTL:          cfg.ResetTokenTTL,
		RequireVerifiedEmail:   cfg.RequireVerifiedEmail,
		WebhookKey:             webhookKey,
		WebhookPrivateNetworks: cfg.WebhookPrivateNetworks,
		FactorKey:              keys.DeriveKey(kek, factorKeyLabel),
		TOTPIssuer:             cfg.TOTPIssuer,
		WebAuthn:               wa,
		ReauthMaxAge:           cfg.ReauthMaxAge,
		DeletionGrace:          cfg.DeletionGrace,
		RequireMFA: map[gatehouse.ActorType]bool{
			gatehouse.ActorUser:     cfg.UserMFA == config.MFARequired,
			gatehouse.ActorCustomer: cfg.CustomerMFA == config.MFARequired,
		},
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newHandler wires the HTTP side on the app: the rate limiter of the
// configured backend, the GraphQL handler and the public routes, which
// answer /readyz from ready. stop ends what it started (the SQL limiter's
// sweep of refilled buckets).
func (a *app) newHandler(tracer trace.Tracer, rdb *redis.Client, ready server.Checker) (h http.Handler, stop func()) {
	cfg, log := a.cfg, a.log
	stop = func() {}
	var limiter ratelimit.Limiter
	switch cfg.RateLimitBackend {
	case config.RateLimitMemory:
		limiter = ratelimit.NewMemory(0)
	case config.RateLimitRedis:
		limiter = ratelimit.Redis{Client: rdb}
	default:
		rl := a.db.RateLimiter()
		limiter = rl
		stopSweep := sweepEvery(time.Minute, func(ctx context.Context) {
			if _, err := rl.SweepRateBuckets(ctx, time.Now(), 1000); err != nil {
				log.WarnContext(ctx, "sweeping rate-limit buckets", "error", err)
			}
		})
		stop = stopSweep
	}
	if cfg.RateLimitBackend != config.RateLimitMemory {
		// A backend that fails costs a take at most
		// GATEHOUSE_RATE_LIMIT_TIMEOUT, and nothing once the breaker has
		// opened.
		br := ratelimit.NewBreaker(limiter, ratelimit.BreakerOptions{Timeout: cfg.RateLimitTimeout, OnState: func(s ratelimit.BreakerState) {
			log.Warn("rate-limit backend", "backend", string(cfg.RateLimitBackend), "breaker", s.String())
		}})
		limiter = br
		if a.metrics != nil {
			a.metrics.Gauge("rate_limiter_breaker_open", "1 while the rate-limit backend is taken to be down: takes fail at once without asking it.", func() float64 {
				if br.State() == ratelimit.BreakerClosed {
					return 0
				}
				return 1
			})
		}
	}
	gql := graph.NewHandler(graph.HandlerOptions{
		Auth:          a.auth,
		Logger:        log,
		Introspection: cfg.Introspection,
		Limits: graph.Limits{
			Depth:              cfg.MaxDepth,
			Aliases:            cfg.MaxAliases,
			RootMutationFields: cfg.MaxRootMutations,
			Complexity:         cfg.MaxComplexity,
			ParserTokens:       cfg.MaxParserTokens,
			Selections:         cfg.MaxSelections,
		},
		Metrics:     a.metrics,
		Tracer:      tracer,
		APQCache:    graph.NewAPQCache(rdb),
		Idempotency: graph.Idempotency{Store: a.store, Key: a.idempotencyKey},
		RateLimits: graph.RateLimits{
			Limiter:    limiter,
			PerIP:      cfg.RateLimitIP,
			Identifier: cfg.RateLimitIdentifier,
			IPv6Prefix: cfg.RateLimitIPv6Prefix,
			FailOpen:   cfg.RateLimitFailOpen,
			OnShed:     func() { a.metrics.Shed(metrics.ShedRateLimiter) },
			Logger:     log,
		},
	})
	var metricsHandler http.Handler
	if a.metrics != nil {
		metricsHandler = a.metrics.Handler()
	}
	h = server.New(server.Options{
		Logger:          log,
		GraphQL:         gql,
		Ready:           ready,
		Playground:      cfg.Playground,
		Production:      cfg.Production(),
		AllowedOrigins:  cfg.CORSOrigins,
		Keys:            a.keys,
		Issuer:          cfg.Issuer,
		JWKSMaxAge:      cfg.JWKSMaxAge,
		MaxBodyBytes:    cfg.MaxBodyBytes,
		Metrics:         metricsHandler,
		TrustedProxies:  cfg.TrustedProxies,
		ManagementApart: cfg.ManagementAddr != "",
	})
	return h, stop
}

// oauthProviders builds the configured third-party providers. They reach
// their providers lazily, so a provider that is down delays no start.
func oauthProviders(cfg *config.Config) []*oauth.Provider {
	out := make([]*oauth.Provider, 0, len(cfg.Providers))
	for _, p := range cfg.Providers {
		out = append(out, oauth.New(oauth.Config{
			ID: p.ID, Type: p.Type, Actor: p.Actor, DisplayName: p.DisplayName,
			ClientID: p.ClientID, ClientSecret: p.ClientSecret.Reveal(), Scopes: p.Scopes,
			RedirectURLs: p.RedirectURLs, SignUp: p.SignUp, LinkByEmail: p.LinkByEmail,
			Issuer: p.Issuer, AuthURL: p.AuthURL, TokenURL: p.TokenURL, APIURL: p.APIURL,
		}, nil, nil))
	}
	return out
}

// eventKeyLabel names the KEK-derived key that seals secrets in events.
const eventKeyLabel = "gatehouse/events/v1"

// relyingParty is the passkeys' relying party, nil while
// GATEHOUSE_WEBAUTHN_RP_ID is unset.
func relyingParty(cfg *config.Config) (*webauthn.WebAuthn, error) {
	if cfg.WebAuthnRPID == "" {
		return nil, nil
	}
	wa, err := webauthn.New(&webauthn.Config{RPID: cfg.WebAuthnRPID, RPDisplayName: cfg.TOTPIssuer, RPOrigins: cfg.WebAuthnOrigins})
	if err != nil {
		return nil, fmt.Errorf("GATEHOUSE_WEBAUTHN_RP_ID, GATEHOUSE_WEBAUTHN_ORIGINS: %w", err)
	}
	return wa, nil
}

// factorKeyLabel names the KEK-derived key that seals TOTP secrets and
// keys the hashes of recovery codes.
const factorKeyLabel = "gatehouse/factors/v1"

// webhookKeyLabel names the KEK-derived key that seals the signing
// secrets of the webhook endpoints managed through the API.
const webhookKeyLabel = "gatehouse/webhooks/v1"

// idempotencyKeyLabel names the KEK-derived key that hashes credentials,
// keys and requests in idempotency_record and seals the answers kept there.
const idempotencyKeyLabel = "gatehouse/idempotency/v1"

// subscribers are the configured receivers of auth events.
func subscribers(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]outbox.Subscriber, error) {
	var out []outbox.Subscriber
	if cfg.WebhookURL != "" {
		w, err := outbox.NewWebhook(outbox.WebhookOptions{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret.Reveal(), LegacyHeaders: cfg.WebhookLegacyHeaders})
		if err != nil {
			return nil, fmt.Errorf("GATEHOUSE_WEBHOOK_SECRET: %w", err)
		}
		out = append(out, w)
	}
	if cfg.NATSURL != "" {
		n, err := outbox.NewNATS(ctx, cfg.NATSURL.Reveal())
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if cfg.LogEvents {
		out = append(out, &outbox.Log{Logger: log})
	}
	return out, nil
}

// close releases what the app holds besides the database.
func (a *app) close() {
	for _, s := range a.subscribers {
		if n, ok := s.(*outbox.NATS); ok {
			n.Close()
		}
	}
}

func subscriberNames(subs []outbox.Subscriber) []string {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.Name()
	}
	return names
}

// sessionKeyLabel names the KEK-derived key that hashes refresh tokens and
// session cookies and derives CSRF tokens: kept out of the database, so a
// copy of it alone cannot mint a CSRF token or link a hash to a token.
const sessionKeyLabel = "gatehouse/session/v1"

// newKeyRing loads the signing keys: the HS256 secret, the key files (with
// the database's keys verifying beside them), or the database's keys,
// creating the first one when none is active.
func newKeyRing(ctx context.Context, cfg *config.Config, log *slog.Logger, st *store.Store, kek []byte) (*keys.Ring, error) {
	o := keys.Options{Alg: cfg.SigningAlg, Logger: log}
	switch {
	case cfg.SigningAlg == keys.HS256:
		secret, err := jwtSecret(ctx, cfg, log, st)
		if err != nil {
			return nil, err
		}
		k, err := keys.NewHMAC(secret)
		if err != nil {
			return nil, err
		}
		o.Fixed = []*keys.Key{k}
	case len(cfg.SigningKeyFiles) > 0:
		fixed, err := keys.LoadFiles(cfg.SigningKeyFiles)
		if err != nil {
			return nil, err
		}
		o.Fixed, o.Store = fixed, st
	default:
		o.Store, o.KEK = st, kek
	}
	r, err := keys.NewRing(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return r, nil
}

// retiredKeysVerifyFor is how long a retired key keeps verifying: until
// every token it may have signed has expired, counting the longest access
// token, the verifiers' clock leeway and the minute an instance may go on
// signing with it before its ring reloads.
func retiredKeysVerifyFor(cfg *config.Config) time.Duration {
	return max(cfg.CustomerAccessTokenTTL, cfg.UserAccessTokenTTL) + token.DefaultLeeway + keys.DefaultReloadEvery
}

// readiness answers /readyz from the moment the process listens: the
// database answers, its migrations are current and, once serve has built
// the service and handed its routes to the public server, a signing key is
// loaded.
type readiness struct {
	db *store.DB
	// app is set by serve once it serves the service's routes.
	app atomic.Pointer[app]

	mu sync.Mutex
	// pending are the migrations pending at readAt (zero until read).
	pending []string
	readAt  time.Time
}

// migrationsCheckEvery is how long readiness trusts a read of the pending
// migrations: probes and the wait for migrations cost a read a second,
// whatever the number of probers.
const migrationsCheckEvery = time.Second

// Ready reports whether the service can serve, and why not in a reason
// the probe shows.
func (r *readiness) Ready(ctx context.Context) error {
	if err := r.db.Ping(ctx); err != nil {
		return &server.NotReady{Reason: "database unreachable", Err: err}
	}
	pending, err := r.pendingMigrations(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if len(pending) > 0 {
		return &server.NotReady{Reason: pendingCount(len(pending)) + ": run gatehouse migrate up", Err: fmt.Errorf("pending: %v", pending)}
	}
	a := r.app.Load()
	if a == nil {
		return &server.NotReady{Reason: "starting"}
	}
	if _, err := a.keys.SigningKey(); err != nil {
		return &server.NotReady{Reason: "no signing key", Err: err}
	}
	return nil
}

// pendingMigrations names the pending migrations, read again only when
// the last read is older than migrationsCheckEvery; a failed read is not
// kept.
func (r *readiness) pendingMigrations(ctx context.Context) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.readAt.IsZero() && time.Since(r.readAt) < migrationsCheckEvery {
		return r.pending, nil
	}
	pending, err := r.db.Pending(ctx)
	if err != nil {
		return nil, err
	}
	r.pending, r.readAt = pending, time.Now()
	return pending, nil
}
