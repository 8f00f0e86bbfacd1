package token_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

// testSecret is printable so that a test can look for it in error text.
var testSecret = []byte("test-secret-0123456789-abcdefghijklmnopqrstuvwxyz")

// otherSecret is an attacker's HMAC secret.
var otherSecret = []byte("another-secret-the-attacker-owns-0123456789")

const (
	testIssuer      = "https://auth.test"
	testAudCustomer = "storefront"
	testAudUser     = "admin"
	testLeeway      = 10 * time.Second
	testSession     = "sess_01"
)

// epoch is the tests' now: whole seconds, as JWT dates are.
var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// algs are the algorithms every fixture-based test runs for.
var algs = []keys.Alg{keys.EdDSA, keys.RS256, keys.HS256}

// RSA keys take a while to make: two for the service, one for the
// attacker, shared by the package's tests (copied before any change).
var (
	serviceRSA  = sync.OnceValues(func() (*keys.Key, error) { return keys.Generate(keys.RS256, epoch) })
	serviceRSA2 = sync.OnceValues(func() (*keys.Key, error) { return keys.Generate(keys.RS256, epoch) })
	attackRSA   = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
)

// newKey returns a new service key of alg (the one RSA key, copied).
func newKey(tb testing.TB, alg keys.Alg) *keys.Key {
	tb.Helper()
	var (
		k   *keys.Key
		err error
	)
	switch alg {
	case keys.EdDSA:
		k, err = keys.Generate(keys.EdDSA, epoch)
	case keys.RS256:
		k, err = serviceRSA()
		if err == nil {
			c := *k
			k = &c
		}
	case keys.HS256:
		k, err = keys.NewHMAC(testSecret)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fixture is a Signer of one algorithm and what tests forge tokens with.
type fixture struct {
	alg    keys.Alg
	key    *keys.Key // the key the Signer signs with
	signer *token.Signer
	clock  *clocktest.Clock
	// sign signs as key does; other signs with the same algorithm under
	// a key the service does not know, whose JWK is otherJWK.
	sign     signFunc
	other    signFunc
	otherJWK map[string]any
}

func newFixture(tb testing.TB, alg keys.Alg) *fixture {
	tb.Helper()
	k := newKey(tb, alg)
	f := &fixture{alg: alg, key: k, clock: clocktest.New(epoch), sign: signerOf(tb, k)}
	f.signer = mustSigner(tb, testConfig(f.clock, ring(tb, k)))
	switch alg {
	case keys.EdDSA:
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		f.other = ed25519Sign(priv)
		f.otherJWK = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(pub)}
	case keys.RS256:
		priv, err := attackRSA()
		if err != nil {
			tb.Fatal(err)
		}
		f.other = rs256Sign(priv)
		f.otherJWK = map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(priv.N.Bytes()), "e": "AQAB"}
	case keys.HS256:
		f.other = hs256(otherSecret)
		f.otherJWK = map[string]any{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString(otherSecret)}
	}
	return f
}

// ring returns a key ring of fixed keys: the first signs.
func ring(tb testing.TB, ks ...*keys.Key) *keys.Ring {
	tb.Helper()
	r, err := keys.NewRing(context.Background(), keys.Options{Fixed: ks})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func testConfig(c *clocktest.Clock, ks token.KeySource) token.Config {
	return token.Config{
		Keys:   ks,
		Issuer: testIssuer,
		Audiences: map[gatehouse.ActorType]string{
			gatehouse.ActorCustomer: testAudCustomer,
			gatehouse.ActorUser:     testAudUser,
		},
		Leeway: testLeeway,
		Now:    c.Now,
	}
}

func mustSigner(tb testing.TB, c token.Config) *token.Signer {
	tb.Helper()
	s, err := token.NewSigner(c)
	if err != nil {
		tb.Fatalf("NewSigner: %v", err)
	}
	return s
}

func customerSubject() token.Subject {
	return token.Subject{
		ActorType:      gatehouse.ActorCustomer,
		ActorID:        "cus_01",
		AuthIdentityID: "authid_01",
		AppMetadata:    map[string]any{"customer_id": "cus_01"},
		SessionID:      testSession,
		ExpiresAt:      epoch.Add(time.Hour),
	}
}

func mustSign(tb testing.TB, s *token.Signer, sub token.Subject) string {
	tb.Helper()
	raw, err := s.Sign(sub)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return raw
}

// segments splits a compact token and decodes its header and payload.
func segments(tb testing.TB, raw string) (header, payload map[string]json.RawMessage, sig string) {
	tb.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		tb.Fatalf("token has %d segments, want 3", len(parts))
	}
	decode := func(seg string) map[string]json.RawMessage {
		b, err := base64.RawURLEncoding.DecodeString(seg)
		if err != nil {
			tb.Fatalf("decode segment: %v", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			tb.Fatalf("unmarshal segment: %v", err)
		}
		return m
	}
	return decode(parts[0]), decode(parts[1]), parts[2]
}

// goodHeader and goodClaims are what Sign writes for customerSubject at
// epoch; attack cases change them.
func goodHeader(f *fixture) map[string]any {
	return map[string]any{"alg": string(f.alg), "typ": "JWT", "kid": f.key.ID}
}

func goodClaims() map[string]any {
	return map[string]any{
		"iss":              testIssuer,
		"sub":              "authid_01",
		"aud":              []string{testAudCustomer},
		"exp":              epoch.Add(time.Hour).Unix(),
		"nbf":              epoch.Unix(),
		"iat":              epoch.Unix(),
		"jti":              "AAAAAAAAAAAAAAAAAAAAAA",
		"auth_time":        epoch.Unix(),
		"sid":              testSession,
		"actor_id":         "cus_01",
		"actor_type":       "customer",
		"auth_identity_id": "authid_01",
		"app_metadata":     map[string]any{"customer_id": "cus_01"},
	}
}

// signFunc signs a JWS signing input.
type signFunc func(input string) []byte

func hmacWith(h func() hash.Hash, key []byte) signFunc {
	return func(input string) []byte {
		m := hmac.New(h, key)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
}

func hs256(key []byte) signFunc { return hmacWith(sha256.New, key) }
func hs512(key []byte) signFunc { return hmacWith(sha512.New, key) }

func ed25519Sign(priv ed25519.PrivateKey) signFunc {
	return func(input string) []byte { return ed25519.Sign(priv, []byte(input)) }
}

func rs256Sign(priv *rsa.PrivateKey) signFunc {
	return func(input string) []byte {
		sum := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, sum[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

// signerOf signs as k does, without the token package.
func signerOf(tb testing.TB, k *keys.Key) signFunc {
	tb.Helper()
	switch p := k.SignKey().(type) {
	case ed25519.PrivateKey:
		return ed25519Sign(p)
	case *rsa.PrivateKey:
		return rs256Sign(p)
	case []byte:
		return hs256(p)
	}
	tb.Fatalf("key %v cannot sign", k)
	return nil
}

// junkSig stands in for a signature the attacker made with its own key.
func junkSig(string) []byte { return []byte(strings.Repeat("\x5a", 256)) }

func unsigned(string) []byte { return nil }

// forge builds a compact token from arbitrary header and claims.
func forge(tb testing.TB, header, claims map[string]any, sign signFunc) string {
	tb.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatalf("marshal: %v", err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign(input))
}

// with returns a copy of m with the given keys set; a nil value deletes
// the key.
func with(m map[string]any, kv ...any) map[string]any {
	out := maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}
