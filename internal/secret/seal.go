package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
)

// ErrOpen says sealed data did not open: another key, another binding, or
// tampering.
var ErrOpen = errors.New("secret: sealed data does not open")

// Seal encrypts plaintext with AES-256-GCM under key (32 bytes), binding it
// to ad (the row it belongs to), so that sealed data moved to another row
// does not open. The result is base64 of nonce, ciphertext and tag.
func Seal(key []byte, ad string, plaintext []byte) (string, error) {
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(aead.Seal(nil, nil, plaintext, []byte(ad))), nil
}

// Open reverses Seal.
func Open(key []byte, ad, sealed string) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, nil, b, []byte(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("secret: a sealing key is 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	// A random 96-bit nonce per seal.
	return cipher.NewGCMWithRandomNonce(block)
}
