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
