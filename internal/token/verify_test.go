package token_test

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

// attack is one token Verify is given and the sentinel it must answer.
type attack struct {
	name string
	raw  func(tb testing.TB, f *fixture) string
	want error // nil: accepted
	// reason is part of the refusal's message: it shows which check
	// caught the token, so that one check cannot hide another's absence.
	reason string
}

type editFunc func(h, c map[string]any) (map[string]any, map[string]any)

// forged builds an attack token from the good header and claims, changed
// by edit, and signed by sign (nil: as the service's key signs).
func forged(edit editFunc, sign func(*fixture) signFunc) func(testing.TB, *fixture) string {
	return func(tb testing.TB, f *fixture) string {
		h, c := goodHeader(f), goodClaims()
		if edit != nil {
			h, c = edit(h, c)
		}
		sf := f.sign
		if sign != nil {
			sf = sign(f)
		}
		return forge(tb, h, c, sf)
	}
}

func header(kv ...any) editFunc {
	return func(h, c map[string]any) (map[string]any, map[string]any) { return with(h, kv...), c }
}

func claims(kv ...any) editFunc {
	return func(h, c map[string]any) (map[string]any, map[string]any) { return h, with(c, kv...) }
}

func literal(raw string) func(testing.TB, *fixture) string {
	return func(testing.TB, *fixture) string { return raw }
}

// by signs with a fixed function; byOther with the attacker's key of the
// fixture's algorithm.
func by(sf signFunc) func(*fixture) signFunc { return func(*fixture) signFunc { return sf } }
func byOther(f *fixture) signFunc            { return f.other }

// attacks are the tokens every algorithm must answer alike.
func attacks() []attack {
	past := epoch.Add(-time.Hour).Unix()
	beyond := epoch.Add(testLeeway + time.Second).Unix()
	return []attack{
		{name: "genuine", raw: forged(nil, nil)},
		{name: "signed by Sign", raw: func(tb testing.TB, f *fixture) string {
			return mustSign(tb, f.signer, customerSubject())
		}},

		// Algorithm confusion.
		{name: "alg none with trailing dot", raw: forged(header("alg", "none"), by(unsigned)), want: token.ErrInvalid, reason: "empty segment"},
		{name: "alg none without trailing dot", raw: func(tb testing.TB, f *fixture) string {
			return strings.TrimSuffix(forged(header("alg", "none"), by(unsigned))(tb, f), ".")
		}, want: token.ErrInvalid, reason: "not three segments"},
		{name: "alg none with a signature", raw: forged(header("alg", "none"), nil), want: token.ErrInvalid, reason: "algorithm not allowed"},
		{name: "alg None", raw: forged(header("alg", "None"), nil), want: token.ErrInvalid, reason: "algorithm not allowed"},
		{name: "alg in lower case", raw: func(tb testing.TB, f *fixture) string {
			return forged(header("alg", strings.ToLower(string(f.alg))), nil)(tb, f)
		}, want: token.ErrInvalid, reason: "algorithm not allowed"},
		{name: "alg ES256", raw: forged(header("alg", "ES256"), by(junkSig)), want: token.ErrInvalid, reason: "algorithm not allowed"},
		{name: "alg PS256", raw: forged(header("alg", "PS256"), by(junkSig)), want: token.ErrInvalid, reason: "algorithm not allowed"},
		{name: "alg missing", raw: forged(header("alg", nil), nil), want: token.ErrInvalid, reason: "missing algorithm"},
		{name: "alg not a string", raw: forged(header("alg", []string{"EdDSA"}), nil), want: token.ErrInvalid, reason: "algorithm not allowed"},

		// Key confusion and key injection.
		{name: "another key of the same algorithm", raw: forged(nil, byOther), want: token.ErrInvalid, reason: "bad signature"},
		{name: "unknown kid", raw: forged(header("kid", "hs256-AAAAAAAAAAA"), nil), want: token.ErrInvalid, reason: "unknown key id"},
		{name: "kid of the attacker's key", raw: func(tb testing.TB, f *fixture) string {
			return forged(header("kid", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"), byOther)(tb, f)
		}, want: token.ErrInvalid, reason: "unknown key id"},
		{name: "missing kid", raw: forged(header("kid", nil), nil), want: token.ErrInvalid, reason: "missing key id"},
		{name: "empty kid", raw: forged(header("kid", ""), nil), want: token.ErrInvalid, reason: "unknown key id"},
		{name: "kid not a string", raw: forged(header("kid", 7), nil), want: token.ErrInvalid, reason: "unknown key id"},
		{name: "jku header", raw: forged(header("jku", "https://evil.test/jwks.json"), byOther), want: token.ErrInvalid, reason: "header parameter not allowed"},
		{name: "x5u header", raw: forged(header("x5u", "https://evil.test/cert.pem"), byOther), want: token.ErrInvalid, reason: "header parameter not allowed"},
		{name: "x5c header", raw: forged(header("x5c", []string{"MIIB"}), byOther), want: token.ErrInvalid, reason: "header parameter not allowed"},
		{name: "embedded jwk header", raw: func(tb testing.TB, f *fixture) string {
			return forged(header("jwk", f.otherJWK), byOther)(tb, f)
		}, want: token.ErrInvalid, reason: "header parameter not allowed"},
		{name: "crit header", raw: forged(header("crit", []string{"exp"}), nil), want: token.ErrInvalid, reason: "header parameter not allowed"},
		{name: "typ not JWT", raw: forged(header("typ", "at+jwt"), nil), want: token.ErrInvalid, reason: "unexpected typ"},
		{name: "header key in other case", raw: forged(header("Alg", "none"), nil), want: token.ErrInvalid, reason: "header parameter not allowed"},

		// Tampering.
		{name: "tampered payload", raw: func(tb testing.TB, f *fixture) string {
			parts := strings.Split(mustSign(tb, f.signer, customerSubject()), ".")
			p, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				tb.Fatal(err)
			}
			p = []byte(strings.Replace(string(p), `"actor_id":"cus_01"`, `"actor_id":"cus_99"`, 1))
			parts[1] = base64.RawURLEncoding.EncodeToString(p)
			return strings.Join(parts, ".")
		}, want: token.ErrInvalid, reason: "bad signature"},
		{name: "tampered signature", raw: func(tb testing.TB, f *fixture) string {
			raw := mustSign(tb, f.signer, customerSubject())
			i := strings.LastIndexByte(raw, '.') + 1
			flip := byte('A')
			if raw[i] == 'A' {
				flip = 'B'
			}
			return raw[:i] + string(flip) + raw[i+1:]
		}, want: token.ErrInvalid, reason: "bad signature"},
		{name: "signature from another token", raw: func(tb testing.TB, f *fixture) string {
			a := mustSign(tb, f.signer, customerSubject())
			b := forged(claims("actor_id", "cus_99"), nil)(tb, f)
			return b[:strings.LastIndexByte(b, '.')] + a[strings.LastIndexByte(a, '.'):]
		}, want: token.ErrInvalid, reason: "bad signature"},

		// Expiry: the signature decides before the claims do.
		{name: "expired forgery", raw: forged(claims("exp", past, "iat", past-60, "nbf", past-60), byOther), want: token.ErrInvalid, reason: "bad signature"},
		{name: "expired forgery, alg none", raw: forged(func(h, c map[string]any) (map[string]any, map[string]any) {
			return with(h, "alg", "none"), with(c, "exp", past)
		}, by(junkSig)), want: token.ErrInvalid, reason: "algorithm not allowed"},
		{name: "genuine expired", raw: forged(claims("exp", past), nil), want: token.ErrExpired},
		{name: "genuine expired just beyond leeway", raw: forged(claims("exp", epoch.Add(-testLeeway).Unix()), nil), want: token.ErrExpired},
		{name: "genuine expired within leeway", raw: forged(claims("exp", epoch.Add(-testLeeway+time.Second).Unix()), nil)},
		{name: "genuine expired wrong issuer", raw: forged(claims("exp", past, "iss", "https://evil.test"), nil), want: token.ErrInvalid, reason: "wrong issuer"},
		{name: "genuine expired wrong actor type", raw: forged(claims("exp", past, "actor_type", "user"), nil), want: token.ErrInvalid, reason: "actor type does not match audience"},
		{name: "genuine expired without sid", raw: forged(claims("exp", past, "sid", nil), nil), want: token.ErrInvalid, reason: "missing sid"},

		// Time.
		{name: "nbf future", raw: forged(claims("nbf", beyond), nil), want: token.ErrInvalid, reason: "not valid yet"},
		{name: "nbf future within leeway", raw: forged(claims("nbf", epoch.Add(testLeeway).Unix()), nil)},
		{name: "iat future", raw: forged(claims("iat", beyond), nil), want: token.ErrInvalid, reason: "issued in the future"},
		{name: "auth_time future", raw: forged(claims("auth_time", beyond), nil), want: token.ErrInvalid, reason: "auth_time in the future"},
		{name: "exp not a number", raw: forged(claims("exp", "tomorrow"), nil), want: token.ErrInvalid, reason: "malformed"},

		// Who the token is for.
		{name: "wrong issuer", raw: forged(claims("iss", "https://evil.test"), nil), want: token.ErrInvalid, reason: "wrong issuer"},
		{name: "missing issuer", raw: forged(claims("iss", nil), nil), want: token.ErrInvalid, reason: "missing required claim"},
		{name: "wrong audience", raw: forged(claims("aud", []string{"elsewhere"}), nil), want: token.ErrInvalid, reason: "unknown audience"},
		{name: "audience as a string", raw: forged(claims("aud", testAudCustomer), nil)},
		{name: "two audiences", raw: forged(claims("aud", []string{testAudCustomer, testAudUser}), nil), want: token.ErrInvalid, reason: "want exactly one audience"},
		{name: "missing audience", raw: forged(claims("aud", nil), nil), want: token.ErrInvalid, reason: "want exactly one audience"},
		{name: "customer audience with actor_type user", raw: forged(claims("actor_type", "user"), nil), want: token.ErrInvalid, reason: "actor type does not match audience"},
		{name: "user audience with actor_type customer", raw: forged(claims("aud", []string{testAudUser}), nil), want: token.ErrInvalid, reason: "actor type does not match audience"},
		{name: "unknown actor_type", raw: forged(claims("actor_type", "admin"), nil), want: token.ErrInvalid, reason: "actor type does not match audience"},
		{name: "sub differs from auth_identity_id", raw: forged(claims("sub", "authid_99"), nil), want: token.ErrInvalid, reason: "sub does not match auth_identity_id"},

		// Missing claims.
		{name: "missing exp", raw: forged(claims("exp", nil), nil), want: token.ErrInvalid, reason: "missing required claim"},
		{name: "missing iat", raw: forged(claims("iat", nil), nil), want: token.ErrInvalid, reason: "missing iat"},
		{name: "missing nbf", raw: forged(claims("nbf", nil), nil), want: token.ErrInvalid, reason: "missing required claim"},
		{name: "missing sub", raw: forged(claims("sub", nil), nil), want: token.ErrInvalid, reason: "missing sub"},
		{name: "missing jti", raw: forged(claims("jti", nil), nil), want: token.ErrInvalid, reason: "missing jti"},
		{name: "missing auth_identity_id", raw: forged(claims("auth_identity_id", nil), nil), want: token.ErrInvalid, reason: "missing auth_identity_id"},
		{name: "missing auth_time", raw: forged(claims("auth_time", nil), nil), want: token.ErrInvalid, reason: "missing auth_time"},
		{name: "missing sid", raw: forged(claims("sid", nil), nil), want: token.ErrInvalid, reason: "missing sid"},
		{name: "empty sid", raw: forged(claims("sid", ""), nil), want: token.ErrInvalid, reason: "missing sid"},
		{name: "missing actor_id", raw: forged(claims("actor_id", nil), nil)},
		{name: "missing app_metadata", raw: forged(claims("app_metadata", nil), nil)},

		// Shape.
		{name: "empty string", raw: literal(""), want: token.ErrInvalid, reason: "empty"},
		{name: "2 segments", raw: literal("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0"), want: token.ErrInvalid, reason: "not three segments"},
		{name: "4 segments", raw: func(tb testing.TB, f *fixture) string {
			return forged(nil, nil)(tb, f) + ".e30"
		}, want: token.ErrInvalid, reason: "not three segments"},
		{name: "empty payload segment", raw: func(tb testing.TB, f *fixture) string {
			parts := strings.Split(forged(nil, nil)(tb, f), ".")
			return parts[0] + ".." + parts[2]
		}, want: token.ErrInvalid, reason: "empty segment"},
		{name: "header of many dots", raw: literal(strings.Repeat(".", 1000) + "e30.e30.AAAA"), want: token.ErrInvalid, reason: "not three segments"},
		{name: "genuine token behind many dots", raw: func(tb testing.TB, f *fixture) string {
			return strings.Repeat(".", 500) + mustSign(tb, f.signer, customerSubject())
		}, want: token.ErrInvalid, reason: "not three segments"},
		{name: "100000 dots", raw: literal(strings.Repeat(".", 100000)), want: token.ErrInvalid, reason: "too long"},
		{name: "9 KiB token", raw: forged(claims("pad", strings.Repeat("x", 9<<10)), nil), want: token.ErrInvalid, reason: "too long"},
		{name: "garbage base64", raw: literal("!!!!.@@@@.####"), want: token.ErrInvalid, reason: "header is not base64url"},
		{name: "padded base64", raw: func(tb testing.TB, f *fixture) string {
			parts := strings.Split(forged(nil, nil)(tb, f), ".")
			return parts[0] + "=." + parts[1] + "." + parts[2]
		}, want: token.ErrInvalid, reason: "header is not base64url"},
		{name: "header not an object", raw: literal("WyJIUzI1NiJd.e30.AAAA"), want: token.ErrInvalid, reason: "header is not a JSON object"},
		{name: "payload not JSON", raw: func(tb testing.TB, f *fixture) string {
			parts := strings.Split(forged(nil, nil)(tb, f), ".")
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("not json")) + "." + parts[2]
		}, want: token.ErrInvalid, reason: "malformed"},
	}
}

// algAttacks are the attacks that depend on the algorithm.
func algAttacks(tb testing.TB, f *fixture) []attack {
	tb.Helper()
	var out []attack
	if sig := f.sign("x.y"); len(sig)%3 != 0 {
		// The last character of the signature has unused bits; setting
		// them changes the text but not the decoded bytes, unless
		// decoding is strict. (An RSA-3072 signature has none.)
		out = append(out, attack{name: "signature non-canonical base64", raw: func(tb testing.TB, f *fixture) string {
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			raw := mustSign(tb, f.signer, customerSubject())
			last := strings.IndexByte(alphabet, raw[len(raw)-1])
			return raw[:len(raw)-1] + string(alphabet[last^1])
		}, want: token.ErrInvalid, reason: "malformed"})
	}
	if f.alg == keys.HS256 {
		return append(out,
			attack{name: "alg HS512 same secret", raw: forged(header("alg", "HS512"), by(hs512(testSecret))), want: token.ErrInvalid, reason: "algorithm not allowed"},
			attack{name: "alg RS256 with the HMAC key's kid", raw: forged(header("alg", "RS256"), by(junkSig)), want: token.ErrInvalid, reason: "algorithm not allowed"},
			attack{name: "alg EdDSA with the HMAC key's kid", raw: forged(header("alg", "EdDSA"), by(junkSig)), want: token.ErrInvalid, reason: "algorithm not allowed"},
		)
	}
	// The classic confusion: HS256 keyed with the public key, which an
	// attacker has from the JWKS, under the asymmetric key's kid.
	for _, form := range publicKeyForms(tb, f.key) {
		out = append(out, attack{
			name:   "alg HS256 keyed with the public key as " + form.name,
			raw:    forged(header("alg", "HS256"), by(hs256(form.b))),
			want:   token.ErrInvalid,
			reason: "algorithm not allowed",
		})
	}
	otherAlg := keys.RS256
	if f.alg == keys.RS256 {
		otherAlg = keys.EdDSA
	}
	return append(out,
		attack{name: "alg HS512 keyed with the public key", raw: forged(header("alg", "HS512"), by(hs512(publicKeyForms(tb, f.key)[0].b))), want: token.ErrInvalid, reason: "algorithm not allowed"},
		attack{name: "alg " + string(otherAlg) + " with the key's kid", raw: forged(header("alg", string(otherAlg)), by(junkSig)), want: token.ErrInvalid, reason: "algorithm not allowed"},
		attack{name: "alg HS256 keyed with the test secret", raw: forged(header("alg", "HS256"), by(hs256(testSecret))), want: token.ErrInvalid, reason: "algorithm not allowed"},
	)
}

type keyForm struct {
	name string
	b    []byte
}

// publicKeyForms are the encodings of k's public key an attacker might
// try as an HMAC key.
func publicKeyForms(tb testing.TB, k *keys.Key) []keyForm {
	tb.Helper()
	pkix, err := x509.MarshalPKIXPublicKey(k.PublicKey())
	if err != nil {
		tb.Fatal(err)
	}
	forms := []keyForm{
		{"PKIX DER", pkix},
		{"PKIX PEM", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})},
	}
	switch p := k.PublicKey().(type) {
	case ed25519.PublicKey:
		forms = append(forms, keyForm{"raw bytes", []byte(p)}, keyForm{"JWK x", []byte(base64.RawURLEncoding.EncodeToString(p))})
	case *rsa.PublicKey:
		pkcs1 := x509.MarshalPKCS1PublicKey(p)
		forms = append(forms, keyForm{"PKCS #1 DER", pkcs1}, keyForm{"PKCS #1 PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})},
			keyForm{"modulus", p.N.Bytes()})
	}
	return forms
}

func allAttacks(tb testing.TB, f *fixture) []attack {
	return append(attacks(), algAttacks(tb, f)...)
}

func TestVerifyAttacks(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			for _, tt := range allAttacks(t, f) {
				t.Run(tt.name, func(t *testing.T) {
					raw := tt.raw(t, f)
					c, err := f.signer.Verify(raw)
					if tt.want == nil {
						if err != nil {
							t.Fatalf("Verify: %v, want accepted", err)
						}
						if c == nil || c.AppMetadata == nil || c.SessionID != testSession {
							t.Fatalf("Verify returned claims %+v, want claims with app_metadata and sid", c)
						}
						return
					}
					if !errors.Is(err, tt.want) {
						t.Fatalf("Verify: %v, want %v", err, tt.want)
					}
					if !strings.Contains(err.Error(), tt.reason) {
						t.Errorf("Verify: %v, want it refused for %q", err, tt.reason)
					}
					if c != nil {
						t.Errorf("Verify returned claims with %v", err)
					}
					other := token.ErrExpired
					if tt.want == token.ErrExpired {
						other = token.ErrInvalid
					}
					if errors.Is(err, other) {
						t.Errorf("Verify: %v is both %v and %v", err, tt.want, other)
					}
				})
			}
		})
	}
}

// TestVerifyChecksSignatureFirst proves that claims are read only once the
// signature is good: a forgery with every claim wrong is refused for its
// signature, and so is an expired one, which must not pass for ErrExpired.
func TestVerifyChecksSignatureFirst(t *testing.T) {
	past := epoch.Add(-time.Hour).Unix()
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			for _, tt := range []struct {
				name   string
				claims map[string]any
			}{
				{name: "expired", claims: with(goodClaims(), "exp", past)},
				{name: "every claim wrong", claims: map[string]any{
					"iss": "https://evil.test", "aud": "elsewhere", "exp": past, "iat": past * 2, "nbf": past * 2,
				}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					_, err := f.signer.Verify(forge(t, goodHeader(f), tt.claims, f.other))
					if !errors.Is(err, token.ErrInvalid) || errors.Is(err, token.ErrExpired) {
						t.Fatalf("Verify: %v, want ErrInvalid only", err)
					}
					if !strings.Contains(err.Error(), "signature") {
						t.Errorf("Verify: %v, want it refused for its signature", err)
					}
				})
			}
		})
	}
}

// TestVerifyKeyLife: a retired key verifies until it expires; an expired
// one verifies nothing, not even a token that is merely expired.
func TestVerifyKeyLife(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			at := func(d time.Duration) *time.Time { v := epoch.Add(d); return &v }
			current := newKey(t, keys.EdDSA)
			retired, expired := newKey(t, alg), newKey(t, alg)
			if alg == keys.HS256 {
				// Two HS256 keys need two secrets.
				var err error
				if expired, err = keys.NewHMAC(otherSecret); err != nil {
					t.Fatal(err)
				}
			}
			if alg == keys.RS256 {
				expired = rsaKey2(t)
			}
			retired.RetiredAt, retired.ExpiresAt = at(-time.Hour), at(time.Second)
			expired.RetiredAt, expired.ExpiresAt = at(-2*time.Hour), at(0)
			clk := clocktest.New(epoch)
			s := mustSigner(t, testConfig(clk, ring(t, current, retired, expired)))
			header := func(k *keys.Key) map[string]any {
				return map[string]any{"alg": string(k.Alg), "typ": "JWT", "kid": k.ID}
			}
			for _, tc := range []struct {
				name   string
				k      *keys.Key
				claims map[string]any
				want   error
				reason string
			}{
				{"retired key", retired, goodClaims(), nil, ""},
				{"retired key, expired token", retired, with(goodClaims(), "exp", epoch.Add(-time.Minute).Unix()), token.ErrExpired, ""},
				{"expired key", expired, goodClaims(), token.ErrInvalid, "key expired"},
				{"expired key, expired token", expired, with(goodClaims(), "exp", epoch.Add(-time.Minute).Unix()), token.ErrInvalid, "key expired"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := s.Verify(forge(t, header(tc.k), tc.claims, signerOf(t, tc.k)))
					if tc.want == nil {
						if err != nil {
							t.Fatalf("Verify: %v", err)
						}
						return
					}
					if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
						t.Fatalf("Verify: %v, want %v (%s)", err, tc.want, tc.reason)
					}
					if tc.want == token.ErrInvalid && errors.Is(err, token.ErrExpired) {
						t.Fatalf("Verify: %v is ErrExpired too", err)
					}
				})
			}
			// The retired key expires a second later.
			clk.Set(epoch.Add(time.Second))
			_, err := s.Verify(forge(t, header(retired), with(goodClaims(), "exp", epoch.Add(time.Hour).Unix()), signerOf(t, retired)))
			if !errors.Is(err, token.ErrInvalid) || !strings.Contains(err.Error(), "key expired") {
				t.Fatalf("Verify after the retired key expired: %v", err)
			}
		})
	}
}

// rsaKey2 is a second service RSA key, for the tests that need two.
func rsaKey2(tb testing.TB) *keys.Key {
	tb.Helper()
	k, err := serviceRSA2()
	if err != nil {
		tb.Fatal(err)
	}
	c := *k
	return &c
}

func TestVerifyExpiresOnTheClock(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			sub := customerSubject()
			raw := mustSign(t, f.signer, sub)
			for _, tt := range []struct {
				name string
				at   time.Time
				want error
			}{
				{name: "at issue", at: epoch},
				{name: "one second before exp plus leeway", at: sub.ExpiresAt.Add(testLeeway - time.Second)},
				{name: "at exp plus leeway", at: sub.ExpiresAt.Add(testLeeway), want: token.ErrExpired},
				{name: "a day later", at: sub.ExpiresAt.Add(24 * time.Hour), want: token.ErrExpired},
				{name: "before issue beyond leeway", at: epoch.Add(-testLeeway - time.Second), want: token.ErrInvalid},
			} {
				t.Run(tt.name, func(t *testing.T) {
					f.clock.Set(tt.at)
					_, err := f.signer.Verify(raw)
					if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
						t.Fatalf("Verify at %v: %v, want %v", tt.at, err, tt.want)
					}
				})
			}
		})
	}
}

// assertNoSecret fails if text holds the HS256 test secret in any of the
// forms fmt or an encoder would print it.
func assertNoSecret(tb testing.TB, text string) {
	tb.Helper()
	for _, form := range []string{
		string(testSecret),
		fmt.Sprint(testSecret),
		fmt.Sprintf("%#v", testSecret),
		hex.EncodeToString(testSecret),
		base64.StdEncoding.EncodeToString(testSecret),
		base64.RawURLEncoding.EncodeToString(testSecret),
	} {
		if strings.Contains(text, form) {
			tb.Errorf("%q holds the secret", text)
		}
	}
}

func TestErrorsDoNotLeak(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			for _, tt := range allAttacks(t, f) {
				if tt.want == nil {
					continue
				}
				t.Run(tt.name, func(t *testing.T) {
					raw := tt.raw(t, f)
					_, err := f.signer.Verify(raw)
					if err == nil {
						t.Fatal("Verify accepted the token")
					}
					msg := err.Error()
					assertNoSecret(t, msg)
					// Every segment of a token long enough to matter must
					// stay out of the message, and so must the kid.
					for _, seg := range append(strings.Split(raw, "."), f.key.ID) {
						if len(seg) >= 8 && strings.Contains(msg, seg) {
							t.Errorf("%q holds token text %q", msg, seg)
						}
					}
					if len(msg) > 100 {
						t.Errorf("error is %d bytes long: %q", len(msg), msg)
					}
				})
			}
		})
	}
}
