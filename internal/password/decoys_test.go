package password

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/scrypt"
)

// mustScrypt makes a scrypt-kdf hash of pw as Medusa stores it, with small
// parameters so that tests stay fast.
func mustScrypt(tb testing.TB, pw string, logN uint8, salt string) string {
	tb.Helper()
	raw, err := base64.StdEncoding.DecodeString(scryptHeader(tb, logN, 8, 1))
	if err != nil {
		tb.Fatal(err)
	}
	copy(raw[16:48], strings.Repeat(salt, 32)[:32])
	sum := sha256.Sum256(raw[:48])
	copy(raw[48:64], sum[:16])
	dk, err := scrypt.Key([]byte(pw), raw[16:48], 1<<logN, 8, 1, scryptKeyLen)
	if err != nil {
		tb.Fatal(err)
	}
	mac := hmac.New(sha256.New, dk[32:])
	mac.Write(raw[:64])
	copy(raw[64:], mac.Sum(nil))
	return base64.StdEncoding.EncodeToString(raw)
}

var (
	ownKind    = Kind{"argon2id", "m=64,t=1,p=1"}
	scryptKind = Kind{"scrypt", "N=16,r=8,p=1"}
	bcryptKind = Kind{"bcrypt", "cost=4"}
	argonKind  = Kind{"argon2id", "m=128,t=2,p=1"}
)

// work runs f and returns the derivations it ran, by kind.
func work(tb testing.TB, h *Hasher, f func() error) map[Kind]uint64 {
	tb.Helper()
	before := h.Work()
	if err := f(); err != nil {
		tb.Fatal(err)
	}
	out := map[Kind]uint64{}
	for k, n := range h.Work() {
		if n -= before[k]; n > 0 {
			out[k] = n
		}
	}
	return out
}

func TestKindPrefix(t *testing.T) {
	h := newTestHasher(t, Options{})
	medusa := loadMedusaVectors(t)
	tests := []struct {
		name, encoded, want string
		kind                Kind
	}{
		{"argon2id", mustHash(t, h, "pw"), "$argon2id$v=19$m=64,t=1,p=1$", ownKind},
		{"bcrypt", mustBcrypt(t, "pw"), "$2a$04$", bcryptKind},
		{"medusa scrypt", medusa[0].HashBase64, medusa[0].HashBase64[:22], Kind{"scrypt", "N=32768,r=8,p=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindPrefix(tt.encoded); got != tt.want {
				t.Fatalf("KindPrefix = %q, want %q", got, tt.want)
			}
			d, err := h.Decoys([]string{KindPrefix(tt.encoded)})
			if err != nil {
				t.Fatal(err)
			}
			want := []Kind{ownKind}
			if tt.kind != ownKind {
				want = append(want, tt.kind)
			}
			if got := d.Kinds(); !slices.Equal(got, want) {
				t.Fatalf("Kinds = %v, want %v", got, want)
			}
		})
	}
	// Hashes of one kind share their prefix but for scrypt's 4 bits of
	// salt: a store lists at most 16 prefixes per scrypt kind.
	seen := map[string]bool{}
	for _, v := range medusa {
		seen[KindPrefix(v.HashBase64)[:21]] = true
	}
	if len(seen) != 1 {
		t.Errorf("Medusa hashes of one kind have %d different prefixes", len(seen))
	}
}

func TestDecoysKinds(t *testing.T) {
	h := newTestHasher(t, Options{})
	bcrypt := mustBcrypt(t, "pw")
	prefixes := []string{
		KindPrefix(mustScrypt(t, "pw", 4, "a")),
		KindPrefix(mustScrypt(t, "pw", 4, "z")), // same kind, another salt
		KindPrefix(bcrypt),
		KindPrefix("$2y$" + bcrypt[4:]), // the same algorithm
		"$argon2id$v=19$m=128,t=2,p=1$",
		"$argon2id$v=19$m=64,t=1,p=1$", // the Hasher's own
		// Nothing a stored hash could be, or beyond the caps: skipped.
		"", "garbage", "$argon2id$v=19$m=4194304,t=1,p=1$", "$argon2i$v=19$m=64,t=1,p=1$",
		"$argon2id$v=19$m=64,t=1,p=1", "$2a$17$", "$2a$1", KindPrefix(scryptHeader(t, 30, 8, 1)),
	}
	d, err := h.Decoys(prefixes)
	if err != nil {
		t.Fatal(err)
	}
	want := []Kind{ownKind, argonKind, bcryptKind, scryptKind}
	if got := d.Kinds(); !slices.Equal(got, want) {
		t.Fatalf("Kinds = %v, want %v", got, want)
	}
	if got := h.Derivations(); got != 0 {
		t.Errorf("making decoys ran %d derivations, want none", got)
	}
	var nilDecoys *Decoys
	if nilDecoys.Kinds() != nil {
		t.Error("nil Decoys have kinds")
	}
}

// Every failed check costs one derivation of each kind in the decoys,
// whatever the account's kind, and a right password its own only.
func TestVerifyEqualWork(t *testing.T) {
	h := newTestHasher(t, Options{})
	const pw = "correct horse"
	hashes := map[Kind]string{
		ownKind:    mustHash(t, h, pw),
		scryptKind: mustScrypt(t, pw, 4, "s"),
		bcryptKind: mustBcrypt(t, pw),
	}
	var prefixes []string
	for _, encoded := range hashes {
		prefixes = append(prefixes, KindPrefix(encoded))
	}
	d, err := h.Decoys(prefixes)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all := map[Kind]uint64{ownKind: 1, scryptKind: 1, bcryptKind: 1}

	t.Run("unknown account", func(t *testing.T) {
		if got := work(t, h, func() error { return h.VerifyDecoys(ctx, pw, d) }); !maps.Equal(got, all) {
			t.Errorf("work = %v, want %v", got, all)
		}
	})
	for k, encoded := range hashes {
		t.Run("wrong password for "+k.String(), func(t *testing.T) {
			got := work(t, h, func() error {
				ok, _, err := h.VerifyEqual(ctx, "wrong horse", encoded, d)
				if ok {
					return errors.New("a wrong password matched")
				}
				return err
			})
			if !maps.Equal(got, all) {
				t.Errorf("work = %v, want %v", got, all)
			}
		})
		t.Run("right password for "+k.String(), func(t *testing.T) {
			got := work(t, h, func() error {
				ok, rehash, err := h.VerifyEqual(ctx, pw, encoded, d)
				if !ok || rehash != (k != ownKind) {
					return errors.New("the right password did not match as Verify would")
				}
				return err
			})
			if want := map[Kind]uint64{k: 1}; !maps.Equal(got, want) {
				t.Errorf("work = %v, want %v", got, want)
			}
		})
	}
	for _, tc := range []struct{ name, encoded string }{
		{"no hash", ""},
		{"truncated argon2id", "$argon2id$v=19$m=64"},
		{"scrypt beyond the caps", scryptHeader(t, 30, 8, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := work(t, h, func() error {
				_, _, err := h.VerifyEqual(ctx, pw, tc.encoded, d)
				if !errors.Is(err, ErrMalformedHash) {
					return err
				}
				return nil
			})
			if !maps.Equal(got, all) {
				t.Errorf("work = %v, want %v", got, all)
			}
		})
	}
	// The hasher's own kind alone.
	t.Run("own kind only", func(t *testing.T) {
		own := map[Kind]uint64{ownKind: 1}
		if got := work(t, h, func() error { return h.VerifyDecoys(ctx, pw, nil) }); !maps.Equal(got, own) {
			t.Errorf("VerifyDecoys(nil): work = %v, want %v", got, own)
		}
		if got := work(t, h, func() error { _, _, err := h.VerifyEqual(ctx, "wrong", hashes[ownKind], nil); return err }); !maps.Equal(got, own) {
			t.Errorf("VerifyEqual(nil): work = %v, want %v", got, own)
		}
	})
}

func TestAddKind(t *testing.T) {
	h := newTestHasher(t, Options{})
	encoded := mustScrypt(t, "pw", 4, "s")
	d, err := h.AddKind(nil, encoded)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Kinds(), []Kind{ownKind, scryptKind}; !slices.Equal(got, want) {
		t.Fatalf("Kinds = %v, want %v", got, want)
	}
	for _, same := range []string{mustScrypt(t, "other", 4, "t"), mustHash(t, h, "pw"), "garbage", ""} {
		if again, err := h.AddKind(d, same); err != nil || again != d {
			t.Errorf("AddKind(%.12s…) = %p, %v; want the same decoys", same, again, err)
		}
	}
}

// However many kinds it runs, a check takes one place in the queue: a full
// queue turns it away before any derivation.
func TestVerifyDecoysQueueFull(t *testing.T) {
	h, entered, queued, release := blockedHasher(t)
	d, err := h.Decoys([]string{KindPrefix(mustBcrypt(t, "pw")), KindPrefix(mustScrypt(t, "pw", 4, "s"))})
	if err != nil {
		t.Fatal(err)
	}
	first, second := make(chan error, 1), make(chan error, 1)
	go func() { first <- h.VerifyDecoys(context.Background(), "first", d) }()
	<-entered
	go func() { second <- h.VerifyDecoys(context.Background(), "second", d) }()
	<-queued
	wantStats(t, h, 1, 1)
	before := h.Derivations()
	var busy *BusyError
	if err := h.VerifyDecoys(context.Background(), "third", d); !errors.As(err, &busy) {
		t.Fatalf("third caller got %v, want *BusyError", err)
	}
	if _, _, err := h.VerifyEqual(context.Background(), "third", mustBcrypt(t, "pw"), d); !errors.As(err, &busy) {
		t.Fatalf("third caller got %v, want *BusyError", err)
	}
	if got := h.Derivations(); got != before {
		t.Errorf("refused callers ran %d derivations", got-before)
	}
	close(release) // entered has room for the later derivations of both

	for _, c := range []chan error{first, second} {
		if err := <-c; err != nil {
			t.Error(err)
		}
	}
	wantStats(t, h, 0, 0)
}
