package token_test

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/token"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	signedIn := epoch.Add(-72 * time.Hour)
	tests := []struct {
		name         string
		sub          token.Subject
		wantAud      string
		wantAuthTime time.Time
		wantMeta     map[string]any
	}{
		{
			name:         "customer",
			sub:          customerSubject(),
			wantAud:      testAudCustomer,
			wantAuthTime: epoch,
			wantMeta:     map[string]any{"customer_id": "cus_01"},
		},
		{
			name: "user",
			sub: token.Subject{
				ActorType:      gatehouse.ActorUser,
				ActorID:        "user_01",
				AuthIdentityID: "authid_02",
				AppMetadata:    map[string]any{"user_id": "user_01"},
				SessionID:      "sess_02",
				ExpiresAt:      epoch.Add(15 * time.Minute),
			},
			wantAud:      testAudUser,
			wantAuthTime: epoch,
			wantMeta:     map[string]any{"user_id": "user_01"},
		},
		{
			name: "registration",
			sub: token.Subject{
				ActorType:      gatehouse.ActorCustomer,
				AuthIdentityID: "authid_03",
				SessionID:      "sess_03",
				ExpiresAt:      epoch.Add(time.Hour),
			},
			wantAud:      testAudCustomer,
			wantAuthTime: epoch,
			wantMeta:     map[string]any{},
		},
		{
			name: "re-signed keeps auth_time",
			sub: token.Subject{
				ActorType:      gatehouse.ActorUser,
				ActorID:        "user_01",
				AuthIdentityID: "authid_02",
				SessionID:      "sess_02",
				AuthTime:       signedIn,
				ExpiresAt:      epoch.Add(time.Hour),
			},
			wantAud:      testAudUser,
			wantAuthTime: signedIn,
			wantMeta:     map[string]any{},
		},
		{
			name: "sub-second expiry",
			sub: token.Subject{
				ActorType:      gatehouse.ActorCustomer,
				ActorID:        "cus_01",
				AuthIdentityID: "authid_01",
				SessionID:      testSession,
				ExpiresAt:      epoch.Add(time.Hour + 900*time.Millisecond),
			},
			wantAud:      testAudCustomer,
			wantAuthTime: epoch,
			wantMeta:     map[string]any{},
		},
	}
	for _, alg := range algs {
		f := newFixture(t, alg)
		for _, tt := range tests {
			t.Run("alg="+string(alg)+"/"+tt.name, func(t *testing.T) {
				c, err := f.signer.Verify(mustSign(t, f.signer, tt.sub))
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.ActorID != tt.sub.ActorID || c.ActorType != string(tt.sub.ActorType) ||
					c.AuthIdentityID != tt.sub.AuthIdentityID || c.Subject != tt.sub.AuthIdentityID {
					t.Errorf("actor claims = %q %q %q sub %q, want %q %q %q", c.ActorID, c.ActorType,
						c.AuthIdentityID, c.Subject, tt.sub.ActorID, tt.sub.ActorType, tt.sub.AuthIdentityID)
				}
				if c.Issuer != testIssuer {
					t.Errorf("iss = %q, want %q", c.Issuer, testIssuer)
				}
				if len(c.Audience) != 1 || c.Audience[0] != tt.wantAud {
					t.Errorf("aud = %q, want [%q]", c.Audience, tt.wantAud)
				}
				if got := f.signer.Audience(tt.sub.ActorType); got != tt.wantAud {
					t.Errorf("Audience(%q) = %q, want %q", tt.sub.ActorType, got, tt.wantAud)
				}
				if !c.IssuedAt.Equal(epoch) || !c.NotBefore.Equal(epoch) {
					t.Errorf("iat, nbf = %v, %v, want %v", c.IssuedAt, c.NotBefore, epoch)
				}
				if want := tt.sub.ExpiresAt.Truncate(time.Second); !c.ExpiresAt.Equal(want) {
					t.Errorf("exp = %v, want %v", c.ExpiresAt, want)
				}
				if !c.AuthTime.Equal(tt.wantAuthTime) {
					t.Errorf("auth_time = %v, want %v", c.AuthTime, tt.wantAuthTime)
				}
				if !reflect.DeepEqual(c.AppMetadata, tt.wantMeta) {
					t.Errorf("app_metadata = %v, want %v", c.AppMetadata, tt.wantMeta)
				}
				if len(c.ID) != 22 { // 16 bytes in unpadded base64url
					t.Errorf("jti = %q, want 22 characters", c.ID)
				}
				if c.SessionID != tt.sub.SessionID {
					t.Errorf("sid = %q, want %q", c.SessionID, tt.sub.SessionID)
				}
			})
		}
	}
}

func TestSignHeader(t *testing.T) {
	for _, alg := range algs {
		t.Run("alg="+string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			h, _, _ := segments(t, mustSign(t, f.signer, customerSubject()))
			want := map[string]string{"alg": `"` + string(alg) + `"`, "typ": `"JWT"`, "kid": `"` + f.key.ID + `"`}
			for k, v := range want {
				if string(h[k]) != v {
					t.Errorf("header %s = %s, want %s", k, h[k], v)
				}
			}
			if len(h) != 3 {
				t.Errorf("header has %d parameters, want 3 (alg, typ, kid)", len(h))
			}
		})
	}
}

// TestSignUsesTheCurrentKey: the key source decides, at each call, which
// key signs; tokens signed by the previous key still verify.
func TestSignUsesTheCurrentKey(t *testing.T) {
	clk := clocktest.New(epoch)
	src := &switchingKeys{keys: []*keys.Key{newKey(t, keys.EdDSA), newKey(t, keys.RS256)}}
	s := mustSigner(t, testConfig(clk, src))
	before := mustSign(t, s, customerSubject())
	src.current = 1
	after := mustSign(t, s, customerSubject())
	for _, tc := range []struct {
		raw string
		k   *keys.Key
	}{{before, src.keys[0]}, {after, src.keys[1]}} {
		h, _, _ := segments(t, tc.raw)
		if string(h["kid"]) != `"`+tc.k.ID+`"` || string(h["alg"]) != `"`+string(tc.k.Alg)+`"` {
			t.Errorf("header = %s %s, want key %s", h["alg"], h["kid"], tc.k.ID)
		}
		if _, err := s.Verify(tc.raw); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
}

// switchingKeys signs with keys[current] and verifies with any of keys.
type switchingKeys struct {
	keys    []*keys.Key
	current int
	err     error
}

func (s *switchingKeys) SigningKey() (*keys.Key, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.keys[s.current], nil
}

func (s *switchingKeys) VerificationKey(kid string) (*keys.Key, error) {
	for _, k := range s.keys {
		if k.ID == kid {
			return k, nil
		}
	}
	return nil, keys.ErrUnknownKey
}

func TestSignClaimsJSON(t *testing.T) {
	tests := []struct {
		name string
		sub  token.Subject
		want map[string]string
	}{
		{
			name: "registration token keeps empty actor_id",
			sub: token.Subject{
				ActorType:      gatehouse.ActorCustomer,
				AuthIdentityID: "authid_03",
				SessionID:      "sess_03",
				ExpiresAt:      epoch.Add(time.Hour),
			},
			want: map[string]string{"actor_id": `""`, "app_metadata": `{}`},
		},
		{
			name: "empty app_metadata is an object",
			sub: token.Subject{
				ActorType:      gatehouse.ActorUser,
				ActorID:        "user_01",
				AuthIdentityID: "authid_02",
				AppMetadata:    map[string]any{},
				SessionID:      "sess_02",
				ExpiresAt:      epoch.Add(time.Hour),
			},
			want: map[string]string{"actor_id": `"user_01"`, "app_metadata": `{}`},
		},
		{
			name: "claims seeds decode",
			sub:  customerSubject(),
			want: map[string]string{
				"actor_id":         `"cus_01"`,
				"actor_type":       `"customer"`,
				"auth_identity_id": `"authid_01"`,
				"app_metadata":     `{"customer_id":"cus_01"}`,
				"sub":              `"authid_01"`,
				"aud":              `["storefront"]`,
				"iss":              `"https://auth.test"`,
				"auth_time":        strconv.FormatInt(epoch.Unix(), 10),
				"sid":              `"sess_01"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFixture(t, keys.EdDSA).signer
			_, p, _ := segments(t, mustSign(t, s, tt.sub))
			for k, v := range tt.want {
				got, ok := p[k]
				if !ok {
					t.Errorf("claim %s missing", k)
					continue
				}
				if string(got) != v {
					t.Errorf("claim %s = %s, want %s", k, got, v)
				}
			}
		})
	}
}

func TestSignJTIUnique(t *testing.T) {
	s := newFixture(t, keys.EdDSA).signer
	_, a, _ := segments(t, mustSign(t, s, customerSubject()))
	_, b, _ := segments(t, mustSign(t, s, customerSubject()))
	if string(a["jti"]) == string(b["jti"]) {
		t.Errorf("two tokens share jti %s", a["jti"])
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestSignRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*token.Subject)
		rand   bool // use a failing random source
		keys   token.KeySource
	}{
		{name: "unknown actor type", mutate: func(s *token.Subject) { s.ActorType = "admin" }},
		{name: "empty actor type", mutate: func(s *token.Subject) { s.ActorType = "" }},
		{name: "missing auth identity", mutate: func(s *token.Subject) { s.AuthIdentityID = "" }},
		{name: "missing session id", mutate: func(s *token.Subject) { s.SessionID = "" }},
		{name: "zero expiry", mutate: func(s *token.Subject) { s.ExpiresAt = time.Time{} }},
		{name: "expiry now", mutate: func(s *token.Subject) { s.ExpiresAt = epoch }},
		{name: "expiry past", mutate: func(s *token.Subject) { s.ExpiresAt = epoch.Add(-time.Second) }},
		{name: "auth time future", mutate: func(s *token.Subject) { s.AuthTime = epoch.Add(time.Second) }},
		{name: "metadata too large", mutate: func(s *token.Subject) {
			s.AppMetadata = map[string]any{"pad": strings.Repeat("x", token.MaxTokenLen)}
		}},
		{name: "metadata not encodable", mutate: func(s *token.Subject) {
			s.AppMetadata = map[string]any{"f": func() {}}
		}},
		{name: "random source fails", rand: true},
		{name: "no signing key", keys: &switchingKeys{err: keys.ErrNoSigningKey}},
		{name: "a key that only verifies", keys: &switchingKeys{keys: []*keys.Key{verifyOnly(t)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(clocktest.New(epoch), ring(t, newKey(t, keys.HS256)))
			if tt.rand {
				cfg.Rand = failingReader{}
			}
			if tt.keys != nil {
				cfg.Keys = tt.keys
			}
			s := mustSigner(t, cfg)
			sub := customerSubject()
			if tt.mutate != nil {
				tt.mutate(&sub)
			}
			raw, err := s.Sign(sub)
			if err == nil {
				t.Fatalf("Sign = %q, want an error", raw)
			}
			if raw != "" {
				t.Errorf("Sign returned a token with its error")
			}
			assertNoSecret(t, err.Error())
		})
	}
}

// verifyOnly returns an Ed25519 key without its private half, as a ring
// loads a database key when keys come from files.
func verifyOnly(tb testing.TB) *keys.Key {
	tb.Helper()
	k, err := keys.Thumbprint(newKey(tb, keys.EdDSA).PublicKey())
	if err != nil {
		tb.Fatal(err)
	}
	return &keys.Key{ID: k, Alg: keys.EdDSA}
}

// An impersonation token carries the acting admin as the RFC 8693 act
// claim, and keeps it through the verification cache; no other token has
// one.
func TestActClaim(t *testing.T) {
	f := newFixture(t, keys.EdDSA)
	for _, tt := range []struct {
		name string
		by   string
		want *token.Act
	}{
		{"impersonation", "user_07", &token.Act{Sub: "user_07"}},
		{"own sign-in", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub := customerSubject()
			sub.ImpersonatedBy = tt.by
			raw := mustSign(t, f.signer, sub)
			for try := 1; try <= 2; try++ { // the second is a cache hit
				c, err := f.signer.Verify(raw)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(c.Act, tt.want) {
					t.Errorf("try %d: act = %+v, want %+v", try, c.Act, tt.want)
				}
				if c.Act != nil {
					c.Act.Sub = "tampered"
				}
			}
		})
	}
}
