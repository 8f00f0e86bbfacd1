package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The development secrets policy: production must configure the
// key-encryption key and the HS256 secret; development generates each on
// first start and keeps it in the database, beside what it protects,
// which is convenient and no protection at all. The wiring (wire.go) asks
// here for them.

const devSecretKey = "development_jwt_secret"

const devKEKKey = "development_key_encryption_key"

// keyEncryptionKey returns the configured key-encryption key or, in
// development, the one generated on first start and kept in the database,
// beside the keys it seals: convenient, and no protection at all, which is
// why production requires one.
func keyEncryptionKey(ctx context.Context, cfg *config.Config, log *slog.Logger, st *store.Store) ([]byte, error) {
	v, err := secretOrDevelopment(ctx, cfg, log, st, devSetting{
		configured: cfg.KeyEncryptionKey,
		env:        "GATEHOUSE_KEY_ENCRYPTION_KEY",
		name:       devKEKKey,
		fresh:      func() (string, error) { return keys.NewKEK(rand.Reader) },
		use:        "sealing signing keys",
	})
	if err != nil {
		return nil, err
	}
	return keys.ParseKEK(v)
}

// jwtSecret returns the configured secret or, in development, the one
// generated on first start and kept in the database (so every instance on
// that database, and every restart, signs alike).
func jwtSecret(ctx context.Context, cfg *config.Config, log *slog.Logger, st *store.Store) ([]byte, error) {
	v, err := secretOrDevelopment(ctx, cfg, log, st, devSetting{
		configured: cfg.JWTSecret,
		env:        "GATEHOUSE_JWT_SECRET",
		name:       devSecretKey,
		fresh: func() (string, error) {
			b := make([]byte, 32)
			_, err := rand.Read(b)
			return base64.RawURLEncoding.EncodeToString(b), err
		},
		use: "signing tokens",
	})
	return []byte(v), err
}

// devSetting describes a secret that production must configure and that
// development generates once and keeps in the database.
type devSetting struct {
	configured config.Secret
	env        string // the setting's name
	name       string // the database setting that keeps the development value
	fresh      func() (string, error)
	use        string // what the secret does, for the warning
}

// secretOrDevelopment returns the configured secret, or in development the
// stored one, generating it on first start; racing instances agree on one.
func secretOrDevelopment(ctx context.Context, cfg *config.Config, log *slog.Logger, st *store.Store, d devSetting) (string, error) {
	if d.configured != "" {
		return d.configured.Reveal(), nil
	}
	if cfg.Production() {
		return "", fmt.Errorf("%s is required in production", d.env)
	}
	fresh, err := d.fresh()
	if err != nil {
		return "", err
	}
	v, err := st.InitSetting(ctx, d.name, fresh, time.Now().UTC())
	if err != nil {
		return "", fmt.Errorf("development value of %s: %w", d.env, err)
	}
	log.WarnContext(ctx, d.env+" is not set: "+d.use+" with a development value kept in the database; set one before going to production")
	return v, nil
}
