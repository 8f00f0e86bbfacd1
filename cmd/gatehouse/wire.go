package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/request"
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
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(request.LogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// openDB opens the configured database and, when asked, migrates it.
func openDB(ctx context.Context, cfg *config.Config, log *slog.Logger, migrate bool) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
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

// withApp opens the database (migrated) and the service for a one-off
// command.
func withApp(ctx context.Context, e env, fn func(*app) error) error {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.LogLevel)
	db, err := openDB(ctx, cfg, log, cfg.AutoMigrate)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := newApp(ctx, cfg, log, db)
	if err != nil {
		return err
	}
	return fn(a)
}

// newApp builds the service on an open database.
func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, db *store.DB) (*app, error) {
	a := &app{cfg: cfg, log: log, db: db, store: store.New(db)}
	var err error
	a.hasher, err = password.NewHasher(password.Options{
		Params: password.Params{
			MemoryKiB:   uint32(cfg.Argon2MemoryKiB),
			Iterations:  uint32(cfg.Argon2Iterations),
			Parallelism: uint8(cfg.Argon2Parallelism),
		},
		Workers: cfg.HashWorkers,
		Queue:   cfg.HashQueue,
	})
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	a.keys, err = newKeyRing(ctx, cfg, log, a.store)
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
	refreshKey, err := storedKey(ctx, a.store, refreshKeySetting)
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
		RefreshKey: refreshKey,
		Logger:     log,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

const (
	devSecretKey      = "development_jwt_secret"
	refreshKeySetting = "refresh_token_key"
)

// storedKey returns the random 32-byte key kept under name in the
// database, creating it on first use; racing instances agree on one.
func storedKey(ctx context.Context, st *store.Store, name string) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	v, err := st.InitSetting(ctx, name, base64.RawURLEncoding.EncodeToString(b), time.Now().UTC())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return base64.RawURLEncoding.DecodeString(v)
}

// newKeyRing loads the signing keys: the HS256 secret, the key files (with
// the database's keys verifying beside them), or the database's keys,
// creating the first one when none is active.
func newKeyRing(ctx context.Context, cfg *config.Config, log *slog.Logger, st *store.Store) (*keys.Ring, error) {
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
		kek, err := keyEncryptionKey(ctx, cfg, log, st)
		if err != nil {
			return nil, err
		}
		o.Store, o.KEK = st, kek
	}
	r, err := keys.NewRing(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return r, nil
}

const devKEKKey = "development_key_encryption_key"

// keyEncryptionKey returns the configured key-encryption key or, in
// development, the one generated on first start and kept in the database,
// beside the keys it seals: convenient, and no protection at all, which is
// why production requires one.
func keyEncryptionKey(ctx context.Context, cfg *config.Config, log *slog.Logger, st *store.Store) ([]byte, error) {
	if cfg.KeyEncryptionKey != "" {
		return keys.ParseKEK(cfg.KeyEncryptionKey.Reveal())
	}
	if cfg.Production() {
		return nil, errors.New("GATEHOUSE_KEY_ENCRYPTION_KEY is required in production")
	}
	fresh, err := keys.NewKEK(rand.Reader)
	if err != nil {
		return nil, err
	}
	v, err := st.InitSetting(ctx, devKEKKey, fresh, time.Now().UTC())
	if err != nil {
		return nil, fmt.Errorf("development key-encryption key: %w", err)
	}
	log.WarnContext(ctx, "GATEHOUSE_KEY_ENCRYPTION_KEY is not set: sealing signing keys with a development key kept in the database; set one before going to production")
	return keys.ParseKEK(v)
}

// retiredKeysVerifyFor is how long a retired key keeps verifying: until
// every token it may have signed has expired, counting the longest access
// token, the verifiers' clock leeway and the minute an instance may go on
// signing with it before its ring reloads.
func retiredKeysVerifyFor(cfg *config.Config) time.Duration {
	return max(cfg.CustomerAccessTokenTTL, cfg.UserAccessTokenTTL) + token.DefaultLeeway + keys.DefaultReloadEvery
}

// jwtSecret returns the configured secret or, in development, the one
// generated on first start and kept in the database (so every instance on
// that database, and every restart, signs alike).
func jwtSecret(ctx context.Context, cfg *config.Config, log *slog.Logger, st *store.Store) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret.Reveal()), nil
	}
	if cfg.Production() {
		return nil, errors.New("GATEHOUSE_JWT_SECRET is required in production")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	v, err := st.InitSetting(ctx, devSecretKey, base64.RawURLEncoding.EncodeToString(b), time.Now().UTC())
	if err != nil {
		return nil, fmt.Errorf("development JWT secret: %w", err)
	}
	log.WarnContext(ctx, "GATEHOUSE_JWT_SECRET is not set: signing with a development secret kept in the database; set one before going to production")
	return []byte(v), nil
}

// Ready reports whether the service can serve: the database answers, its
// migrations are current and a signing key is loaded.
func (a *app) Ready(ctx context.Context) error {
	if err := a.db.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	pending, err := a.db.Pending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if len(pending) > 0 {
		return fmt.Errorf("migrations pending: %v", pending)
	}
	if _, err := a.keys.SigningKey(); err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	return nil
}
