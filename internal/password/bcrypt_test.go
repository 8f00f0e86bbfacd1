package password

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func mustBcrypt(tb testing.TB, pw string) string {
	tb.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		tb.Fatalf("bcrypt: %v", err)
	}
	return string(hash)
}

func TestVerifyBcrypt(t *testing.T) {
	h := newTestHasher(t, Options{})
	const pw = "correct horse battery staple"
	hash2a := mustBcrypt(t, pw)
	seventyTwo := strings.Repeat("x", 72)
	tests := []struct {
		name    string
		pw      string
		encoded string
		ok      bool
	}{
		{"2a right password", pw, hash2a, true},
		{"2a wrong password", pw + "!", hash2a, false},
		{"2b right password", pw, "$2b$" + hash2a[4:], true},
		{"2y right password", pw, "$2y$" + hash2a[4:], true},
		{"2y wrong password", "correct horse battery stapler", "$2y$" + hash2a[4:], false},
		{"cyrillic", "пароль-кириллица", mustBcrypt(t, "пароль-кириллица"), true},
		// bcrypt reads only 72 bytes; accepted for legacy hashes, which are
		// rehashed with argon2id on success.
		{"bytes after 72 are ignored", seventyTwo + "tail", mustBcrypt(t, seventyTwo), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckEncoded(tt.encoded); err != nil {
				t.Fatalf("CheckEncoded: %v", err)
			}
			ok, rehash, err := h.Verify(context.Background(), tt.pw, tt.encoded)
			if err != nil || ok != tt.ok || rehash != tt.ok {
				t.Errorf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tt.ok, tt.ok)
			}
		})
	}
}
