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

// Policy errors, one per rule, so that a caller can say which rule refused
// a password. They say nothing about the password itself.
var (
	ErrTooShort   = errors.New("password: shorter than 8 characters")
	ErrTooLong    = errors.New("password: longer than 1024 characters")
	ErrCommon     = errors.New("password: on the list of common and breached passwords")
	ErrIsEmail    = errors.New("password: the account's email address")
	ErrContext    = errors.New("password: contains the service's name, the account's email or a name")
	ErrRepetitive = errors.New("password: one character repeated or too few different characters")
	ErrSequential = errors.New("password: contains a run of letters, digits or keyboard keys")
)

// Validate checks the policy for a new password of the account c describes,
// after NIST SP 800-63B (5.1.1.2): 8 to 1024 runes, and none of what the
// guideline asks a verifier to refuse:
//
//   - the account's email (ErrIsEmail);
//   - a common or breached password (ErrCommon);
//   - a context-specific word anywhere in it, ignoring case (ErrContext;
//     see Context);
//   - a repetitive string: one character four times in a row, or at most
//     three different characters in all, ignoring case (ErrRepetitive);
//   - a sequential string: four letters, digits or keys of a keyboard row
//     in a row, either way, ignoring case: "abcd", "4321", "qwer", "lkjh",
//     "7890" (ErrSequential).
//
// There are no composition rules. The email rule and the last three
// ignore surrounding spaces. The rules are checked in that order and the
// first to refuse is returned, so a password refused before the last three
// existed keeps its error. The cost is linear in the length of pw.
func Validate(pw string, c Context) error {
	if err := CheckLength(pw); err != nil {
		return err
	}
	if utf8.RuneCountInString(pw) < MinLength {
		return ErrTooShort
	}
	email := strings.TrimSpace(c.Email)
	if email != "" && strings.EqualFold(strings.TrimSpace(pw), email) {
		return ErrIsEmail
	}
	if breached.Contains(pw) {
		return ErrCommon
	}
	folded := strings.ToLower(strings.TrimSpace(pw))
	switch {
	case c.contained(folded):
		return ErrContext
	case repetitive(folded):
		return ErrRepetitive
	case sequential(folded):
		return ErrSequential
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
