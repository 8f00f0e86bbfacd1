package keys_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/keys"
)

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ed := mustEd25519Key(t)
	rsa3072 := mustRSAKey(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPath := write("ed.pem", pkcs8PEM(t, ed.SignKey()))
	rsaPath := write("rsa.pem", pkcs8PEM(t, rsa3072.SignKey()))
	rsa2048Path := write("rsa2048.pem", pkcs8PEM(t, rsa2048))
	secretPEM := pkcs8PEM(t, small)

	for _, tc := range []struct {
		name     string
		paths    []string
		wantKids []string
		wantAlgs []keys.Alg
		wantErr  []string
	}{
		{name: "Ed25519 then RSA", paths: []string{edPath, rsaPath}, wantKids: []string{ed.ID, rsa3072.ID}, wantAlgs: []keys.Alg{keys.EdDSA, keys.RS256}},
		{name: "RSA of 2048 bits", paths: []string{rsa2048Path}, wantAlgs: []keys.Alg{keys.RS256}},
		{name: "RSA of 1024 bits", paths: []string{write("small.pem", secretPEM)}, wantErr: []string{"small.pem", "1024 bits"}},
		{name: "PKCS #1", paths: []string{write("pkcs1.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa2048)}))},
			wantErr: []string{"pkcs1.pem", "not PKCS #8", "openssl pkcs8"}},
		{name: "ECDSA", paths: []string{write("ec.pem", pkcs8PEM(t, ec))}, wantErr: []string{"ec.pem", "unsupported key type"}},
		{name: "public key", paths: []string{write("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}))}, wantErr: []string{"not a private key"}},
		{name: "not PEM", paths: []string{write("junk.pem", []byte("hello"))}, wantErr: []string{"junk.pem", "no PEM block"}},
		{name: "garbage in a PEM block", paths: []string{write("garbage.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")}))}, wantErr: []string{"garbage.pem", "PKCS #8"}},
		{name: "missing file", paths: []string{filepath.Join(dir, "missing.pem")}, wantErr: []string{"missing.pem"}},
		{name: "the same key twice", paths: []string{edPath, rsaPath, edPath}, wantErr: []string{"same key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, err := keys.LoadFiles(tc.paths)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("LoadFiles succeeded")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "MII") || strings.Contains(err.Error(), "BEGIN") {
					t.Errorf("error %q quotes the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ks) != len(tc.wantAlgs) {
				t.Fatalf("loaded %d keys, want %d", len(ks), len(tc.wantAlgs))
			}
			for i, k := range ks {
				if k.Alg != tc.wantAlgs[i] || !k.CanSign() || k.State(t0) != keys.StateActive {
					t.Errorf("key %d = %v", i, k)
				}
				if tc.wantKids != nil && k.ID != tc.wantKids[i] {
					t.Errorf("key %d has kid %s, want %s", i, k.ID, tc.wantKids[i])
				}
			}
		})
	}
}
