package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
)

// PublicKeys are the keys that verify the service's tokens, for other
// services to fetch.
type PublicKeys interface {
	// JWKS returns the public keys to publish: every key that has not
	// expired, pending ones included, never an HS256 secret.
	JWKS() []keys.JWK
	// SigningAlgs returns the algorithms of the keys that verify tokens.
	SigningAlgs() []string
}

// jwksPath is where the key set is published, under the issuer.
const jwksPath = "/.well-known/jwks.json"

// handleJWKS serves the JSON Web Key Set (RFC 7517). Verifiers may cache
// it for maxAge; its ETag, a digest of the body, lets them revalidate
// with If-None-Match for a 304 instead of the keys.
func handleJWKS(k PublicKeys, maxAge time.Duration) http.Handler {
	cacheControl := fmt.Sprintf("public, max-age=%d", int(maxAge/time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set := struct {
			Keys []keys.JWK `json:"keys"`
		}{Keys: k.JWKS()}
		if set.Keys == nil {
			set.Keys = []keys.JWK{}
		}
		serveCached(w, r, set, cacheControl)
	})
}

// openIDConfiguration is the subset of OpenID Connect Discovery 1.0
// metadata that lets a verifier find the keys from the issuer alone.
// gatehouse is not an OpenID provider; the members the specification
// requires are given for the libraries that insist on them, and name the
// one thing it issues: access tokens, for public subjects.
type openIDConfiguration struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
}

// handleOpenIDConfiguration serves the discovery document for issuer.
func handleOpenIDConfiguration(issuer string, k PublicKeys, maxAge time.Duration) http.Handler {
	cacheControl := fmt.Sprintf("public, max-age=%d", int(maxAge/time.Second))
	jwksURI := strings.TrimSuffix(issuer, "/") + jwksPath
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveCached(w, r, openIDConfiguration{
			Issuer:                           issuer,
			JWKSURI:                          jwksURI,
			IDTokenSigningAlgValuesSupported: k.SigningAlgs(),
			SubjectTypesSupported:            []string{"public"},
			ResponseTypesSupported:           []string{"token"},
		}, cacheControl)
	})
}

// serveCached writes v as JSON with a strong ETag (a digest of the body)
// and cacheControl; http.ServeContent answers If-None-Match, in all its
// forms, with 304.
func serveCached(w http.ResponseWriter, r *http.Request, v any, cacheControl string) {
	body, err := json.Marshal(v)
	if err != nil {
		// Strings and slices of strings always marshal.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", cacheControl)
	// Public documents, read without credentials: any page may fetch them
	// (a browser-side verifier, a developer's tool).
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("ETag", `"`+base64.RawURLEncoding.EncodeToString(sum[:16])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
