package keys_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
)

func TestThumbprintRFCVectors(t *testing.T) {
	b64 := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		pub  any
		want string
	}{
		{
			// RFC 7638, section 3.1.
			name: "RSA",
			pub: &rsa.PublicKey{E: 65537, N: new(big.Int).SetBytes(b64(
				"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6" +
					"4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9" +
					"1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"))},
			want: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
		},
		{
			// RFC 8037, appendix A.3.
			name: "Ed25519",
			pub:  ed25519.PublicKey(b64("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")),
			want: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keys.Thumbprint(tc.pub)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Thumbprint = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	for _, tc := range []struct {
		alg      keys.Alg
		kty      string
		wantBits int
	}{
		{keys.EdDSA, "OKP", 0},
		{keys.RS256, "RSA", keys.RSABits},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			var k *keys.Key
			if tc.alg == keys.RS256 {
				k = mustRSAKey(t)
			} else {
				k = mustEd25519Key(t)
			}
			if k.Alg != tc.alg || !k.CanSign() || !k.CreatedAt.Equal(t0) || !k.ActivatesAt.Equal(t0) {
				t.Fatalf("key = %v", k)
			}
			if want, _ := keys.Thumbprint(k.PublicKey()); k.ID != want {
				t.Errorf("kid = %s, want the thumbprint %s", k.ID, want)
			}
			if tc.wantBits > 0 {
				if bits := k.PublicKey().(*rsa.PublicKey).N.BitLen(); bits != tc.wantBits {
					t.Errorf("RSA key of %d bits, want %d", bits, tc.wantBits)
				}
			}
			j, ok := k.JWK()
			if !ok || j.Kty != tc.kty || j.Use != "sig" || j.Alg != string(tc.alg) || j.Kid != k.ID {
				t.Fatalf("JWK = %+v, %v", j, ok)
			}
			raw, _ := json.Marshal(j)
			var fields map[string]any
			_ = json.Unmarshal(raw, &fields)
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
				if _, leak := fields[private]; leak {
					t.Errorf("JWK has private member %q: %s", private, raw)
				}
			}
		})
	}
	if _, err := keys.Generate(keys.HS256, t0); err == nil {
		t.Error("Generate(HS256) made a key; HS256 secrets come from the configuration")
	}
}

func TestNewHMAC(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	k, err := keys.NewHMAC(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.ID, "hs256-") || k.Alg != keys.HS256 || !k.SignsAt(t0) || k.PublicKey() != nil {
		t.Fatalf("key = %v", k)
	}
	if _, ok := k.JWK(); ok {
		t.Error("an HS256 key has a JWK: it must never be published")
	}
	secret[0] = 'x'
	if !bytes.Equal(k.SignKey().([]byte), []byte(strings.Repeat("s", 32))) {
		t.Error("the key shares the caller's secret slice")
	}
	other, _ := keys.NewHMAC([]byte(strings.Repeat("t", 32)))
	if other.ID == k.ID {
		t.Error("two secrets share a kid")
	}
	if _, err := keys.NewHMAC(secret[:31]); err == nil {
		t.Error("NewHMAC took a 31-byte secret")
	}
}

func TestKeyState(t *testing.T) {
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	k := &keys.Key{ActivatesAt: t0, RetiredAt: at(time.Hour), ExpiresAt: at(2 * time.Hour)}
	// superseded retired before it ever activated
	s := &keys.Key{ActivatesAt: t0.Add(time.Hour), RetiredAt: at(30 * time.Minute), ExpiresAt: at(time.Hour)}
	for _, tc := range []struct {
		name string
		k    *keys.Key
		at   time.Duration
		want keys.State
	}{
		{"before activation", k, -time.Second, keys.StatePending},
		{"at activation", k, 0, keys.StateActive},
		{"just before retirement", k, time.Hour - time.Second, keys.StateActive},
		{"at retirement", k, time.Hour, keys.StateRetired},
		{"just before expiry", k, 2*time.Hour - time.Second, keys.StateRetired},
		{"at expiry", k, 2 * time.Hour, keys.StateExpired},
		{"superseded while pending", s, 0, keys.StatePending},
		{"superseded, past its activation", s, 90 * time.Minute, keys.StateExpired},
		{"superseded, retired", s, 45 * time.Minute, keys.StateRetired},
		{"never retired", &keys.Key{ActivatesAt: t0}, 1000 * time.Hour, keys.StateActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.k.State(t0.Add(tc.at)); got != tc.want {
				t.Errorf("State = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestKeyRedactsPrivateHalf prints keys every way a caller might and looks
// for their private halves.
func TestKeyRedactsPrivateHalf(t *testing.T) {
	hmacKey, err := keys.NewHMAC([]byte("a-printable-hmac-secret-of-32-bytes-or-more"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*keys.Key{mustEd25519Key(t), mustRSAKey(t), hmacKey} {
		t.Run(string(k.Alg), func(t *testing.T) {
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("key", "key", k, "value", *k)
			slog.New(slog.NewTextHandler(&logged, nil)).Info("key", "key", k, "value", *k)
			holder := struct {
				Key   keys.Key
				Slice []*keys.Key
			}{*k, []*keys.Key{k}}
			texts := []string{logged.String()}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
				texts = append(texts, fmt.Sprintf(verb, k), fmt.Sprintf(verb, *k), fmt.Sprintf(verb, holder))
			}
			for _, text := range texts {
				for _, form := range privateForms(t, k) {
					if strings.Contains(text, form) {
						t.Fatalf("%.120q… holds the private half", text)
					}
				}
			}
			if !strings.Contains(fmt.Sprint(k), k.ID) {
				t.Errorf("%v does not name the key", k)
			}
		})
	}
}
