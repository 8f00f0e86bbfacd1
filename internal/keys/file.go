package keys

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// LoadFiles reads one private key from each PEM file, in order. The keys
// are always active and never expire: the files are their life, and
// changing them is how they are rotated. Errors name the file, never its
// content.
func LoadFiles(paths []string) ([]*Key, error) {
	var out []*Key
	seen := map[string]string{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("keys: read signing key file: %w", err)
		}
		k, err := ParsePEM(b)
		if err != nil {
			return nil, fmt.Errorf("keys: signing key file %s: %w", path, err)
		}
		if other, dup := seen[k.ID]; dup {
			return nil, fmt.Errorf("keys: signing key files %s and %s hold the same key", other, path)
		}
		seen[k.ID] = path
		out = append(out, k)
	}
	return out, nil
}

// ParsePEM parses a PKCS #8 Ed25519 or RSA private key (RSA of at least
// MinRSABits bits) from the first PEM block of b.
func ParsePEM(b []byte) (*Key, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "PRIVATE KEY":
	case "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("%s is not PKCS #8; convert it with `openssl pkcs8 -topk8 -nocrypt`", block.Type)
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the private key is encrypted; give it unencrypted, protected by the file's permissions")
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		// x509's message names the structure that failed, never its bytes.
		return nil, fmt.Errorf("parse PKCS #8 private key: %w", err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T (want Ed25519 or RSA)", priv)
	}
	return fromPrivate(signer)
}
