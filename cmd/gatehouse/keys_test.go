package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const e2eIssuer = "https://auth.e2e.test"

// jwk is a published key as another service reads it.
type jwk struct {
	Kty, Crv, X, N, E, Use, Alg, Kid string
}

// fetch GETs base+path and returns the response with its body read.
func fetch(t *testing.T, base, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// fetchJWKS returns the key set a server publishes, checking its cache
// headers.
func fetchJWKS(t *testing.T, base string) []jwk {
	t.Helper()
	resp, body := fetch(t, base, "/.well-known/jwks.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET jwks.json = %d %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=600" {
		t.Errorf("Cache-Control = %q", got)
	}
	etag := resp.Header.Get("ETag")
	if again, _ := fetch(t, base, "/.well-known/jwks.json", "If-None-Match", etag); etag == "" || again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating ETag %q = %d, want 304", etag, again.StatusCode)
	}
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("jwks.json: %v: %s", err, body)
	}
	return set.Keys
}

// verifyWithJWKS verifies raw as another service would: with golang-jwt,
// the published key its kid names, that key's algorithm, the issuer and
// the audience; no shared secret.
func verifyWithJWKS(t *testing.T, raw string, set []jwk, audience string) (kid string, claims jwt.MapClaims) {
	t.Helper()
	claims = jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		i := slices.IndexFunc(set, func(k jwk) bool { return k.Kid == kid })
		if i < 0 {
			return nil, errors.New("no published key has this kid")
		}
		k := set[i]
		if tok.Method.Alg() != k.Alg || k.Use != "sig" {
			return nil, fmt.Errorf("token alg %s for a %s key", tok.Method.Alg(), k.Alg)
		}
		b64 := base64.RawURLEncoding.DecodeString
		switch k.Kty {
		case "OKP":
			x, err := b64(k.X)
			if err != nil || k.Crv != "Ed25519" {
				return nil, errors.New("bad OKP key")
			}
			return ed25519.PublicKey(x), nil
		case "RSA":
			n, err1 := b64(k.N)
			e, err2 := b64(k.E)
			if err1 != nil || err2 != nil {
				return nil, errors.New("bad RSA key")
			}
			return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
		}
		return nil, fmt.Errorf("key type %q", k.Kty)
	}, jwt.WithValidMethods([]string{"EdDSA", "RS256"}), jwt.WithIssuer(e2eIssuer), jwt.WithAudience(audience), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("another service cannot verify the token with the published keys: %v", err)
	}
	kid, _ = tok.Header["kid"].(string)
	return kid, claims
}

// signIn registers a customer on a server and signs it in; it returns the
// access token of the sign-in.
func signIn(t *testing.T, base, email string) string {
	t.Helper()
	c := client{t, base}
	var reg tk
	c.field(c.do("", `mutation($e: String!) { register(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: "a signing passphrase"}) { `+ticketQ+` } }`, map[string]any{"e": email}), "register", &reg)
	var created struct{ Customer struct{ ID string } }
	c.field(c.do(reg.Ticket.AccessToken, `mutation { createCustomer(input: {firstName: "K"}) { customer { id } errors { code } } }`, nil), "createCustomer", &created)
	return authenticate(t, base, email)
}

func authenticate(t *testing.T, base, email string) string {
	t.Helper()
	c := client{t, base}
	var signedIn tk
	c.field(c.do("", `mutation($e: String!) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: $e, password: "a signing passphrase"}) { `+ticketQ+` } }`, map[string]any{"e": email}), "authenticate", &signedIn)
	return signedIn.Ticket.AccessToken
}

// runKeys runs `gatehouse keys …` and returns its standard output.
func runKeys(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, append([]string{"keys"}, args...)); err != nil {
		t.Fatalf("keys %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// listStates returns `keys list` as kid → state.
func listStates(t *testing.T, getenv func(string) string) map[string]string {
	t.Helper()
	out := runKeys(t, getenv, "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if strings.Join(strings.Fields(lines[0]), " ") != "KID ALG STATE CREATED ACTIVATES RETIRED EXPIRES" {
		t.Fatalf("keys list header = %q", lines[0])
	}
	states := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		states[f[0]] = f[2]
	}
	return states
}

// TestSigningKeysEndToEnd: another service verifies gatehouse's tokens
// with nothing but its published keys, across a rotation, as the running
// binary serves them.
func TestSigningKeysEndToEnd(t *testing.T) {
	kekBytes := make([]byte, 32)
	if _, err := rand.Read(kekBytes); err != nil {
		t.Fatal(err)
	}
	kek := base64.StdEncoding.EncodeToString(kekBytes)
	for _, tc := range []struct {
		name string
		url  func(testing.TB) string
		alg  string
	}{
		{"database=sqlite/alg=EdDSA", storetest.SQLite, "EdDSA"},
		{"database=postgres/alg=EdDSA", storetest.Postgres, "EdDSA"},
		{"database=sqlite/alg=RS256", storetest.SQLite, "RS256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := testEnv(tc.url(t), "GATEHOUSE_SIGNING_ALG", tc.alg, "GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_ISSUER", e2eIssuer)
			base, logs := startServer(t, getenv)

			resp, body := fetch(t, base, "/.well-known/openid-configuration")
			var disc struct {
				Issuer  string   `json:"issuer"`
				JWKSURI string   `json:"jwks_uri"`
				Algs    []string `json:"id_token_signing_alg_values_supported"`
			}
			if err := json.Unmarshal(body, &disc); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("openid-configuration = %d %s", resp.StatusCode, body)
			}
			if disc.Issuer != e2eIssuer || disc.JWKSURI != e2eIssuer+"/.well-known/jwks.json" || !slices.Equal(disc.Algs, []string{tc.alg}) {
				t.Fatalf("openid-configuration = %+v", disc)
			}

			set := fetchJWKS(t, base)
			if len(set) != 1 || set[0].Alg != tc.alg || set[0].Use != "sig" {
				t.Fatalf("jwks = %+v, want one %s key", set, tc.alg)
			}
			first := set[0].Kid
			tok := signIn(t, base, "keys@example.com")
			kid, claims := verifyWithJWKS(t, tok, set, "gatehouse:customer")
			if kid != first || claims["sid"] == "" || claims["actor_type"] != "customer" {
				t.Fatalf("token kid %s, claims %v", kid, claims)
			}

			// Rotation publishes before it signs.
			out := runKeys(t, getenv, "rotate")
			if !strings.HasPrefix(out, "added signing key ") {
				t.Fatalf("keys rotate printed %q", out)
			}
			second := strings.Fields(out)[3]
			if got := listStates(t, getenv); got[first] != "active" || got[second] != "pending" || len(got) != 2 {
				t.Fatalf("keys list after rotate = %v", got)
			}
			// Another instance, started now, publishes both keys and signs
			// with the first until the second activates.
			base2, _ := startServer(t, getenv)
			set2 := fetchJWKS(t, base2)
			if len(set2) != 2 || set2[0].Kid != first || set2[1].Kid != second {
				t.Fatalf("second instance publishes %+v, want %s then %s", set2, first, second)
			}
			if kid, _ := verifyWithJWKS(t, authenticate(t, base2, "keys@example.com"), set2, "gatehouse:customer"); kid != first {
				t.Fatalf("second instance signs with %s before activation, want %s", kid, first)
			}
			verifyWithJWKS(t, tok, set2, "gatehouse:customer")

			// After a compromise, --now: an instance signs with the new key
			// at once, and it verifies from that instance's key set.
			out = runKeys(t, getenv, "rotate", "--now")
			third := strings.Fields(out)[3]
			base3, _ := startServer(t, getenv)
			set3 := fetchJWKS(t, base3)
			if kid, _ := verifyWithJWKS(t, authenticate(t, base3, "keys@example.com"), set3, "gatehouse:customer"); kid != third {
				t.Fatalf("third instance signs with %s, want %s", kid, third)
			}
			if got := listStates(t, getenv); got[first] != "retired" || got[second] != "retired" || got[third] != "active" {
				t.Fatalf("keys list after rotate --now = %v", got)
			}
			// The retired keys still verify: the first token is good.
			verifyWithJWKS(t, tok, set3, "gatehouse:customer")

			if l := logs.String(); strings.Contains(l, kek) || strings.Contains(l, kek[:16]) {
				t.Fatal("the log holds the key-encryption key")
			}
		})
	}

	// HS256 publishes nothing.
	t.Run("HS256", func(t *testing.T) {
		getenv := testEnv(storetest.SQLite(t), "GATEHOUSE_SIGNING_ALG", "HS256", "GATEHOUSE_ISSUER", e2eIssuer)
		base, _ := startServer(t, getenv)
		if set := fetchJWKS(t, base); len(set) != 0 {
			t.Fatalf("jwks = %+v, want no keys", set)
		}
		tok := signIn(t, base, "hs256@example.com")
		h, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		if err != nil || !strings.Contains(string(h), `"alg":"HS256"`) {
			t.Fatalf("token header = %s", h)
		}
		var errOut bytes.Buffer
		err = runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errOut}, []string{"keys", "rotate"})
		if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_JWT_SECRET") {
			t.Fatalf("keys rotate with HS256: %v", err)
		}
	})

	t.Run("wrong key-encryption key", func(t *testing.T) {
		url := storetest.SQLite(t)
		runKeys(t, testEnv(url, "GATEHOUSE_KEY_ENCRYPTION_KEY", kek), "rotate")
		other := base64.StdEncoding.EncodeToString(make([]byte, 32))
		err := runEnv(context.Background(), env{getenv: testEnv(url, "GATEHOUSE_KEY_ENCRYPTION_KEY", other), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}, []string{"serve"})
		if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_KEY_ENCRYPTION_KEY does not open signing key") {
			t.Fatalf("serve with another KEK: %v", err)
		}
	})
}

func TestKeysCommand(t *testing.T) {
	// A session at a terminal: each subtest replays the commands before
	// it on a database of its own, so that it runs alone.
	rows := []struct {
		name    string
		args    []string
		wantErr bool
		stdout  string
	}{
		{"help", []string{"keys", "--help"}, false, "keys rotate [--now] | keys list"},
		{"rotate help", []string{"keys", "rotate", "--help"}, false, "-now"},
		{"listed in the usage", []string{"--help"}, false, "keys"},
		{"no verb", []string{"keys"}, true, ""},
		{"unknown verb", []string{"keys", "delete"}, true, ""},
		{"list with --now", []string{"keys", "list", "--now"}, true, ""},
		{"two verbs", []string{"keys", "list", "rotate"}, true, ""},
		{"list on a fresh database", []string{"keys", "list"}, false, "KID"},
		{"rotate on a fresh database", []string{"keys", "rotate"}, false, "added signing key"},
		{"list after", []string{"keys", "list"}, false, "active"},
	}
	for i, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			getenv := testEnv(storetest.SQLite(t))
			for _, prev := range rows[:i] {
				_ = runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}, prev.args)
			}
			var out, errOut bytes.Buffer
			err := runEnv(context.Background(), env{getenv: getenv, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, stderr:\n%s", err, errOut.String())
			}
			if !strings.Contains(out.String(), tc.stdout) {
				t.Fatalf("stdout = %q, want it to contain %q", out.String(), tc.stdout)
			}
		})
	}
}
