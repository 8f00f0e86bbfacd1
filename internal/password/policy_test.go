package password

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		pw    string
		email string
		want  error
	}{
		{"empty", "", "", ErrTooShort},
		{"7 runes", "abcdefg", "", ErrTooShort},
		{"8 runes", "abcdefgx", "", nil},
		{"common", "password1", "", ErrCommon},
		{"common, other case", "PassWord1", "", ErrCommon},
		{"common 8-digit", "12345678", "", ErrCommon},
		{"the email", "ada@example.com", "ada@example.com", ErrIsEmail},
		{"the email, other case", "Ada@Example.COM", "ada@example.com", ErrIsEmail},
		{"contains the email", "ada@example.com!", "ada@example.com", nil},
		{"7 cyrillic runes in 14 bytes", "пароль1", "", ErrTooShort},
		{"8 cyrillic runes in 16 bytes", "пароль12", "", nil},
		{"8 emoji in 32 bytes", strings.Repeat("🔐", 8), "", nil},
		{"1024 runes", strings.Repeat("a", MaxLength), "", nil},
		{"1024 emoji in 4096 bytes", strings.Repeat("🔐", MaxLength), "", nil},
		{"1025 runes", strings.Repeat("a", MaxLength+1), "", ErrTooLong},
		{"1025 cyrillic runes", strings.Repeat("ж", MaxLength+1), "", ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Validate(tt.pw, tt.email); !errors.Is(err, tt.want) {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCheckLength(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty is allowed at sign-in", "", nil},
		{"short is allowed at sign-in", "abc", nil},
		{"1024 runes", strings.Repeat("a", MaxLength), nil},
		{"1024 emoji in 4096 bytes", strings.Repeat("🔐", MaxLength), nil},
		{"1024 invalid bytes count as runes", strings.Repeat("\xff", MaxLength), nil},
		{"1025 runes", strings.Repeat("a", MaxLength+1), ErrTooLong},
		{"1025 cyrillic runes", strings.Repeat("ж", MaxLength+1), ErrTooLong},
		{"1025 invalid bytes", strings.Repeat("\xff", MaxLength+1), ErrTooLong},
		{"1 MiB", strings.Repeat("a", 1<<20), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckLength(tt.pw); !errors.Is(err, tt.want) {
				t.Errorf("CheckLength = %v, want %v", err, tt.want)
			}
		})
	}
}
