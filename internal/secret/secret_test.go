package secret_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/secret"
)

func TestNew(t *testing.T) {
	a, err := secret.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := secret.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two tokens are equal")
	}
	if !secret.WellFormed(a) {
		t.Fatalf("token %q is not well formed", a)
	}
	// A copy of the token (another string, same bytes) must hash the
	// same: a digest that depended on anything but the bytes would fail.
	h, again := secret.Hash(a), secret.Hash(strings.Clone(a))
	switch {
	case h == "" || h == a:
		t.Fatalf("Hash(token) = %q: not a digest", h)
	case h != again:
		t.Fatalf("Hash is not stable: %q then %q", h, again)
	case h == secret.Hash(b):
		t.Fatal("two tokens hash the same")
	}
}

func TestNewShortRead(t *testing.T) {
	if _, err := secret.New(bytes.NewReader(make([]byte, secret.Size-1))); err == nil {
		t.Fatal("a short random read must fail")
	}
}

func TestWellFormed(t *testing.T) {
	for name, s := range map[string]string{
		"empty":     "",
		"short":     "abc",
		"bad chars": "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
		"padded":    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	} {
		t.Run(name, func(t *testing.T) {
			if secret.WellFormed(s) {
				t.Fatalf("%q accepted", s)
			}
		})
	}
}

func TestRecoveryCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c, err := secret.NewRecoveryCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 11 || c[5] != '-' || strings.ContainsAny(c, "01890ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("recovery code %q: want 5+5 lower-case base32 characters", c)
		}
		if seen[c] {
			t.Fatalf("recovery code %q twice", c)
		}
		seen[c] = true
	}
	tests := []struct{ name, typed, want string }{
		{name: "as shown", typed: "k7qzm-4rtwa", want: "k7qzm4rtwa"},
		{name: "upper case", typed: "K7QZM-4RTWA", want: "k7qzm4rtwa"},
		{name: "spaces", typed: " k7qzm 4rtwa ", want: "k7qzm4rtwa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secret.NormalizeRecoveryCode(tt.typed); got != tt.want {
				t.Errorf("NormalizeRecoveryCode(%q) = %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}

func TestKeyedHash(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	h := secret.KeyedHash(k1, "authid_a", "k7qzm4rtwa")
	for name, other := range map[string]string{
		"another key":     secret.KeyedHash(k2, "authid_a", "k7qzm4rtwa"),
		"another binding": secret.KeyedHash(k1, "authid_b", "k7qzm4rtwa"),
		"another value":   secret.KeyedHash(k1, "authid_a", "k7qzm4rtwb"),
		"shifted":         secret.KeyedHash(k1, "authid_ak", "7qzm4rtwa"),
	} {
		if other == h {
			t.Errorf("%s: same hash", name)
		}
	}
	if h != secret.KeyedHash(k1, "authid_a", "k7qzm4rtwa") || len(h) != 64 {
		t.Errorf("KeyedHash is not a stable 64-character hex digest: %q", h)
	}
}
