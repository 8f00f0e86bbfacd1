// Package keys provides the service's token-signing keys: Ed25519 (EdDSA,
// the default) and RSA (RS256) keys kept in the database with their private
// halves sealed under the key-encryption key, or loaded from PEM files, and
// the HS256 secret of single-service set-ups. A Ring holds the keys a
// process signs and verifies with, and follows rotations other processes
// make.
//
// It declares the Store it keeps keys in; internal/store implements it.
//
// It must never write a private key, a secret or the key-encryption key
// into an error, a log line or a String method's output, never store a
// private key unsealed, and never publish an HS256 key.
package keys
