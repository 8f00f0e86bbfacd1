package password

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/password/breached"
)

// Length limits, counted in runes so that a passphrase in Cyrillic or with
// emoji is held to the same rule as one in ASCII.
const (
	MinLength = 8
	MaxLength = 1024
)

// Policy errors. They say nothing about the password itself.
var (
	ErrTooShort = errors.New("password: shorter than 8 characters")
	ErrTooLong  = errors.New("password: longer than 1024 characters")
	ErrCommon   = errors.New("password: on the list of common and breached passwords")
	ErrIsEmail  = errors.New("password: the account's email address")
)

// Validate checks the policy for a new password of the account with the
// given email (NIST SP 800-63B): 8 to 1024 runes, not the email, not on
// the list of common and breached passwords. No composition rules.
func Validate(pw, email string) error {
	if err := CheckLength(pw); err != nil {
		return err
	}
	if utf8.RuneCountInString(pw) < MinLength {
		return ErrTooShort
	}
	if email != "" && strings.EqualFold(strings.TrimSpace(pw), strings.TrimSpace(email)) {
		return ErrIsEmail
	}
	if breached.Contains(pw) {
		return ErrCommon
	}
	return nil
}

// CheckLength is the sign-in check: only the upper bound, so that users
// imported with short passwords can still sign in. It returns ErrTooLong or
// nil, and must be called before any hashing.
//
// It costs at most a scan of 4*MaxLength bytes, however long pw is: a rune
// takes 1 to 4 bytes (an invalid byte counts as one rune), so a string of at
// most MaxLength bytes is short enough and one of more than 4*MaxLength bytes
// is too long without counting.
func CheckLength(pw string) error {
	switch {
	case len(pw) <= MaxLength:
		return nil
	case len(pw) > 4*MaxLength:
		return ErrTooLong
	case utf8.RuneCountInString(pw) > MaxLength:
		return ErrTooLong
	}
	return nil
}
