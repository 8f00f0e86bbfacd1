package keys_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// t0 is the tests' now.
var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// Two key-encryption keys: the one in use and another.
var (
	testKEK  = bytes.Repeat([]byte{0x4b}, keys.KEKSize)
	otherKEK = bytes.Repeat([]byte{0x6f}, keys.KEKSize)
)

func newClock() *clocktest.Clock { return clocktest.New(t0) }

// memStore is keys.Store in memory, with the databases' semantics, and
// counts its loads and its generation reads. fail fails the loads,
// failGeneration the generation reads.
type memStore struct {
	mu             sync.Mutex
	recs           []*keys.Record
	gen            int64
	loads          atomic.Int32
	polls          atomic.Int32
	fail           atomic.Bool
	failGeneration atomic.Bool
}

var errStoreDown = errors.New("store down")

func copyRecord(r *keys.Record) *keys.Record {
	c := *r
	if r.RetiredAt != nil {
		t := *r.RetiredAt
		c.RetiredAt = &t
	}
	if r.ExpiresAt != nil {
		t := *r.ExpiresAt
		c.ExpiresAt = &t
	}
	return &c
}

func (m *memStore) SigningKeys(_ context.Context, now time.Time) ([]*keys.Record, error) {
	m.loads.Add(1)
	if m.fail.Load() {
		return nil, errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*keys.Record
	for _, r := range m.recs {
		if now.IsZero() || r.ExpiresAt == nil || r.ExpiresAt.After(now) {
			out = append(out, copyRecord(r))
		}
	}
	slices.SortFunc(out, func(a, b *keys.Record) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.ID), []byte(b.ID))
	})
	return out, nil
}

func (m *memStore) CreateFirstSigningKey(_ context.Context, r *keys.Record, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.recs {
		if o.Alg == r.Alg && !o.ActivatesAt.After(now) && (o.RetiredAt == nil || o.RetiredAt.After(now)) {
			return false, nil
		}
	}
	m.recs = append(m.recs, copyRecord(r))
	m.gen++
	return true, nil
}

func (m *memStore) RotateSigningKey(_ context.Context, r *keys.Record, expiresAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.recs {
		if o.RetiredAt == nil || o.RetiredAt.After(r.ActivatesAt) {
			at, exp := r.ActivatesAt, expiresAt
			o.RetiredAt, o.ExpiresAt = &at, &exp
		}
	}
	m.recs = append(m.recs, copyRecord(r))
	m.gen++
	return nil
}

func (m *memStore) SigningKeyGeneration(context.Context) (int64, error) {
	m.polls.Add(1)
	if m.failGeneration.Load() {
		return 0, errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen, nil
}

func (m *memStore) records() []*keys.Record {
	recs, _ := m.SigningKeys(context.Background(), time.Time{})
	return recs
}

// ringOptions are a database ring's options on st and clk.
func ringOptions(st keys.Store, clk *clocktest.Clock) keys.Options {
	return keys.Options{Store: st, KEK: testKEK, Now: clk.Now}
}

func mustRing(tb testing.TB, o keys.Options) *keys.Ring {
	tb.Helper()
	r, err := keys.NewRing(context.Background(), o)
	if err != nil {
		tb.Fatalf("NewRing: %v", err)
	}
	return r
}

func mustSigningKey(tb testing.TB, r *keys.Ring) *keys.Key {
	tb.Helper()
	k, err := r.SigningKey()
	if err != nil {
		tb.Fatalf("SigningKey: %v", err)
	}
	return k
}

// rotateOptions rotate to an EdDSA key published ten minutes ahead,
// verifying for twenty minutes after retirement.
func rotateOptions(clk *clocktest.Clock) keys.RotateOptions {
	return keys.RotateOptions{Alg: keys.EdDSA, KEK: testKEK, Delay: 10 * time.Minute, VerifyFor: 20 * time.Minute, Now: clk.Now}
}

func mustRotate(tb testing.TB, st keys.Store, o keys.RotateOptions) *keys.Key {
	tb.Helper()
	k, err := keys.Rotate(context.Background(), st, o)
	if err != nil {
		tb.Fatalf("Rotate: %v", err)
	}
	return k
}

// rsaKey is one RSA key for the package's tests: making one takes a while.
var rsaKey = sync.OnceValues(func() (*keys.Key, error) { return keys.Generate(keys.RS256, t0) })

func mustRSAKey(tb testing.TB) *keys.Key {
	tb.Helper()
	k, err := rsaKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func mustEd25519Key(tb testing.TB) *keys.Key {
	tb.Helper()
	k, err := keys.Generate(keys.EdDSA, t0)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// pkcs8PEM encodes k's private half as a PKCS #8 PEM file.
func pkcs8PEM(tb testing.TB, priv any) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// privateForms are the ways the private half of k could show in text.
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
	default:
		tb.Fatalf("no private half in %v", k)
	}
	forms := []string{
		hex.EncodeToString(b),
		base64.StdEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		fmt.Sprint(b),
	}
	if _, ok := k.SignKey().(*rsa.PrivateKey); ok {
		forms = append(forms, k.SignKey().(*rsa.PrivateKey).Primes[0].String())
	} else {
		forms = append(forms, string(b))
	}
	return forms
}
