package keys

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"time"
)

// Record is a key as the database keeps it: the public key in the clear,
// the private key sealed under the key-encryption key.
type Record struct {
	ID  string `bun:"kid,pk"`
	Alg Alg    `bun:"alg,notnull"`
	// PublicKey is the PKIX (SubjectPublicKeyInfo) DER, base64.
	PublicKey string `bun:"public_key,notnull"`
	// PrivateKey is the PKCS #8 DER sealed with AES-256-GCM under a key
	// derived from the KEK, with the kid as additional data, base64.
	PrivateKey string `bun:"private_key,notnull"`
	// KEKFingerprint names the KEK that sealed PrivateKey.
	KEKFingerprint string     `bun:"kek_fingerprint,notnull"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	ActivatesAt    time.Time  `bun:"activates_at,notnull"`
	RetiredAt      *time.Time `bun:"retired_at"`
	ExpiresAt      *time.Time `bun:"expires_at"`
}

// Store keeps signing keys. Every key any process signs with is in it, so
// that every process verifies what any other signs.
type Store interface {
	// SigningKeys returns the keys that have not expired at now (every
	// key when now is zero), in order of activation (then of creation,
	// then of kid).
	SigningKeys(ctx context.Context, now time.Time) ([]*Record, error)
	// CreateFirstSigningKey inserts r unless a key of r.Alg is active at
	// now (activated, not retired), and reports whether it did. Calls are
	// serialized, across processes: of two racing on a table without an
	// active key, exactly one inserts.
	CreateFirstSigningKey(ctx context.Context, r *Record, now time.Time) (bool, error)
	// RotateSigningKey inserts r and, in the same transaction, retires at
	// r.ActivatesAt every other key that would still sign then (not
	// retired, or retired later), setting its expiry to expiresAt. Calls
	// are serialized with each other and with CreateFirstSigningKey.
	RotateSigningKey(ctx context.Context, r *Record, expiresAt time.Time) error
	// SigningKeyGeneration returns a number that every change to the keys
	// changes, in the change's own transaction: a Ring polls it, every
	// PollEvery, and reloads the keys only when it moved. It must be
	// cheap (one row by its key) and need nothing of a session, so that
	// it works through a pooler such as pgbouncer.
	SigningKeyGeneration(ctx context.Context) (int64, error)
}

// sealedRecord returns k as the database keeps it, its private half
// sealed under kek.
func sealedRecord(k *Key, kek []byte) (*Record, error) {
	if k.private == nil || !k.Alg.Asymmetric() {
		return nil, fmt.Errorf("keys: key %s has no private half to store", k.ID)
	}
	pub, err := x509.MarshalPKIXPublicKey(k.public)
	if err != nil {
		return nil, fmt.Errorf("keys: encode public key %s: %w", k.ID, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.private)
	if err != nil {
		return nil, fmt.Errorf("keys: encode private key %s: %w", k.ID, err)
	}
	sealed, err := seal(kek, k.ID, der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("keys: seal private key %s: %w", k.ID, err)
	}
	return &Record{
		ID:             k.ID,
		Alg:            k.Alg,
		PublicKey:      base64.StdEncoding.EncodeToString(pub),
		PrivateKey:     sealed,
		KEKFingerprint: KEKFingerprint(kek),
		CreatedAt:      k.CreatedAt,
		ActivatesAt:    k.ActivatesAt,
		RetiredAt:      k.RetiredAt,
		ExpiresAt:      k.ExpiresAt,
	}, nil
}

// publicKey returns the verify-only key r holds, checking that its kid
// and algorithm are those of its public key.
func (r *Record) publicKey() (*Key, error) {
	der, err := base64.StdEncoding.DecodeString(r.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("keys: signing key %s: public key is not base64", r.ID)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("keys: signing key %s: parse public key: %w", r.ID, err)
	}
	k, err := fromPublic(pub)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.ID, err)
	}
	if k.ID != r.ID || k.Alg != r.Alg {
		return nil, fmt.Errorf("keys: signing key %s: kid or algorithm does not match its public key", r.ID)
	}
	r.setLife(k)
	return k, nil
}

func (r *Record) setLife(k *Key) {
	k.CreatedAt, k.ActivatesAt, k.RetiredAt, k.ExpiresAt = r.CreatedAt, r.ActivatesAt, r.RetiredAt, r.ExpiresAt
}

// openKey returns the key r holds with its private half, unsealed under
// kek. A wrong KEK is named as such, and told from a damaged key.
func (r *Record) openKey(kek []byte) (*Key, error) {
	pub, err := r.publicKey()
	if err != nil {
		return nil, err
	}
	if fp := KEKFingerprint(kek); fp != r.KEKFingerprint {
		return nil, fmt.Errorf("GATEHOUSE_KEY_ENCRYPTION_KEY does not open signing key %s: it was sealed under the key-encryption key with fingerprint %s, and this one's is %s",
			r.ID, r.KEKFingerprint, fp)
	}
	der, err := open(kek, r.ID, r.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("keys: signing key %s: %w (the key-encryption key matches: the row is damaged)", r.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("keys: signing key %s: parse private key: %w", r.ID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("keys: signing key %s: unsupported private key type %T", r.ID, priv)
	}
	k, err := fromPrivate(signer)
	if err != nil {
		return nil, err
	}
	if k.ID != pub.ID {
		return nil, fmt.Errorf("keys: signing key %s: private key does not match its public key", r.ID)
	}
	r.setLife(k)
	return k, nil
}
