// Package authtest builds real auth services for tests: a real store on a
// real database, a real (fast) password hasher, a real signer on the
// database's signing keys, and a clock the test moves.
package authtest

import (
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
)

// FastParams are argon2id parameters cheap enough for tests. At least one
// test in the password package runs the production parameters.
var FastParams = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// RefreshKey is the key test services derive refresh tokens with: fixed, so
// a second service on the same database (a restart, another instance)
// continues the first one's rotations.
const RefreshKey = "test-refresh-key-test-refresh-key-0123456789"

// KEK is the key-encryption key test services seal their signing keys
// under: fixed, so a second service on the same database signs and
// verifies with the first one's key.
const KEK = "dGVzdC1rZWstdGVzdC1rZWstdGVzdC1rZWstMDEyMzQ="

// RPID and Origin are the passkeys' relying party of test services.
const (
	RPID   = "shop.example"
	Origin = "https://shop.example"
)

// Clock is the tests' clock (clocktest.Clock).
type Clock = clocktest.Clock

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return clocktest.New(t) }

// Env is a service under test and the parts a test may inspect.
type Env struct {
	Service *auth.Service
	Store   *store.Store
	Hasher  *password.Hasher
	Signer  *token.Signer
	Keys    *keys.Ring
	Clock   *Clock
}

// Lifetimes are the lifetimes test services use: the defaults.
var Lifetimes = auth.Lifetimes{
	AccessToken: map[gatehouse.ActorType]time.Duration{
		gatehouse.ActorCustomer: 15 * time.Minute,
		gatehouse.ActorUser:     10 * time.Minute,
	},
	SessionMaxAge: map[gatehouse.ActorType]time.Duration{
		gatehouse.ActorCustomer: 90 * 24 * time.Hour,
		gatehouse.ActorUser:     7 * 24 * time.Hour,
	},
	SessionIdle: map[gatehouse.ActorType]time.Duration{
		gatehouse.ActorCustomer: 30 * 24 * time.Hour,
		gatehouse.ActorUser:     12 * time.Hour,
	},
	RefreshReuseGrace: 10 * time.Second,
	Invite:            7 * 24 * time.Hour,
}

// New builds a service on db; opts adjust the service's options (to add
// third-party providers, say).
func New(tb testing.TB, db *store.DB, opts ...func(*auth.Options)) *Env {
	tb.Helper()
	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	h, err := password.NewHasher(password.Options{Params: FastParams, Workers: 2, Queue: 64})
	if err != nil {
		tb.Fatal(err)
	}
	st := store.New(db)
	kek, err := keys.ParseKEK(KEK)
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := keys.NewRing(tb.Context(), keys.Options{Store: st, KEK: kek, Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := token.NewSigner(token.Config{
		Keys:   ring,
		Issuer: "http://gatehouse.test",
		Audiences: map[gatehouse.ActorType]string{
			gatehouse.ActorCustomer: "gatehouse:customer",
			gatehouse.ActorUser:     "gatehouse:user",
		},
		Now: clock.Now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	wa, err := webauthn.New(&webauthn.Config{RPID: RPID, RPDisplayName: "gatehouse test", RPOrigins: []string{Origin}})
	if err != nil {
		tb.Fatal(err)
	}
	o := auth.Options{Store: st, Hasher: h, Signer: sig, Lifetimes: Lifetimes, RefreshKey: []byte(RefreshKey), Now: clock.Now, WebAuthn: wa}
	for _, f := range opts {
		f(&o)
	}
	svc, err := auth.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return &Env{Service: svc, Store: st, Hasher: h, Signer: sig, Keys: ring, Clock: clock}
}
