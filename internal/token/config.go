package token

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// Limits on Config.
const (
	DefaultLeeway = 10 * time.Second
	MaxLeeway     = time.Minute
)

// KeySource is where a Signer finds its keys; *keys.Ring is the one in
// use. Keys it returns are shared: a Signer never modifies one.
type KeySource interface {
	// SigningKey returns the key to sign with now.
	SigningKey() (*keys.Key, error)
	// VerificationKey returns the key named kid, whatever its state, or
	// an error when there is none.
	VerificationKey(kid string) (*keys.Key, error)
}

// Config configures a Signer.
type Config struct {
	// Keys supplies the signing key and the verification keys.
	Keys KeySource
	// Issuer is written to and required in every token.
	Issuer string
	// Audiences holds one audience per actor type. Both actor types need
	// one, and they must differ, so that a customer's token can never be
	// taken for a user's.
	Audiences map[gatehouse.ActorType]string
	// Leeway is the clock skew allowed on exp, nbf, iat and auth_time:
	// DefaultLeeway when zero, at most MaxLeeway.
	Leeway time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
	// Rand is the source of token ids; it defaults to crypto/rand.Reader.
	Rand io.Reader
	// VerifyCacheSize is how many verified tokens Verify remembers, so
	// that it checks a token's signature once: DefaultVerifyCacheSize
	// when zero; a negative size turns the cache off.
	VerifyCacheSize int
}

// validate reports the first problem with c.
func (c Config) validate() error {
	if c.Keys == nil {
		return errors.New("token: config: a key source is required")
	}
	if c.Issuer == "" {
		return errors.New("token: config: issuer is required")
	}
	for a := range c.Audiences {
		if !a.Valid() {
			return fmt.Errorf("token: config: audience for unknown actor type %q", a)
		}
	}
	customer, user := c.Audiences[gatehouse.ActorCustomer], c.Audiences[gatehouse.ActorUser]
	if customer == "" {
		return fmt.Errorf("token: config: audience for %q is required", gatehouse.ActorCustomer)
	}
	if user == "" {
		return fmt.Errorf("token: config: audience for %q is required", gatehouse.ActorUser)
	}
	if customer == user {
		return errors.New("token: config: customer and user audiences must differ")
	}
	if c.Leeway < 0 || c.Leeway > MaxLeeway {
		return fmt.Errorf("token: config: leeway must be between 0 and %s", MaxLeeway)
	}
	return nil
}

// String describes c without its keys.
func (c Config) String() string {
	return fmt.Sprintf("token.Config{Issuer:%q Audiences:%v Leeway:%s VerifyCacheSize:%d}", c.Issuer, c.Audiences, c.Leeway, c.VerifyCacheSize)
}

// GoString keeps %#v from printing the key source's fields.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from walking into the key source.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("issuer", c.Issuer),
		slog.Any("audiences", c.Audiences),
		slog.Duration("leeway", c.Leeway),
		slog.Int("verify_cache_size", c.VerifyCacheSize),
	)
}
