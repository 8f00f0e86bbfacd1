package keys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Key sizes.
const (
	// RSABits is the size of the RSA keys Generate makes.
	RSABits = 3072
	// MinRSABits is the smallest RSA key accepted from a file.
	MinRSABits = 2048
	// MinSecretLen is the shortest HS256 secret.
	MinSecretLen = 32
)

// Key is one signing key: its public half (or, for HS256, its secret), its
// private half when this process may sign with it, and its life. Keys are
// shared once made: never modify one.
type Key struct {
	// ID is the kid: the RFC 7638 JWK thumbprint of the public key, or
	// for HS256 a digest of the secret.
	ID  string
	Alg Alg
	// CreatedAt is when the key was made.
	CreatedAt time.Time
	// ActivatesAt is when the key starts signing; before it the key is
	// published but signs nothing, so that verifiers' caches learn it
	// first.
	ActivatesAt time.Time
	// RetiredAt, once set, is when the key stops signing; it still
	// verifies until ExpiresAt.
	RetiredAt *time.Time
	// ExpiresAt, once set, is when the key stops verifying and is no
	// longer published: every token it signed has expired by then.
	ExpiresAt *time.Time

	public  crypto.PublicKey // ed25519.PublicKey or *rsa.PublicKey; nil for HS256
	private crypto.Signer    // ed25519.PrivateKey or *rsa.PrivateKey; nil when the key only verifies
	secret  []byte           // HS256
}

// State is where a key is in its life at a moment.
type State string

// Key states, in life order.
const (
	StatePending State = "pending" // published, not signing yet
	StateActive  State = "active"  // signing (the newest active key signs)
	StateRetired State = "retired" // verifying only
	StateExpired State = "expired" // neither published nor accepted
)

// State returns k's state at now.
func (k *Key) State(now time.Time) State {
	switch {
	case k.Expired(now):
		return StateExpired
	case k.RetiredAt != nil && !now.Before(*k.RetiredAt):
		return StateRetired
	case k.ActivatesAt.After(now):
		return StatePending
	}
	return StateActive
}

// Expired reports whether k no longer verifies at now.
func (k *Key) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

// SignsAt reports whether k may sign at now: this process holds its
// private half and it is active.
func (k *Key) SignsAt(now time.Time) bool {
	return k.CanSign() && k.State(now) == StateActive
}

// CanSign reports whether this process holds k's private half.
func (k *Key) CanSign() bool { return k.private != nil || k.secret != nil }

// SignKey returns what golang-jwt's signing method for k.Alg signs with:
// an ed25519.PrivateKey, an *rsa.PrivateKey or the HS256 secret; nil when
// k only verifies.
func (k *Key) SignKey() any {
	switch {
	case k.secret != nil:
		return k.secret
	case k.private != nil:
		return k.private
	}
	return nil
}

// VerifyKey returns what golang-jwt's signing method for k.Alg verifies
// with: an ed25519.PublicKey, an *rsa.PublicKey or the HS256 secret.
func (k *Key) VerifyKey() any {
	if k.secret != nil {
		return k.secret
	}
	return k.public
}

// PublicKey returns k's public half, or nil for an HS256 key.
func (k *Key) PublicKey() crypto.PublicKey { return k.public }

// Generate makes a new key of an asymmetric algorithm (RSA keys have
// RSABits bits), created and active at now. Key generation reads the
// operating system's randomness, whatever the caller would inject.
func Generate(alg Alg, now time.Time) (*Key, error) {
	var priv crypto.Signer
	switch alg {
	case EdDSA:
		_, p, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: generate Ed25519 key: %w", err)
		}
		priv = p
	case RS256:
		p, err := rsa.GenerateKey(rand.Reader, RSABits)
		if err != nil {
			return nil, fmt.Errorf("keys: generate RSA key: %w", err)
		}
		priv = p
	default:
		return nil, fmt.Errorf("keys: cannot generate %s keys", alg)
	}
	k, err := fromPrivate(priv)
	if err != nil {
		return nil, err
	}
	k.CreatedAt, k.ActivatesAt = now, now
	return k, nil
}

// NewHMAC returns the HS256 key for secret, which must be at least
// MinSecretLen bytes. It is always active and never expires. Its kid is
// "hs256-" and a truncated SHA-256 of the secret: it names the secret
// without revealing it (a key of 32 bytes or more cannot be found from 64
// bits of its digest) and changes when the secret does.
func NewHMAC(secret []byte) (*Key, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("keys: an HS256 secret must be at least %d bytes", MinSecretLen)
	}
	sum := sha256.Sum256(secret)
	return &Key{
		ID:     "hs256-" + base64.RawURLEncoding.EncodeToString(sum[:8]),
		Alg:    HS256,
		secret: slices.Clone(secret),
	}, nil
}

// fromPrivate returns an always-active key for priv, with its kid.
func fromPrivate(priv crypto.Signer) (*Key, error) {
	k, err := fromPublic(priv.Public())
	if err != nil {
		return nil, err
	}
	k.private = priv
	return k, nil
}

// fromPublic returns an always-active, verify-only key for pub, with its
// kid.
func fromPublic(pub crypto.PublicKey) (*Key, error) {
	var alg Alg
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, errors.New("keys: malformed Ed25519 public key")
		}
		alg = EdDSA
	case *rsa.PublicKey:
		if p.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("keys: RSA key of %d bits; at least %d are required", p.N.BitLen(), MinRSABits)
		}
		alg = RS256
	default:
		return nil, fmt.Errorf("keys: unsupported key type %T (want Ed25519 or RSA)", pub)
	}
	kid, err := Thumbprint(pub)
	if err != nil {
		return nil, err
	}
	return &Key{ID: kid, Alg: alg, public: pub}, nil
}

// publicOnly returns a copy of k without its private half.
func (k *Key) publicOnly() *Key {
	c := *k
	c.private, c.secret = nil, nil
	return &c
}

// String describes k without its private half or secret.
func (k Key) String() string {
	return fmt.Sprintf("keys.Key{kid:%s alg:%s signs:%t activates:%s retired:%s expires:%s}",
		k.ID, k.Alg, k.CanSign(), stamp(&k.ActivatesAt), stamp(k.RetiredAt), stamp(k.ExpiresAt))
}

// GoString keeps %#v from printing the private half.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb: without it, a verb such as %d or
// %x would print the unexported key bytes.
func (k Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue keeps slog from logging the private half.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.ID), slog.String("alg", string(k.Alg)))
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
