package password

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// TestNoTruncation: every character counts, the last of 1024 as much as
// the first (ASVS 2.1.3).
func TestNoTruncation(t *testing.T) {
	h := newTestHasher(t, Options{})
	ctx := context.Background()
	pw := strings.Repeat("ё", MaxLength-1) + "a"
	encoded := mustHash(t, h, pw)
	for _, tc := range []struct {
		name  string
		wrong string
	}{
		{"last rune changed", strings.Repeat("ё", MaxLength-1) + "b"},
		{"last rune dropped", strings.Repeat("ё", MaxLength-1)},
		{"first 72 bytes only", pw[:72]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ok, _, err := h.Verify(ctx, tc.wrong, encoded); ok || err != nil {
				t.Fatalf("Verify = %v, %v; want a refusal", ok, err)
			}
		})
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := newTestHasher(t, Options{})
	tests := []struct {
		name string
		pw   string
	}{
		{"ascii", "correct horse battery staple"},
		{"cyrillic", "пароль-кириллица"},
		{"emoji", "emoji 🔐 passphrase 🦆"},
		{"1024 runes", strings.Repeat("ё", MaxLength)},
		{"short imported password", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			encoded := mustHash(t, h, tt.pw)
			if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("Hash = %q, want argon2id with the hasher's params", encoded)
			}
			ok, rehash, err := h.Verify(ctx, tt.pw, encoded)
			if err != nil || !ok || rehash {
				t.Errorf("Verify(right password) = %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
			// Change one character, keeping the length within MaxLength.
			wrong := "Z" + string([]rune(tt.pw)[1:])
			ok, rehash, err = h.Verify(ctx, wrong, encoded)
			if err != nil || ok || rehash {
				t.Errorf("Verify(wrong password) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestHashVerifyOWASP(t *testing.T) {
	h := newTestHasher(t, Options{Params: OWASP})
	ctx := context.Background()
	encoded := mustHash(t, h, "correct horse battery staple")
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	fields := strings.Split(strings.TrimPrefix(encoded, prefix), "$")
	if !strings.HasPrefix(encoded, prefix) || len(fields) != 2 || len(fields[0]) != 22 || len(fields[1]) != 43 {
		t.Fatalf("Hash = %q, want %s<22-char salt>$<43-char key>", encoded, prefix)
	}
	if err := CheckEncoded(encoded); err != nil {
		t.Errorf("CheckEncoded: %v", err)
	}
	ok, rehash, err := h.Verify(ctx, "correct horse battery staple", encoded)
	if err != nil || !ok || rehash {
		t.Errorf("Verify(right password) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	ok, _, err = h.Verify(ctx, "correct horse battery stapler", encoded)
	if err != nil || ok {
		t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
	}
}

func TestHashUsesInjectedRand(t *testing.T) {
	// NewHasher reads 32 bytes of dummy password and 16 of dummy salt; the
	// next 16 are Hash's salt, and then the reader is exhausted.
	salt := []byte("0123456789abcdef")
	random := append(make([]byte, 48), salt...)
	h := newTestHasher(t, Options{Rand: bytes.NewReader(random)})

	got := mustHash(t, h, "correct horse")
	key := argon2.IDKey([]byte("correct horse"), salt, 1, 64, 1, 32)
	want := "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	if got != want {
		t.Errorf("Hash = %q, want %q", got, want)
	}
	if _, err := h.Hash(context.Background(), "correct horse"); err == nil {
		t.Error("Hash with an exhausted Rand: want an error")
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := newTestHasher(t, Options{})
	if a, b := mustHash(t, h, "same password"), mustHash(t, h, "same password"); a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestVerifyRehash(t *testing.T) {
	h := newTestHasher(t, Options{})
	const pw = "correct horse battery staple"
	other := newTestHasher(t, Options{Params: Params{MemoryKiB: 64, Iterations: 2, Parallelism: 1}})
	bcryptHash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	vector := loadMedusaVectors(t)[0]
	shortKey := (&argon2idHash{
		params: testParams,
		salt:   []byte("0123456789abcdef"),
		key:    argon2.IDKey([]byte(pw), []byte("0123456789abcdef"), 1, 64, 1, 16),
	}).encode()

	tests := []struct {
		name    string
		pw      string
		encoded string
		rehash  bool
	}{
		{"argon2id with the same params", pw, mustHash(t, h, pw), false},
		{"argon2id with other iterations", pw, mustHash(t, other, pw), true},
		{"argon2id with a 16-byte key", pw, shortKey, true},
		{"bcrypt", pw, string(bcryptHash), true},
		{"medusa scrypt", vector.Password, vector.HashBase64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.pw, tt.encoded)
			if err != nil || !ok || rehash != tt.rehash {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.rehash)
			}
		})
	}
}

// A Hasher may be configured beyond the caps on stored hashes; it must still
// verify its own hashes, though importing them is refused.
func TestVerifyOwnParamsBeyondCaps(t *testing.T) {
	h := newTestHasher(t, Options{Params: Params{MemoryKiB: 64, Iterations: maxArgon2Iterations + 1, Parallelism: 1}})
	encoded := mustHash(t, h, "correct horse")
	ok, rehash, err := h.Verify(context.Background(), "correct horse", encoded)
	if err != nil || !ok || rehash {
		t.Errorf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if err := CheckEncoded(encoded); !errors.Is(err, ErrMalformedHash) {
		t.Errorf("CheckEncoded = %v, want ErrMalformedHash", err)
	}
}

func TestTooLongIsRefusedBeforeHashing(t *testing.T) {
	h := newTestHasher(t, Options{})
	ctx := context.Background()
	encoded := mustHash(t, h, "correct horse")
	long := strings.Repeat("a", MaxLength+1)
	before := h.Derivations()

	if _, err := h.Hash(ctx, long); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash = %v, want ErrTooLong", err)
	}
	if _, _, err := h.Verify(ctx, long, encoded); !errors.Is(err, ErrTooLong) {
		t.Errorf("Verify = %v, want ErrTooLong", err)
	}
	if err := h.VerifyDummy(ctx, long); !errors.Is(err, ErrTooLong) {
		t.Errorf("VerifyDummy = %v, want ErrTooLong", err)
	}
	if got := h.Derivations(); got != before {
		t.Errorf("Derivations went from %d to %d, want no derivation", before, got)
	}
}

// An unknown account (VerifyDummy) and a wrong password (Verify) must cost
// the same: one derivation each.
func TestDerivations(t *testing.T) {
	h := newTestHasher(t, Options{})
	encoded := mustHash(t, h, "correct horse")
	tests := []struct {
		name string
		call func(ctx context.Context) error
		want uint64
	}{
		{"Hash", func(ctx context.Context) error { _, err := h.Hash(ctx, "pw"); return err }, 1},
		{"Verify right password", func(ctx context.Context) error { _, _, err := h.Verify(ctx, "correct horse", encoded); return err }, 1},
		{"Verify wrong password", func(ctx context.Context) error { _, _, err := h.Verify(ctx, "wrong horse", encoded); return err }, 1},
		{"VerifyDummy", func(ctx context.Context) error { return h.VerifyDummy(ctx, "correct horse") }, 1},
		{"Verify malformed hash", func(ctx context.Context) error {
			_, _, err := h.Verify(ctx, "correct horse", "$argon2id$v=19$m=64")
			if errors.Is(err, ErrMalformedHash) {
				return nil
			}
			return err
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.Derivations()
			if err := tt.call(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := h.Derivations() - before; got != tt.want {
				t.Errorf("derivations = %d, want %d", got, tt.want)
			}
		})
	}
}
