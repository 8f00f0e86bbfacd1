package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
)

// fakeKeys publishes a settable key set.
type fakeKeys struct {
	mu   sync.Mutex
	jwks []keys.JWK
	algs []string
}

func (f *fakeKeys) JWKS() []keys.JWK {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwks
}

func (f *fakeKeys) SigningAlgs() []string { return f.algs }

func (f *fakeKeys) set(jwks ...keys.JWK) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwks = jwks
}

var (
	edJWK  = keys.JWK{Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", Use: "sig", Alg: "EdDSA", Kid: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"}
	rsaJWK = keys.JWK{Kty: "RSA", N: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc", E: "AQAB", Use: "sig", Alg: "RS256", Kid: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"}
)

func wellKnownServer(k PublicKeys) http.Handler {
	return New(Options{
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		GraphQL:    http.NotFoundHandler(),
		Keys:       k,
		Issuer:     "https://auth.example.com/",
		JWKSMaxAge: 10 * time.Minute,
	})
}

func get(t *testing.T, h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestJWKS(t *testing.T) {
	k := &fakeKeys{algs: []string{"EdDSA", "RS256"}}
	k.set(edJWK, rsaJWK)
	h := wellKnownServer(k)

	rec := get(t, h, "GET", "/.well-known/jwks.json")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET = %d %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=600" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want * (a public document, no credentials)", got)
	}
	etag := rec.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag = %q, want a strong one", etag)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"kty": "OKP", "crv": "Ed25519", "x": edJWK.X, "use": "sig", "alg": "EdDSA", "kid": edJWK.Kid},
		{"kty": "RSA", "n": rsaJWK.N, "e": "AQAB", "use": "sig", "alg": "RS256", "kid": rsaJWK.Kid},
	}
	if len(set.Keys) != len(want) {
		t.Fatalf("keys = %v", set.Keys)
	}
	for i, w := range want {
		if len(set.Keys[i]) != len(w) {
			t.Errorf("key %d has members %v, want exactly %v", i, set.Keys[i], w)
		}
		for m, v := range w {
			if set.Keys[i][m] != v {
				t.Errorf("key %d: %s = %q, want %q", i, m, set.Keys[i][m], v)
			}
		}
	}

	for _, tc := range []struct {
		name, ifNoneMatch string
		status            int
	}{
		{"same ETag", etag, http.StatusNotModified},
		{"weak form of the ETag", "W/" + etag, http.StatusNotModified},
		{"in a list", `"other", ` + etag, http.StatusNotModified},
		{"star", "*", http.StatusNotModified},
		{"another ETag", `"other"`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, "GET", "/.well-known/jwks.json", "If-None-Match", tc.ifNoneMatch)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d", rec.Code, tc.status)
			}
			if rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") != "public, max-age=600" {
				t.Errorf("headers = %v", rec.Header())
			}
			if tc.status == http.StatusNotModified && rec.Body.Len() != 0 {
				t.Errorf("304 with a body: %s", rec.Body)
			}
		})
	}

	// A rotation changes the ETag.
	t.Run("rotation", func(t *testing.T) {
		k.set(edJWK)
		rec := get(t, h, "GET", "/.well-known/jwks.json", "If-None-Match", etag)
		if rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag || strings.Contains(rec.Body.String(), rsaJWK.Kid) {
			t.Fatalf("after the key set changed: %d %s %s", rec.Code, rec.Header().Get("ETag"), rec.Body)
		}
	})
	t.Run("no keys", func(t *testing.T) {
		k.set()
		rec := get(t, h, "GET", "/.well-known/jwks.json")
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"keys":[]}` {
			t.Fatalf("empty set = %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		if rec := get(t, h, "HEAD", "/.well-known/jwks.json"); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("HEAD = %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("POST", func(t *testing.T) {
		// The catch-all route answers other methods with 404.
		if rec := get(t, h, "POST", "/.well-known/jwks.json"); rec.Code != http.StatusNotFound {
			t.Fatalf("POST = %d", rec.Code)
		}
	})
}

func TestOpenIDConfiguration(t *testing.T) {
	h := wellKnownServer(&fakeKeys{algs: []string{"EdDSA", "RS256"}})
	rec := get(t, h, "GET", "/.well-known/openid-configuration")
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "public, max-age=600" || rec.Header().Get("ETag") == "" {
		t.Fatalf("GET = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	var doc struct {
		Issuer        string   `json:"issuer"`
		JWKSURI       string   `json:"jwks_uri"`
		Algs          []string `json:"id_token_signing_alg_values_supported"`
		SubjectTypes  []string `json:"subject_types_supported"`
		ResponseTypes []string `json:"response_types_supported"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != "https://auth.example.com/" || doc.JWKSURI != "https://auth.example.com/.well-known/jwks.json" ||
		strings.Join(doc.Algs, ",") != "EdDSA,RS256" || strings.Join(doc.SubjectTypes, ",") != "public" || len(doc.ResponseTypes) == 0 {
		t.Fatalf("document = %+v", doc)
	}
	if rec := get(t, h, "GET", "/.well-known/openid-configuration", "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation = %d", rec.Code)
	}
}

func TestWellKnownNeedsKeys(t *testing.T) {
	h := New(Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), GraphQL: http.NotFoundHandler()})
	for _, path := range []string{"/.well-known/jwks.json", "/.well-known/openid-configuration"} {
		if rec := get(t, h, "GET", path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s without keys = %d", path, rec.Code)
		}
	}
}
