package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// KEKSize is the size of the key-encryption key, in bytes.
const KEKSize = 32

// Labels of the keys derived from the KEK: each use has its own key, so
// that no two uses ever share one.
const (
	sealLabel        = "gatehouse signing-key seal v1"
	fingerprintLabel = "gatehouse key-encryption-key fingerprint v1"
)

// ParseKEK decodes a key-encryption key: KEKSize bytes in base64, standard
// or URL alphabet, padded or not. Its errors never quote s.
func ParseKEK(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KEKSize {
				return nil, fmt.Errorf("must be %d bytes, base64-encoded (got %d bytes)", KEKSize, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("must be %d bytes, base64-encoded (standard or URL alphabet)", KEKSize)
}

// NewKEK returns a new key-encryption key read from r, in standard base64.
func NewKEK(r io.Reader) (string, error) {
	b := make([]byte, KEKSize)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("keys: read key-encryption key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DeriveKey returns the 32-byte key for one use of the KEK, named by
// label: HKDF-SHA256 (RFC 5869) with no salt and label as the info. Keys
// derived under different labels are independent, and none reveals the
// KEK.
func DeriveKey(kek []byte, label string) []byte {
	k, err := hkdf.Key(sha256.New, kek, nil, label, 32)
	if err != nil {
		// HKDF-SHA256 fails only for outputs over 8160 bytes.
		panic("keys: derive key: " + err.Error())
	}
	return k
}

// KEKFingerprint names a KEK without revealing it: 64 bits of a key
// derived from it. Stored beside every sealed key, it tells a wrong KEK
// from a corrupted key.
func KEKFingerprint(kek []byte) string {
	return base64.RawURLEncoding.EncodeToString(DeriveKey(kek, fingerprintLabel)[:8])
}

// seal encrypts plaintext (a PKCS #8 private key) with AES-256-GCM under
// a key derived from the KEK, binding it to kid as additional data, so a
// sealed key moved to another row does not open. The result is base64 of
// the random nonce followed by the ciphertext and tag.
func seal(kek []byte, kid string, plaintext []byte) (string, error) {
	aead, err := sealer(kek)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(aead.Seal(nil, nil, plaintext, []byte(kid))), nil
}

// errOpen says a sealed key did not open; callers name the key.
var errOpen = errors.New("sealed private key does not open")

// open reverses seal.
func open(kek []byte, kid, sealed string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, errOpen
	}
	aead, err := sealer(kek)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nil, b, []byte(kid))
	if err != nil {
		return nil, errOpen
	}
	return pt, nil
}

func sealer(kek []byte) (cipher.AEAD, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("keys: the key-encryption key must be %d bytes", KEKSize)
	}
	block, err := aes.NewCipher(DeriveKey(kek, sealLabel))
	if err != nil {
		return nil, err
	}
	// A random 96-bit nonce per seal: keys are sealed a handful of times
	// under one KEK, far below GCM's limit for random nonces.
	return cipher.NewGCMWithRandomNonce(block)
}
